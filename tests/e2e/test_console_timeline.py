"""The dispatcher's day on a timeline (console, 1440 x 900): one row per engineer with the
shift as background, jobs as blocks with the travel before them, for today or a chosen day,
filtered and searched; dragging a job onto an engineer's row assigns it through the same
candidate check as the list (a broken rule asks for a reason)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import wait_for
from tests.e2e.test_console import open_console

JOB = '#timeline .ec-event[data-kind=job][data-ticket="{}"]'
TRAVEL = '#timeline .ec-event[data-kind=travel][data-ticket="{}"]'


def _row_box(page, engineer_id: str) -> dict:
    """The vertical band of an engineer's row (its label cell spans the row's height)."""
    box = page.locator(f'#timeline [data-engineer="{engineer_id}"]').bounding_box()
    assert box, engineer_id
    return box


def _in_row(page, selector: str, engineer_id: str) -> bool:
    row = _row_box(page, engineer_id)
    block = page.locator(selector).bounding_box()
    assert block, selector
    middle = block["y"] + block["height"] / 2
    return row["y"] <= middle <= row["y"] + row["height"]


def _only(page, engineer: dict) -> None:
    page.select_option("#tl-engineer", engineer["id"])
    wait_for(lambda: page.locator("#timeline [data-engineer]").count() == 2)  # + unassigned


def test_timeline_shows_each_engineers_shift_jobs_and_travel_for_the_day(world, desk):
    tara = world.engineer("Tara Timeline", lon=13.30, lat=52.50)  # ~9 km from the site
    early = world.engineer("Emil Early", lon=13.41, lat=52.53)
    world.admin.call(
        "PATCH",
        f"/api/v1/engineers/{early['id']}",
        json={
            "shift": {"timezone": "UTC", "days": list(range(7)), "start": "06:00", "end": "14:00"}
        },
    )
    first = world.ticket("Proofer heater", priority="P1", assign_to=tara)
    second = world.ticket("Mixer belt", priority="P4", assign_to=tara)

    page = open_console(desk, world)
    page.wait_for_selector(JOB.format(first["id"]))
    _only(page, tara)
    assert page.locator("#timeline [data-engineer=unassigned]").count() == 1
    for tk in (first, second):
        assert _in_row(page, JOB.format(tk["id"]), tara["id"]), tk["number"]
        label = page.locator(JOB.format(tk["id"])).get_attribute("aria-label") or ""
        assert tk["number"] in label and "Tara Timeline" in label, label
    # Travel from home before the first job; none before the second (same site).
    assert _in_row(page, TRAVEL.format(first["id"]), tara["id"])
    assert page.locator(TRAVEL.format(second["id"])).count() == 0
    travel = page.locator(TRAVEL.format(first["id"])).bounding_box()
    job = page.locator(JOB.format(first["id"])).bounding_box()
    assert travel and job and abs(travel["x"] + travel["width"] - job["x"]) < 3  # ends at the ETA
    # Tara's shift is 24 h: the background spans the whole day (24 one-hour slots).
    slot = 56
    shift = page.locator("#timeline .ec-bg-event.tl-shift").bounding_box()
    assert shift and abs(shift["width"] - 24 * slot) < slot / 2, shift
    screenshot(page, "console-07-timeline")

    # Emil works 06:00-14:00: an 8-hour band, and no jobs.
    _only(page, early)
    shift = page.locator("#timeline .ec-bg-event.tl-shift").bounding_box()
    assert shift and abs(shift["width"] - 8 * slot) < slot / 2, shift
    assert page.locator(JOB.format(first["id"])).count() == 0

    # Search by ticket number: only that job, in Tara's row (all engineers again).
    page.select_option("#tl-engineer", "")
    page.fill("#tl-search", second["number"])
    wait_for(lambda: page.locator(JOB.format(first["id"])).count() == 0)
    assert _in_row(page, JOB.format(second["id"]), tara["id"])
    assert page.locator(f'#timeline [data-engineer="{early["id"]}"]').count() == 0
    page.fill("#tl-search", "")
    # Status filter: both are assigned, none accepted.
    page.select_option("#tl-status", "accepted")
    wait_for(lambda: page.locator(JOB.format(second["id"])).count() == 0)
    page.select_option("#tl-status", "")
    page.select_option("#tl-region", world.region["id"])
    page.wait_for_selector(JOB.format(second["id"]))

    # Tomorrow: Tara's row is there with her shift, the jobs (ETA today) are not.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    page.fill("#tl-day", tomorrow)
    page.dispatch_event("#tl-day", "change")
    wait_for(lambda: page.locator(JOB.format(first["id"])).count() == 0)
    _only(page, tara)
    assert page.locator("#timeline .ec-bg-event.tl-shift").count() == 1


def _drag_to_row(page, ticket: dict, engineer: dict) -> None:
    """Drag the ticket's block from the unassigned row down onto the engineer's row."""
    block = page.locator(JOB.format(ticket["id"]))
    block.scroll_into_view_if_needed()
    box = block.bounding_box()
    row = _row_box(page, engineer["id"])
    assert box
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 8, steps=4)
    page.mouse.move(x, row["y"] + row["height"] / 2, steps=10)
    page.mouse.up()


def _show(page, engineer: dict, ticket: dict) -> None:
    page.select_option("#tl-engineer", engineer["id"])
    page.fill("#tl-search", ticket["number"])
    wait_for(lambda: page.locator("#timeline .ec-event[data-kind=job]").count() == 1)


def test_dragging_a_job_onto_an_engineer_assigns_it_with_the_lists_checks(world, desk):
    otto = world.engineer("Otto Offduty", lon=13.41, lat=52.53)
    world.admin.call("PATCH", f"/api/v1/engineers/{otto['id']}", json={"status": "off_duty"})
    world.engineer("Rita Recommended", lon=13.41, lat=52.53)
    easy = world.ticket("Display flicker", priority="P3")
    hard = world.ticket("Fridge seal", priority="P3")
    # The engineer the list recommends for ``easy`` right now (best eligible candidate).
    cands = world.dispatcher.get(f"/api/v1/dispatch/tickets/{easy['id']}/candidates")
    best = next(c for c in cands if c["eligible"])
    best_engineer = {"id": best["engineer_id"], "name": best["name"]}

    page = open_console(desk, world)
    page.wait_for_selector("#timeline [data-engineer=unassigned]")
    _show(page, best_engineer, easy)
    _drag_to_row(page, easy, best_engineer)
    wait_for(
        lambda: (
            world.dispatcher.get(f"/api/v1/tickets/{easy['id']}")["assignee_id"]
            == best["engineer_id"]
        )
    )
    assert page.locator("#tl-pending").count() == 0  # the recommendation needs no reason
    [decision, *_] = world.dispatcher.get(f"/api/v1/dispatch/tickets/{easy['id']}/decisions")
    assert decision["override"] is False and decision["chosen_engineer_id"] == best["engineer_id"]
    page.select_option("#tl-engineer", "")
    page.fill("#tl-search", easy["number"])
    wait_for(lambda: page.locator(JOB.format(easy["id"])).count() == 1)
    assert _in_row(page, JOB.format(easy["id"]), best["engineer_id"])

    # Off duty breaks a rule: the drop asks for a reason before assigning.
    _show(page, otto, hard)
    _drag_to_row(page, hard, otto)
    page.wait_for_selector("#tl-pending")
    assert "off duty" in page.locator("#tl-broken").inner_text()
    assert world.dispatcher.get(f"/api/v1/tickets/{hard['id']}")["assignee_id"] is None
    screenshot(page, "console-08-timeline-reason")
    page.click("#tl-confirm")
    page.wait_for_selector("#tl-pending >> text=A reason is required.")
    assert world.dispatcher.get(f"/api/v1/tickets/{hard['id']}")["assignee_id"] is None
    page.fill("#tl-reason", "Otto is on call for seals")
    page.click("#tl-confirm")
    wait_for(
        lambda: world.dispatcher.get(f"/api/v1/tickets/{hard['id']}")["assignee_id"] == otto["id"]
    )
    [decision, *_] = world.dispatcher.get(f"/api/v1/dispatch/tickets/{hard['id']}/decisions")
    assert (
        decision["override"] is True and decision["override_reason"] == "Otto is on call for seals"
    )
    assert "status:off_duty" in decision["broken_rules"]
    page.wait_for_selector("#tl-pending", state="detached")


def test_plan_preview_is_drawn_on_the_timeline_and_blocks_are_keyboard_reachable(world, desk):
    from tests.e2e.helpers import axe_violations

    world.engineer("Petra Plan", lon=13.41, lat=52.53)
    planned = [world.ticket(f"Cold display {i}", priority="P2") for i in range(2)]
    page = open_console(desk, world)
    page.wait_for_selector("#timeline [data-engineer=unassigned]")
    page.click("#optimize")
    page.wait_for_selector("#plan[data-fingerprint]")
    changes = page.locator("#plan li.change")
    assert changes.count() >= 2
    # The e2e database holds every earlier test's tickets and engineers work 24/7, so a long
    # route can run into tomorrow: a stop wholly outside the day shown is not drawn (a day
    # view cannot) but counted in a note; every other stop is drawn.
    outside = page.evaluate(
        """() => {
          const from = new Date(`${document.querySelector('#tl-day').value}T00:00`).getTime();
          const to = from + 86400000;
          return [...document.querySelectorAll('#plan li.change')]
            .filter((li) => new Date(li.dataset.finish).getTime() <= from
                         || new Date(li.dataset.eta).getTime() >= to)
            .map((li) => li.dataset.ticket);
        }"""
    )
    if outside:
        note = page.locator("#tl-plan-elsewhere")
        assert note.get_attribute("data-count") == str(len(outside))
        assert f"{len(outside)} planned stops fall on another day" in note.inner_text()
    else:
        assert page.locator("#tl-plan-elsewhere").count() == 0
    stops: dict[str, list[tuple[float, int, str]]] = {}
    for i in range(changes.count()):
        ticket = changes.nth(i).get_attribute("data-ticket")
        to = changes.nth(i).get_attribute("data-to")
        assert ticket and to
        block = page.locator(f'#timeline .ec-event[data-kind=plan][data-ticket="{ticket}"]')
        if ticket in outside:
            assert block.count() == 0
            continue
        block.wait_for()
        assert _in_row(page, f'#timeline .ec-event[data-kind=plan][data-ticket="{ticket}"]', to)
        box = block.bounding_box()
        assert box
        n = int(block.get_attribute("data-stop") or 0)
        assert block.inner_text().startswith(f"{n}."), block.inner_text()
        assert f"Plan stop {n}" in (block.get_attribute("aria-label") or "")
        colour = block.evaluate("el => getComputedStyle(el).backgroundColor")
        stops.setdefault(to, []).append((box["x"], n, colour))
    for to, row in stops.items():
        row.sort()
        assert [n for _, n, _ in row] == list(range(1, len(row) + 1)), (to, row)  # in time order
        assert len({c for _, _, c in row}) == 1, row  # one colour per engineer
    colours = [row[0][2] for row in stops.values()]
    # a different one for each, until the palette (PLAN_COLOURS in timeline.ts, 8) runs out:
    # the e2e database holds the other tests' engineers too, so a plan may name more than 8
    assert len(set(colours)) == min(len(colours), 8), colours
    assert {tk["id"] for tk in planned} <= {
        changes.nth(i).get_attribute("data-ticket") for i in range(changes.count())
    }
    screenshot(page, "console-09-timeline-plan")

    # Keyboard: Tab reaches the blocks, each announced by its label.
    first = page.locator("#timeline .ec-event[data-kind=job]").first
    first.focus()
    assert page.evaluate("document.activeElement.dataset.kind") == "job"
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label and "T-" in label and "SLA" in label, label
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#timeline') !== null")
    found = axe_violations(page, "#timeline-box")
    assert found == [], "\n".join(found)

    # The day before: none of the plan's stops is on it; none is drawn, the note counts them.
    before = date.fromisoformat(page.input_value("#tl-day")) - timedelta(days=1)
    page.fill("#tl-day", before.isoformat())
    page.dispatch_event("#tl-day", "change")
    page.wait_for_selector(f'#tl-plan-elsewhere[data-count="{changes.count()}"]')
    assert page.locator("#timeline .ec-event[data-kind=plan]").count() == 0


def _overlaps(boxes: list[tuple[str, dict]]) -> list[str]:
    """Pairs of blocks whose rectangles share more than a pixel (a block drawn over another)."""
    found = []
    for i, (a, p) in enumerate(boxes):
        for b, q in boxes[i + 1 :]:
            w = min(p["x"] + p["width"], q["x"] + q["width"]) - max(p["x"], q["x"])
            h = min(p["y"] + p["height"], q["y"] + q["height"]) - max(p["y"], q["y"])
            if w > 1 and h > 1:
                found.append(f"{a} over {b} ({w:.0f} x {h:.0f} px)")
    return found


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_plan_preview_blocks_do_not_cover_the_jobs_in_the_same_row(world, desk, lang):
    """Issue #12: the plan preview's blocks drew on top of the engineer's job blocks. During a
    preview each ticket is drawn once, where the plan puts it; no two visible blocks overlap."""
    olga = world.engineer(f"Olga Overlap {lang}", lon=13.41, lat=52.53)
    kept = [world.ticket(f"Walk-in cooler {i}", priority="P2", assign_to=olga) for i in range(2)]
    world.ticket("Dough sheeter", priority="P1")
    page = open_console(desk, world)
    if lang != "en":
        page.select_option("header select", lang)
        page.wait_for_selector(f"html[lang={lang}]")
    page.wait_for_selector(JOB.format(kept[0]["id"]))
    _only(page, olga)
    page.click("#optimize")
    page.wait_for_selector("#plan[data-fingerprint]")
    page.wait_for_selector("#timeline .ec-event[data-kind=plan]")
    wait_for(lambda: page.locator(f'#timeline [data-engineer="{olga["id"]}"]').count() == 1)
    blocks = page.locator("#timeline .ec-event[data-kind]")
    boxes = []
    for i in range(blocks.count()):
        block = blocks.nth(i)
        box = block.bounding_box()
        if (
            box
            and block.is_visible()
            and block.evaluate("el => getComputedStyle(el).opacity") != "0"
        ):
            name = f"{block.get_attribute('data-kind')}:{block.get_attribute('data-ticket')}"
            boxes.append((name, box))
    assert any(name.startswith("plan:") for name, _ in boxes), boxes
    assert page.locator("#tl-plan-note").is_visible()
    screenshot(page, f"console-10-timeline-plan-no-overlap-{lang}")
    found = _overlaps(boxes)
    assert not found, "\n".join(found)


def test_today_shows_a_job_started_on_an_earlier_day_from_now(world, desk):
    """An engineer on a job since yesterday is busy today: the job is drawn in their row,
    from now, marked as ongoing (it was missing: only ETAs on the day were drawn)."""
    from sqlalchemy import create_engine, text

    from tests.e2e.conftest import Api, _e2e_database_url

    busy = world.engineer("Olga Ongoing", lon=13.41, lat=52.53)
    tk = world.ticket("Freezer alarm", priority="P2", assign_to=busy)
    me = Api(world.base, busy["email"], busy["password"])
    for action in ("accept", "start_travel", "arrive", "start_work"):
        me.post(f"/api/v1/tickets/{tk['id']}/transitions", {"action": action})
    # Started yesterday: only the stored ETA says which day the job was planned on.
    engine = create_engine(_e2e_database_url())
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE tickets SET eta = :eta WHERE id = :id"),
                {"eta": datetime.now(UTC) - timedelta(days=1), "id": tk["id"]},
            )
    finally:
        engine.dispose()

    page = open_console(desk, world)
    page.wait_for_selector(JOB.format(tk["id"]))
    _only(page, busy)
    block = page.locator(JOB.format(tk["id"]))
    assert _in_row(page, JOB.format(tk["id"]), busy["id"])
    assert "tl-ongoing" in (block.get_attribute("class") or "")
    label = block.get_attribute("aria-label") or ""
    assert "ongoing since an earlier day" in label and "In progress" in label, label
