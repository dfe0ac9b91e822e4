"""The dispatcher console at desk size (1440 x 900): the conflicts panel, auto-refresh beside a
reason being typed, candidates in words, and SLA deadlines. Each test reproduces a defect a
user found in Chromium."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import PASSWORD, Api, screenshot
from tests.e2e.helpers import wait_for


def open_console(desk, world, clock_at: datetime | None = None):
    page = desk.new_page()
    if clock_at is not None:
        page.clock.install(time=clock_at)
    page.goto("/dispatch/")
    page.fill("#email", world.dispatcher_email)
    page.fill("#password", PASSWORD)
    page.click("#login-btn")
    page.wait_for_selector("#list li[data-ticket]")
    return page


def select_ticket(page, ticket: dict) -> None:
    page.locator(f'#list li[data-ticket="{ticket["id"]}"]').click()
    page.wait_for_selector(f'#ticket-panel[data-ticket="{ticket["id"]}"]')
    page.wait_for_selector("#candidates .cand")


def make_conflict(world, engineer: dict, ticket: dict) -> None:
    """The engineer's phone edits a dispatcher field (priority): the server keeps its value
    and records a conflict for a dispatcher to resolve."""
    phone = Api(world.base, engineer["email"], engineer["password"])
    res = phone.post(
        "/api/v1/sync/push",
        {
            "client_id": f"e2e-{uuid.uuid4().hex[:8]}",
            "schema_version": 1,
            "mutations": [
                {
                    "id": str(uuid.uuid4()),
                    "name": "ticket.update",
                    "args": {
                        "ticket_id": ticket["id"],
                        "changes": {"priority": "P1"},
                        "base_version": ticket["version"],
                    },
                }
            ],
        },
    )
    assert res["results"][0]["status"] == "conflict", res


def test_conflicts_panel_lists_open_conflicts_and_offers_only_valid_resolutions(world, desk):
    eng = world.engineer("Connie Conflicted")
    tickets = [world.ticket(f"Door sensor {i}", assign_to=eng) for i in range(3)]
    for tk in tickets:
        make_conflict(world, eng, tk)
    open_ids = {
        c["id"] for c in world.dispatcher.get("/api/v1/conflicts?status=open&page_size=100")
    }
    assert len(open_ids) >= 3

    page = open_console(desk, world)
    page.wait_for_selector("#conflicts li.conflict")
    text = page.locator("#conflicts").inner_text()
    assert "No conflicts" not in text
    for tk in tickets:
        assert tk["number"] in text, text
    assert page.locator("#conflicts li.conflict").count() == len(open_ids)
    first = page.locator("#conflicts li.conflict").first
    options = first.locator("select.resolution option")
    values = [options.nth(i).get_attribute("value") for i in range(options.count())]
    # Exactly what the API accepts (its OpenAPI schema), never "accepted".
    assert sorted(values) == ["acknowledged", "apply_engineer", "keep_server"], values
    screenshot(page, "console-03-conflicts")
    conflict_id = first.get_attribute("data-conflict")
    first.locator("select.resolution").select_option("keep_server")
    first.locator("button.resolve").click()
    wait_for(lambda: page.locator(f'#conflicts li[data-conflict="{conflict_id}"]').count() == 0)
    resolved = world.dispatcher.get("/api/v1/conflicts?status=resolved&page_size=100")
    assert any(c["id"] == conflict_id and c["resolution"] == "keep_server" for c in resolved)


def test_auto_refresh_keeps_a_reason_being_typed(world, desk):
    world.engineer("Rhea Refresh", lon=13.45, lat=52.50)
    tk = world.ticket("Compressor noisy", priority="P3")
    page = open_console(desk, world, clock_at=datetime.now(UTC))
    select_ticket(page, tk)
    reason = page.locator("#candidates input.override-reason").first
    reason.click()
    reason.type("van carries the spare compressor")
    before = page.evaluate("document.body.dataset.refreshedAt")
    page.clock.fast_forward(20_000)  # past the 15 s auto-refresh
    wait_for(lambda: page.evaluate("document.body.dataset.refreshedAt") != before)
    reason = page.locator("#candidates input.override-reason").first
    assert reason.input_value() == "van carries the spare compressor"
    assert page.evaluate("document.activeElement.classList.contains('override-reason')")
    # An input with content but no focus is kept too.
    page.locator("#list h2").click()
    before = page.evaluate("document.body.dataset.refreshedAt")
    page.clock.fast_forward(20_000)
    wait_for(lambda: page.evaluate("document.body.dataset.refreshedAt") != before)
    value = page.locator("#candidates input.override-reason").first.input_value()
    assert value == "van carries the spare compressor"


def test_candidates_read_in_words_with_numbers_on_demand(world, desk):
    eng = world.engineer("Wendy Words", lon=13.41, lat=52.53)
    tk = world.ticket("Oven door hinge", priority="P3")
    page = open_console(desk, world)
    select_ticket(page, tk)
    cand = page.locator(f'#candidates .cand[data-engineer="{eng["id"]}"]')
    cand.wait_for()
    text = cand.inner_text()
    assert re.search(r"\d+ min drive", text), text
    assert "free now" in text and "skills ✓" in text, text
    assert re.search(r"\d+ open jobs?", text), text
    for raw in ("earliest_start", "(g ", "weight"):
        assert raw not in text, text
    cand.locator("button.details").click()
    details = cand.locator(".numbers").inner_text()
    assert "earliest_start" in details and "weight" in details, details
    screenshot(page, "console-04-candidates-words")
    page.select_option("header select.lang", "zh-CN")
    page.wait_for_selector("#candidates .cand")
    zh = page.locator(f'#candidates .cand[data-engineer="{eng["id"]}"]').inner_text()
    assert "分钟车程" in zh and "技能 ✓" in zh, zh


def test_sla_shows_respond_by_then_resolve_by_and_overdue_in_words(world, desk):
    eng = world.engineer("Sally SLA", lon=13.41, lat=52.53)
    fresh = world.ticket("Cold room alarm", priority="P2")
    accepted = world.ticket("Freezer defrost", priority="P2", assign_to=eng)
    Api(world.base, eng["email"], eng["password"]).post(
        f"/api/v1/tickets/{accepted['id']}/transitions", {"action": "accept"}
    )
    # Three days on, both deadlines lie far behind.
    page = open_console(desk, world, clock_at=datetime.now(UTC) + timedelta(hours=72))
    new_row = page.locator(f'#list li[data-ticket="{fresh["id"]}"]').inner_text()
    acc_row = page.locator(f'#list li[data-ticket="{accepted["id"]}"]').inner_text()
    assert re.search(r"respond by .*\b6[78] h overdue", new_row), new_row
    assert re.search(r"resolve by .*\b6[34] h overdue", acc_row), acc_row
    for row in (new_row, acc_row):
        assert "-" not in re.sub(r"T-\d+", "", row), row
    select_ticket(page, fresh)
    sla = page.locator("#ticket-sla").inner_text()
    assert "Respond by" in sla and "overdue" in sla, sla
    screenshot(page, "console-05-sla")
