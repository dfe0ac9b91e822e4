"""Logging out in the engineer app ends the session on the server: the tokens the phone held
stop working at once (a lost or shared phone keeps no access)."""

from __future__ import annotations

import requests

from tests.e2e.helpers import login, wait_for


def test_logout_revokes_the_phones_tokens(world, phone, live_server):
    eng = world.engineer("Lou Logout")
    page = phone.new_page()
    seen: list[str] = []
    logouts: list[int] = []

    def on_request(request):
        auth = request.headers.get("authorization", "")
        if request.url.startswith(live_server + "/api/v1/") and auth.startswith("Bearer "):
            seen.append(auth)

    page.on("request", on_request)
    page.on(
        "response",
        lambda r: logouts.append(r.status) if r.url.endswith("/api/v1/auth/logout") else None,
    )
    login(page, eng["email"], eng["password"])
    token = wait_for(lambda: seen and seen[-1])
    assert requests.get(f"{live_server}/api/v1/me", headers={"Authorization": token}).ok

    page.click("button:has-text('Log out')")
    page.wait_for_selector("input[name=email]")
    wait_for(lambda: logouts == [204])
    me = requests.get(f"{live_server}/api/v1/me", headers={"Authorization": token}, timeout=10)
    assert me.status_code == 401, me.text
