"""Issue #18 — the console's API keys screen, in Chromium, against the e2e server: an admin
creates a key with a scope (the key is shown once and works at once over HTTP), the list
shows its prefix, never the key, and its last use; revoking it from the screen refuses the
key's next request; axe-core finds no serious or critical violation in English or Chinese; a
dispatcher is not offered the screen."""

from __future__ import annotations

from typing import Any

import requests

from tests.e2e.conftest import ADMIN, CONSOLE, PASSWORD, Api, _context
from tests.e2e.helpers import axe_check


def _console(browser: Any, base: str, email: str, password: str) -> Any:
    ctx = _context(browser, base, CONSOLE)
    page = ctx.new_page()
    page.goto("/dispatch/")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-btn")
    page.wait_for_selector("#nav-insights")
    return page


def _tickets_with(base: str, key: str) -> int:
    res = requests.get(f"{base}/api/v1/tickets", headers={"X-API-Key": key}, timeout=30)
    return res.status_code


def test_admin_creates_uses_and_revokes_a_key(browser: Any, live_server: str) -> None:
    found: list[str] = []
    page = _console(browser, live_server, *ADMIN)
    page.click("#nav-api-keys")
    page.wait_for_selector("#ak-form fieldset input[type=checkbox]")
    found += axe_check(page, "console-api-keys-en-01")

    page.fill("#ak-name", "BI export")
    page.check("#ak-scope-tickets-read")
    page.fill("#ak-rate", "120")
    page.click("#ak-create")
    key = page.locator("#ak-key code").inner_text()
    assert key.startswith("fo_")
    row = page.locator('#ak-keys tr:has-text("BI export")')
    assert key[:11] in row.inner_text() and key not in page.locator("#ak-keys").inner_text()
    assert "120/min" in row.inner_text() and "never" in row.inner_text()

    assert _tickets_with(live_server, key) == 200
    assert (
        requests.post(
            f"{live_server}/api/v1/tickets", json={}, headers={"X-API-Key": key}, timeout=30
        ).status_code
        == 403
    )
    page.click("#ak-reload")
    page.wait_for_function(
        "() => !document.querySelector('#ak-keys tbody tr').innerText.includes('never')"
    )

    page.select_option("header select", "zh-CN")
    page.wait_for_selector("html[lang=zh-CN]")
    page.wait_for_selector("#ak-keys")
    assert "工单: 读取" in page.locator("#ak-keys").inner_text()
    found += axe_check(page, "console-api-keys-zh-CN-02")
    page.select_option("header select", "en")
    page.wait_for_selector("html[lang=en]")

    row = page.locator('#ak-keys tr:has-text("BI export")')
    row.locator(".ak-revoke").click()
    page.wait_for_selector("#ak-keys .ak-revoke:has-text('Really revoke?')")
    row.locator(".ak-revoke").click()
    page.wait_for_selector('#ak-keys tr[data-active="false"]')
    assert _tickets_with(live_server, key) == 401
    assert not found, "\n".join(found)
    page.context.close()


def test_a_dispatcher_is_not_offered_api_keys(browser: Any, live_server: str) -> None:
    admin = Api(live_server, *ADMIN)
    email = "api-keys-dispatcher@e2e.test"
    admin.post(
        "/api/v1/users",
        {"email": email, "name": "Dan Dispatcher", "role": "dispatcher", "password": PASSWORD},
    )
    page = _console(browser, live_server, email, PASSWORD)
    assert page.locator("#nav-api-keys").count() == 0
    page.goto("/dispatch/#/api-keys")  # typed by hand: the map, not the screen
    page.wait_for_selector("#map")
    assert page.locator("#api-keys-root").count() == 0
    page.context.close()


def test_every_admin_screen_links_to_every_other(browser: Any, live_server: str) -> None:
    """From Webhooks, API keys or Imports the header once offered only the Map: Insights was
    two clicks away. Each screen now links to every other one (not to itself)."""
    page = _console(browser, live_server, *ADMIN)
    screens = ["api-keys", "webhooks", "imports", "insights", "map"]
    for screen in screens:
        page.goto(f"/dispatch/#/{'' if screen == 'map' else screen}")
        for other in screens:
            selector = f"#nav-{other}"
            want = 0 if other == screen else 1
            page.wait_for_function(
                "([s, n]) => document.querySelectorAll(s).length === n", arg=[selector, want]
            )
    page.goto("/dispatch/#/webhooks")
    page.click("#nav-insights")
    page.wait_for_selector("#insights-title")
