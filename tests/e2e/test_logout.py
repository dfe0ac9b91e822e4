"""Logging out in the engineer app ends the session on the server: the tokens the phone held
stop working at once (a lost or shared phone keeps no access)."""

from __future__ import annotations

import requests

from tests.e2e.helpers import login, wait_for


def test_logout_revokes_the_phones_tokens(world, phone, live_server):
    eng = world.engineer("Lou Logout")
    page = phone.new_page()
    logouts: list[int] = []
    page.on(
        "response",
        lambda r: logouts.append(r.status) if r.url.endswith("/api/v1/auth/logout") else None,
    )
    # The token the phone holds is the one its login received (the page makes that call
    # itself; later calls may come from the service worker, which page events do not show).
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")) as answer:
        login(page, eng["email"], eng["password"])
    assert answer.value.ok
    token = f"Bearer {answer.value.json()['access_token']}"
    assert requests.get(f"{live_server}/api/v1/me", headers={"Authorization": token}).ok

    page.click("button:has-text('Log out')")
    page.wait_for_selector("input[name=email]")
    wait_for(lambda: logouts == [204])
    me = requests.get(f"{live_server}/api/v1/me", headers={"Authorization": token}, timeout=10)
    assert me.status_code == 401, me.text
