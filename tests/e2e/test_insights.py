"""Issue #16: the console's Insights screen and the engineer's own week, in Chromium.

The Insights tiles show the same numbers as the reports API for the same period and filters;
a tile worked from the keyboard opens the ticket list behind its number (the ticket list API
with the report's cohort); the screen reads in Chinese; axe-core finds nothing serious or
critical; its code (ECharts) arrives only when the screen is opened. The phone's week shows
the engineer's own numbers and, offline, the last fetched week with its date.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Api, screenshot
from tests.e2e.helpers import axe_check, login, wait_controlled, wait_for
from tests.e2e.test_console import open_console

OPEN = ["new", "assigned", "accepted", "en_route", "on_site", "in_progress", "on_hold"]


def _period(days: int = 30) -> dict[str, str]:
    """The screen's "last n days": whole UTC days up to and including today."""
    now = datetime.now(UTC)
    tomorrow = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    return {"from": (tomorrow - timedelta(days=days)).strftime(fmt), "to": tomorrow.strftime(fmt)}


def _expected(api: Api, **filters: str) -> dict[str, float | None]:
    """Each tile's number, computed from the reports API's answers."""
    q = {**_period(), **filters}
    sla = api.get("/api/v1/reports/sla", params=q)["groups"]
    times = api.get("/api/v1/reports/times", params=q)["groups"]
    backlog = api.get("/api/v1/reports/backlog", params=q)["groups"]
    s = sla[0] if sla else None
    t = times[0] if times else None

    def tm(name: str, stat: str) -> float | None:
        return t[name][stat] if t else None

    return {
        "respond_met": s["respond"]["met_pct"] if s else None,
        "resolve_met": s["resolve"]["met_pct"] if s else None,
        "at_risk": s["at_risk"] if s else 0,
        "breached": s["breached"] if s else 0,
        "tickets": s["tickets"] if s else 0,
        "backlog": sum(g["total"] for g in backlog),
        "to_arrive_median": tm("to_arrive", "median_min"),
        "to_arrive_p90": tm("to_arrive", "p90_min"),
        "to_complete_median": tm("to_complete", "median_min"),
        "to_complete_p90": tm("to_complete", "p90_min"),
        "to_assign_median": tm("to_assign", "median_min"),
        "to_accept_median": tm("to_accept", "median_min"),
    }


def _shown(page: Any) -> dict[str, float | None]:
    tiles = page.locator("button.tile")
    out: dict[str, float | None] = {}
    for i in range(tiles.count()):
        tile = tiles.nth(i)
        raw = tile.get_attribute("data-value")
        out[tile.get_attribute("data-kpi")] = float(raw) if raw else None
    return out


def _loaded(page: Any) -> None:
    page.wait_for_selector("#insights[aria-busy=false] button.tile")


def _tiles_match_api(page: Any, api: Api, **filters: str) -> None:
    """The tiles equal the API's numbers. At-risk clocks move with time, so a mismatch is
    asked again (the screen's Show button re-fetches) before it fails."""

    def same() -> bool | tuple[Any, Any]:
        _loaded(page)
        shown, expected = _shown(page), _expected(api, **filters)
        if shown == pytest.approx(expected):
            return True
        page.click("#ins-apply")
        return False

    wait_for(same, timeout=30, interval=1)


def _open_insights(page: Any) -> None:
    page.click("#nav-insights")
    page.wait_for_url("**/dispatch/#/insights")
    _loaded(page)


def test_insights_tiles_equal_the_api_and_drill_down_to_the_ticket_list(world, desk):
    eng = world.engineer("Ines Insight")
    mine = [world.ticket(f"Insight job {i}", priority="P2", assign_to=eng) for i in range(2)]
    world.ticket("Insight unassigned", priority="P4")
    page = open_console(desk, world)
    loaded: list[str] = []
    page.on("response", lambda r: loaded.append(r.url))
    _open_insights(page)
    # ECharts came with the screen, as its own chunk, after the console had started.
    assert any("/assets/insights-" in u for u in loaded), loaded
    page.wait_for_selector("#ins-trend .ins-chart canvas")
    _tiles_match_api(page, world.dispatcher)
    screenshot(page, "console-insights-01-tiles")

    # The engineer filter: the tiles follow, and "Tickets created" lists exactly theirs.
    page.select_option("#ins-engineer", eng["id"])
    _tiles_match_api(page, world.dispatcher, engineer_id=eng["id"])
    assert _shown(page)["tickets"] == 2
    tile = page.locator('button.tile[data-kpi="tickets"]')
    tile.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#ins-drill li[data-ticket]")
    # The drill-down's heading takes the focus: a screen reader hears what opened.
    assert page.evaluate("document.activeElement.id") == "ins-drill-title"
    listed = page.locator("#ins-drill li[data-ticket]")
    ids = {listed.nth(i).get_attribute("data-ticket") for i in range(listed.count())}
    assert ids == {t["id"] for t in mine}
    query = page.get_attribute("#ins-drill", "data-query")
    assert f"assignee_id={eng['id']}" in query and "created_from=" in query, query
    screenshot(page, "console-insights-02-drill")

    # Back to every engineer: the backlog tile's list is the open tickets of the period.
    page.select_option("#ins-engineer", "")
    _tiles_match_api(page, world.dispatcher)
    page.click('button.tile[data-kpi="backlog"]')
    wait_for(lambda: page.locator("#ins-drill ul.tl").count() == 1)
    total = int(page.get_attribute("#ins-drill ul.tl", "data-total"))
    assert total == _shown(page)["backlog"]
    api_total = len(
        world.dispatcher.get(
            "/api/v1/tickets",
            params={"created_from": _period()["from"], "created_to": _period()["to"],
                    "status": ",".join(OPEN), "page_size": 100},
        )
    )  # fmt: skip
    assert total == api_total or total > 100

    # A row of a chart's data table drills down too (priority P2 holds our two jobs).
    page.locator("#ins-breakdown details summary").click()
    row = page.locator("#ins-breakdown tbody th button", has_text="P2")
    row.click()
    wait_for(lambda: "priority=P2" in (page.get_attribute("#ins-drill", "data-query") or ""))


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_insights_reads_in_both_languages_and_has_no_serious_violations(world, desk, lang):
    world.ticket(f"Insight words ({lang})", priority="P1")
    page = open_console(desk, world)
    page.select_option("header select", lang)
    page.wait_for_selector(f"html[lang={lang}]")
    _open_insights(page)
    words = {"en": ("Insights", "Respond-by met"), "zh-CN": ("数据洞察", "响应达标率")}[lang]
    assert page.inner_text("#insights-title") == words[0]
    assert words[1] in page.inner_text('button.tile[data-kpi="respond_met"]')
    # Every chart has a summary for a screen reader and a data table.
    for fig in ("ins-trend", "ins-breakdown", "ins-backlog"):
        label = page.get_attribute(f"#{fig} .ins-chart", "aria-label")
        assert label and len(label) > 10, (fig, label)
        page.locator(f"#{fig} details summary").click()
    page.click('button.tile[data-kpi="breached"]')
    page.wait_for_selector("#ins-drill h3")
    found = axe_check(page, f"console-insights-a11y-{lang}")
    assert not found, "\n".join(found)


def test_the_phone_shows_the_engineers_own_week_and_keeps_it_offline(world, phone):
    eng = world.engineer("Wendy Week")
    other = world.engineer("Otto Other")
    done = world.ticket("Week job done", priority="P3", assign_to=eng)
    busy = world.ticket("Week job in progress", priority="P3", assign_to=eng)
    world.ticket("Not mine", priority="P3", assign_to=other)
    api = Api(world.base, eng["email"], eng["password"])
    for tk in (done, busy):
        for action in ("accept", "start_travel", "arrive", "start_work"):
            api.post(f"/api/v1/tickets/{tk['id']}/transitions", {"action": action})
    # The customer signs and rates: the job completes (no parts used).
    api.post(f"/api/v1/tickets/{done['id']}/parts/none", {})
    strokes = [[[10, 80], [40, 20], [70, 90]], [[120, 60], [180, 60]]]
    signed = api.post(
        f"/api/v1/tickets/{done['id']}/signoff",
        {"signer_name": "Dana", "signature": {"strokes": strokes}, "rating": 5},
    )
    assert signed["completed"] is True
    page = phone.new_page()
    login(page, eng["email"], eng["password"])
    wait_controlled(page)
    page.wait_for_selector("#my-week .week-grid")
    week = api.get("/api/v1/reports/me/week")
    assert (week["jobs_done"], week["sla"]["met"], week["rating"]["average"]) == (1, 1, 5.0)
    assert page.inner_text("#wk-jobs .week-value") == "1"
    assert page.inner_text("#wk-sla .week-value") == "100 %"
    assert page.inner_text("#wk-rating .week-value") == "5 ★"
    assert "As of" in page.inner_text("#week-as-of")
    found = axe_check(page, "phone-week-01")
    assert not found, "\n".join(found)

    phone.set_offline(True)
    page.reload()
    page.wait_for_selector("#my-week .week-grid")
    note = page.inner_text("#week-as-of")
    assert note.startswith("Offline: the week as last fetched"), note
    assert page.inner_text("#wk-jobs .week-value") == "1"
    screenshot(page, "phone-week-02-offline")
    phone.set_offline(False)


def test_the_status_filter_offers_the_statuses_and_the_tiles_follow_it(world, desk):
    """The Status filter once shared its id with the loading line under the bar, which wrote
    its text into the select and left it with no options (nothing to choose)."""
    world.ticket("Insight open job", priority="P3")
    page = open_console(desk, world)
    _open_insights(page)
    ids = page.eval_on_selector_all("#insights [id]", "els => els.map((e) => e.id)")
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    # The select the "Status" label names (its for= attribute), whatever its id.
    label = page.locator("#ins-form label").filter(has_text=re.compile(r"^Status"))
    status = label.locator("select")
    values = status.evaluate("(s) => [...s.options].map((o) => o.value)")
    assert values[:2] == ["", "open"] and "completed" in values, values
    status.select_option("open")
    _tiles_match_api(page, world.dispatcher, status=",".join(OPEN))
