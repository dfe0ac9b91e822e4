"""The engineer's own time sheet on the phone ("My time", docs/timesheets.md): the entries the
day's status changes made, and a correction made offline that is queued, shown on its entry,
and reaches the server when the phone is back online."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.conftest import Api, screenshot
from tests.e2e.helpers import act, open_job, pending, wait_for


def test_an_offline_correction_is_shown_queued_and_then_synced(world, phone, live_server):
    eng = world.engineer("Tina Time")
    tk = world.ticket("Boiler service", assign_to=eng)
    page, _ = open_job(phone, eng, tk)
    for action, status in [
        ("accept", "accepted"),
        ("start_travel", "en_route"),
        ("arrive", "on_site"),
    ]:
        act(page, action, status)
    wait_for(lambda: pending(page) == 0)

    page.goto("/app/#/")
    page.click("#my-time")
    travel = page.locator("li.ts-entry", has_text="Travel")
    travel.wait_for()
    assert tk["number"] in travel.inner_text()
    running = page.locator("li.ts-entry", has_text="On site")
    assert "running" in running.inner_text()  # still on site: counted up to now
    assert running.locator("button").count() == 0  # a running entry is corrected once it ends

    phone.set_offline(True)
    travel.get_by_role("button", name="Correct").click()
    travel.locator("input[name=removed]").check()
    travel.locator("button[type=submit]").click()
    assert "reason is required" in travel.locator("p.error").inner_text()
    travel.locator("input[name=reason]").fill("drove my own car")
    travel.locator("button[type=submit]").click()
    wait_for(lambda: "queued" in travel.inner_text() and "removed" in travel.inner_text())
    assert pending(page) == 1
    screenshot(page, "app-timesheet-offline-correction")

    phone.set_offline(False)
    wait_for(lambda: pending(page) == 0, timeout=40)
    me = Api(live_server, eng["email"], eng["password"])
    today = datetime.now(UTC).date().isoformat()
    sheet = me.get(f"/api/v1/timesheets?from={today}&to={today}")
    (server_travel,) = [e for d in sheet["days"] for e in d["entries"] if e["kind"] == "travel"]
    assert server_travel["removed"] and server_travel["reason"] == "drove my own car"
    # the phone fetches the sheet again: the entry stays removed, no longer queued
    wait_for(lambda: "queued" not in travel.inner_text() and "removed" in travel.inner_text())
