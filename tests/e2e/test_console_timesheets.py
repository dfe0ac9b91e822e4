"""Time sheets in the dispatcher console (docs/timesheets.md): an engineer's week with the
entries the job's status changes made, approval that locks the day (the engineer's correction
is then refused), and reopening, which asks for a reason first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.e2e.conftest import Api, screenshot
from tests.e2e.test_console import open_console


def test_the_dispatcher_approves_a_day_and_reopens_it_with_a_reason(world, desk):
    eng = world.engineer("Theo Timesheet")
    tk = world.ticket("Chiller inspection", assign_to=eng)
    me = Api(world.base, eng["email"], eng["password"])
    for action in ("accept", "start_travel", "arrive", "start_work", "hold"):
        me.post(f"/api/v1/tickets/{tk['id']}/transitions", {"action": action})
    today = datetime.now(UTC).date().isoformat()

    page = open_console(desk, world)
    page.select_option("#ts-engineer", eng["id"])
    row = page.locator(f'#ts-days li.ts-day[data-day="{today}"]')
    row.wait_for()
    row.locator("summary").click()  # the day's entries, behind its totals
    assert "Travel" in row.inner_text() and tk["number"] in row.inner_text()
    assert "Approve" not in row.inner_text()  # on hold: the pause is still running
    # ... and the row says so (it once just lacked the button, with no word of why).
    assert "still running" in row.locator(".ts-running").inner_text()
    me.post(f"/api/v1/tickets/{tk['id']}/transitions", {"action": "cancel"}, expect=(403,))
    world.dispatcher.post(
        f"/api/v1/tickets/{tk['id']}/transitions", {"action": "cancel", "reason": "duplicate"}
    )
    page.select_option("#ts-engineer", "")
    page.select_option("#ts-engineer", eng["id"])
    row.get_by_role("button", name="Approve").click()
    page.wait_for_selector(f'#ts-days li.ts-day[data-day="{today}"][data-status=approved]')
    screenshot(page, "console-timesheets-approved")

    sheet = me.get(f"/api/v1/timesheets?from={today}&to={today}")
    travel = next(e for e in sheet["days"][0]["entries"] if e["kind"] == "travel")
    body = {"id": str(uuid.uuid4()), "entry_id": travel["id"], "removed": True, "reason": "x"}
    me.post("/api/v1/timesheets/corrections", body, expect=409)  # the day is locked

    row.get_by_role("button", name="Reopen").click()
    assert "reason" in page.locator("#panel-message").inner_text().lower()
    page.fill("#ts-reopen-reason", "payroll asked")
    row.get_by_role("button", name="Reopen").click()
    page.wait_for_selector(f'#ts-days li.ts-day[data-day="{today}"][data-status=open]')
    me.post("/api/v1/timesheets/corrections", body, expect=201)
