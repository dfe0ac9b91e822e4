"""Issue #18 — the console's Rules screen, in Chromium, against the e2e server (jobs inline
after commit): an admin writes a rule, the API's refusals appear beside the inputs they name
(``conditions.0.value``, ``actions.1.body``), a dry run of the unsaved rule lists the tickets
of the last 30 days it would have matched (and not the others), the saved rule acts on the
next ticket, rules are reordered, turned off and deleted; axe-core finds no serious or
critical violation in English or Chinese; a dispatcher is not offered the screen."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import ADMIN, CONSOLE, PASSWORD, Api, World, _context
from tests.e2e.helpers import axe_check, wait_for


def _console(browser: Any, base: str, email: str, password: str) -> Any:
    ctx = _context(browser, base, CONSOLE)
    page = ctx.new_page()
    page.goto("/dispatch/")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-btn")
    page.wait_for_selector("#nav-insights")
    return page


def _names(page: Any) -> list[str]:
    return page.locator("#ru-rules tbody td.ru-name").all_inner_texts()


def test_admin_writes_dry_runs_saves_orders_and_removes_a_rule(
    browser: Any, live_server: str
) -> None:
    world = World(live_server)
    admin = world.admin
    chiller = world.ticket("Chiller 3 down")
    door = world.ticket("Door stuck")
    found: list[str] = []
    page = _console(browser, live_server, *ADMIN)
    page.click("#nav-rules")
    page.wait_for_selector("#ru-new")
    found += axe_check(page, "console-rules-en-01-empty")

    page.click("#ru-new")
    page.fill("#ru-name", "Chillers first")
    page.click("#ru-add-condition")
    page.select_option("#ru-c-field-0", "ticket.title")
    page.select_option("#ru-c-op-0", "contains")
    page.click("#ru-add-action")  # an internal note, its text left empty
    page.click("#ru-save")
    page.wait_for_selector("#ru-err-conditions-0-value")
    assert "non-empty" in page.locator("#ru-err-conditions-0-value").inner_text()
    assert page.locator("#ru-err-actions-1-body").inner_text() == "required"
    assert page.locator("#ru-c-value-0").get_attribute("aria-invalid") == "true"
    found += axe_check(page, "console-rules-en-02-errors")

    page.fill("#ru-c-value-0", "chiller")
    page.fill("#ru-a-body-1", "Chiller: check the compressor first")
    page.click("#ru-form-dry")
    page.wait_for_selector("#ru-dry-table")
    listed = page.locator("#ru-dry-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.ticket)"
    )
    assert chiller["number"] in listed and door["number"] not in listed
    row = page.locator(f'#ru-dry-table tr[data-ticket="{chiller["number"]}"]')
    assert "P3 -> P1" in row.inner_text()
    found += axe_check(page, "console-rules-en-03-dry-run")

    page.click("#ru-save")
    page.wait_for_selector("#ru-note")
    assert _names(page) == ["Chillers first"]
    assert (
        admin.get(f"/api/v1/tickets/{chiller['id']}")["priority"] == "P3"
    )  # a dry run wrote nothing

    fresh = world.ticket("Chiller 9 leaking")
    wait_for(lambda: admin.get(f"/api/v1/tickets/{fresh['id']}")["priority"] == "P1")
    events = admin.get(f"/api/v1/tickets/{fresh['id']}/events")
    assert any(e["via"] == "automation" and e["action"] == "update" for e in events)

    admin.post(
        "/api/v1/automation/rules",
        {"name": "Night shift", "event": "ticket.created", "conditions": [],
         "actions": [{"type": "notify", "role": "dispatcher", "title": "New ticket"}]},
    )  # fmt: skip
    page.click("#nav-map")  # away and back: the list is read again
    page.click("#nav-rules")
    page.wait_for_selector("#ru-rules")
    assert _names(page) == ["Chillers first", "Night shift"]
    page.locator("#ru-rules tbody tr").first.locator(".ru-down").click()
    wait_for(lambda: _names(page) == ["Night shift", "Chillers first"])
    page.locator("#ru-rules tbody tr").first.locator(".ru-toggle").click()
    page.wait_for_selector('#ru-rules tbody tr[data-enabled="false"]')
    assert [r["enabled"] for r in admin.get("/api/v1/automation/rules")] == [False, True]

    page.select_option("header select", "zh-CN")
    page.wait_for_selector("html[lang=zh-CN]")
    page.wait_for_selector("#ru-rules")
    assert "已停用" in page.locator("#ru-rules").inner_text()
    found += axe_check(page, "console-rules-zh-CN-04-list")
    page.select_option("header select", "en")
    page.wait_for_selector("html[lang=en]")

    for remaining in (1, 0):
        page.locator("#ru-rules .ru-delete").first.click()
        page.locator("#ru-rules .ru-delete:has-text('Really delete?')").click()
        if remaining:
            wait_for(lambda n=remaining: len(_names(page)) == n)
    page.wait_for_selector("#ru-none")
    assert admin.get("/api/v1/automation/rules") == []
    assert not found, "\n".join(found)
    page.context.close()


def test_a_dispatcher_is_not_offered_rules(browser: Any, live_server: str) -> None:
    admin = Api(live_server, *ADMIN)
    email = "rules-dispatcher@e2e.test"
    admin.post(
        "/api/v1/users",
        {"email": email, "name": "Dina Dispatcher", "role": "dispatcher", "password": PASSWORD},
    )
    page = _console(browser, live_server, email, PASSWORD)
    assert page.locator("#nav-rules").count() == 0
    page.goto("/dispatch/#/rules")  # typed by hand: the map, not the screen
    page.wait_for_selector("#map")
    assert page.locator("#rules-root").count() == 0
    page.context.close()
