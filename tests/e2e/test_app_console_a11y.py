"""Issue #12 §4 — accessibility of the engineer app (phone, 390x844) and the dispatcher console
(desk, 1440x900), in English and Chinese: axe-core finds no serious or critical violation on
any screen (every input and select labelled, map markers named, contrast at least 4.5:1), and
what a finger or mouse can reach a keyboard can too (job cards, ticket rows, "Take photo", map
markers: Tab to them, Enter or Space acts). A screenshot of each screen goes to
test-output/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.helpers import axe_check, jpeg, login, start_work, wait_controlled, wait_for
from tests.e2e.test_console import make_conflict, open_console, select_ticket
from tests.e2e.test_console_plan import _preview


def _app_language(page: Any, lang: str) -> None:
    page.select_option("#lang", lang)
    page.wait_for_selector(f"html[lang={lang}]")


def _console_language(page: Any, lang: str) -> None:
    page.select_option("header select", lang)
    page.wait_for_selector(f"html[lang={lang}]")


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_engineer_app_screens_have_no_serious_violations(world, phone, lang):
    eng = world.engineer(f"Ada Access {lang}")
    fresh = world.ticket(f"Fridge hums ({lang})", priority="P2", assign_to=eng)
    busy = world.ticket(f"Boiler cold ({lang})", priority="P1", assign_to=eng)
    make_conflict(world, eng, world.ticket(f"Door sensor ({lang})", assign_to=eng))
    found: list[str] = []
    page = phone.new_page()

    page.goto("/app/")
    page.wait_for_selector("#login-btn")
    if lang != "en":
        _app_language(page, lang)
    found += axe_check(page, f"app-a11y-{lang}-01-login")
    login(page, eng["email"], eng["password"])
    page.wait_for_selector(f'a.job[data-ticket="{busy["id"]}"]')
    wait_controlled(page)
    found += axe_check(page, f"app-a11y-{lang}-02-job-list")

    page.locator(f'a.job[data-ticket="{fresh["id"]}"]').click()
    page.wait_for_selector("#detail #actions")
    found += axe_check(page, f"app-a11y-{lang}-03-job-detail")

    page.goto("/app/#/")
    page.locator(f'a.job[data-ticket="{busy["id"]}"]').click()
    page.wait_for_selector(f'#detail[data-ticket="{busy["id"]}"]')
    wait_for(lambda: page.locator("#part-select option").count() > 0)
    phone.set_offline(True)  # as in test_engineer_app: the four steps queue, then sync
    start_work(page)
    phone.set_offline(False)
    page.wait_for_selector("#checklist")
    page.wait_for_selector("#sig-canvas")
    for panel in ("checklist", "parts", "photos", "signature"):
        page.evaluate(f"document.getElementById('{panel}').scrollIntoView()")
        found += axe_check(page, f"app-a11y-{lang}-04-job-{panel}")

    page.goto("/app/#/conflicts")
    page.wait_for_selector("#conflicts")
    page.click("#sync-now")
    page.wait_for_selector("#conflicts li.conflict-item", timeout=20_000)
    found += axe_check(page, f"app-a11y-{lang}-05-conflicts")

    page.goto("/app/#/time")  # the job above was travelled to and started: entries exist
    page.wait_for_selector("#timesheet li.ts-entry button")
    page.locator("#timesheet li.ts-entry button").first.click()
    page.wait_for_selector("#timesheet form.ts-form")
    found += axe_check(page, f"app-a11y-{lang}-06-my-time")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_console_screens_have_no_serious_violations(world, desk, lang):
    eng = world.engineer(f"Cora Console {lang}")
    tk = world.ticket(f"Heat pump trips ({lang})", priority="P2")
    make_conflict(world, eng, world.ticket(f"Gate jammed ({lang})", assign_to=eng))
    found: list[str] = []
    page = open_console(desk, world)
    if lang != "en":
        _console_language(page, lang)  # remembered: the login form below is in it too
    page.locator("header button").last.click()  # Log out
    page.wait_for_selector("#login-btn")
    found += axe_check(page, f"console-a11y-{lang}-01-login")
    page.close()

    page = open_console(desk, world)
    page.wait_for_selector(f"html[lang={lang}]")
    page.wait_for_selector(f'#list li[data-ticket="{tk["id"]}"]')
    page.wait_for_selector("#map .ticket-marker")
    found += axe_check(page, f"console-a11y-{lang}-02-map-list")

    select_ticket(page, tk)
    found += axe_check(page, f"console-a11y-{lang}-03-ticket-candidates")

    _preview(page)
    found += axe_check(page, f"console-a11y-{lang}-04-plan-preview")

    page.wait_for_selector("#conflicts li.conflict")
    page.evaluate("document.getElementById('conflicts').scrollIntoView()")
    found += axe_check(page, f"console-a11y-{lang}-05-conflicts")
    assert not found, "\n".join(found)


LEGEND_WORDS = {
    "en": ["Legend", "P1", "assigned", "at risk", "available", "off duty", "plan route"],
    "zh-CN": ["图例", "P1", "已分配", "有风险", "空闲", "休息中", "方案路线"],
}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_console_map_without_tiles_names_regions_and_engineers_and_has_a_legend(world, desk, lang):
    """Issue #12: the map has no tile server, so a dispatcher reads it by its labels: each
    region's name stays at its centre, each engineer's name beside their icon, and a legend
    says what the colours and rings mean, in the chosen language, readable at 1440 x 900."""
    lena = world.engineer(f"Lena Label {lang}", lon=13.47, lat=52.46)
    world.ticket(f"Blast chiller ({lang})", priority="P1")
    page = open_console(desk, world)
    if lang != "en":
        _console_language(page, lang)
    page.wait_for_selector(f"#map .e-{lena['id']}")
    area = page.locator("#map").bounding_box()
    assert area

    def inside(box: dict | None) -> bool:
        if not box:
            return False
        x, y, w, h = box["x"], box["y"], box["width"], box["height"]
        return (
            area["x"] <= x
            and x + w <= area["x"] + area["width"]
            and (area["y"] <= y and y + h <= area["y"] + area["height"])
        )

    region = page.locator("#map .region-label", has_text=world.region["name"]).first
    assert region.is_visible()  # permanent: no hover needed
    assert inside(region.bounding_box())

    icon = page.locator(f"#map .e-{lena['id']}").bounding_box()
    label = page.locator("#map .eng-label", has_text=lena["name"]).first
    assert label.is_visible()
    box = label.bounding_box()
    assert icon and box
    assert box["x"] >= icon["x"] + icon["width"] - 1, (icon, box)  # beside the icon
    assert abs((box["y"] + box["height"] / 2) - (icon["y"] + icon["height"] / 2)) < 6, (icon, box)
    assert float(label.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 12

    legend = page.locator("#map-legend")
    assert legend.is_visible() and inside(legend.bounding_box())
    text = legend.inner_text()
    for word in LEGEND_WORDS[lang]:
        assert word in text, (word, text)
    if lang != "en":
        assert "available" not in text and "Legend" not in text, text
    found = axe_check(page, f"console-a11y-{lang}-06-map-labels-legend")
    assert not found, "\n".join(found)


def test_app_job_card_and_take_photo_work_from_the_keyboard(world, phone):
    eng = world.engineer("Kim Keys")
    tk = world.ticket("Freezer ices up", assign_to=eng)
    page = phone.new_page()
    login(page, eng["email"], eng["password"])
    card = f'a.job[data-ticket="{tk["id"]}"]'
    page.wait_for_selector(card)
    wait_controlled(page)
    _tab_to(page, card)
    page.keyboard.press("Enter")
    page.wait_for_selector(f'#detail[data-ticket="{tk["id"]}"]')

    phone.set_offline(True)
    start_work(page)
    page.wait_for_selector("#photos")
    chooser = _picker_by_key(page, "Space")
    assert chooser.element.get_attribute("id") == "photo-input"
    # As a user does: pick a photo, see it on the card, then take the next one with Enter.
    chooser.set_files([jpeg(colour="#16a085")])
    page.wait_for_selector("#photos figure.photo")
    again = _picker_by_key(page, "Enter")
    assert again.element.get_attribute("id") == "photo-input"


PRESSES = 3


def _picker_by_key(page: Any, key: str) -> Any:
    """Tab to "Take photo", press ``key``: the camera's file picker opens. The key must reach
    the hidden file input (its click is counted). On a loaded machine headless Chromium now
    and then clicks the input without opening a picker (about one press in six, seen with
    Space and Enter alike, nothing in the console); a user presses again, and so does this, up
    to three presses (twice failed one fresh-clone CI run on 2026-12-04: one in 36); every
    press must reach the input, and a key that never opens the picker still fails."""
    page.evaluate(
        "() => { window.__inputClicks = 0; if (window.__countsClicks) return;"
        " window.__countsClicks = true; document.addEventListener('click', (e) => {"
        " if (e.target.id === 'photo-input') window.__inputClicks += 1; }, true); }"
    )
    for attempt in range(PRESSES):
        _tab_to(page, "#take-photo")
        try:
            with page.expect_file_chooser(timeout=7_000) as chooser:
                page.keyboard.press(key)
            return chooser.value
        except PlaywrightTimeoutError:
            clicks = page.evaluate("window.__inputClicks")
            assert clicks == attempt + 1, f"{key} on Take photo never reached the file input"
    raise AssertionError(
        f"{key} on Take photo reached the file input {PRESSES} times, no picker opened"
    )


def test_console_ticket_rows_and_map_markers_work_from_the_keyboard(world, desk):
    tk = world.ticket("Chiller alarm", priority="P1")
    other = world.ticket("Lift door squeaks", priority="P4")
    page = open_console(desk, world)
    row = f'#list li[data-ticket="{tk["id"]}"]'
    page.wait_for_selector(row)
    _tab_to(page, row)
    page.keyboard.press("Enter")
    page.wait_for_selector(f'#ticket-panel[data-ticket="{tk["id"]}"]')

    marker = f"#map .t-{other['id']}"
    page.wait_for_selector(marker)
    name = page.locator(marker).get_attribute("aria-label") or ""
    assert other["number"] in name, name
    _tab_to(page, marker)
    page.keyboard.press("Space")
    page.wait_for_selector(f'#ticket-panel[data-ticket="{other["id"]}"]')


def test_console_engineer_markers_show_that_engineers_day_from_the_keyboard(world, desk):
    """Issue #12: an engineer's marker did nothing on Enter or Space (nor on a click). Both now
    show that engineer's day: the timeline under the map is filtered to their row."""
    enzo = world.engineer("Enzo Enter", lon=13.47, lat=52.49)
    sara = world.engineer("Sara Space", lon=13.33, lat=52.56)
    job = world.ticket("Ice maker leaks", assign_to=enzo)
    page = open_console(desk, world)
    marker = f"#map .e-{enzo['id']}"
    page.wait_for_selector(marker)
    name = page.locator(marker).get_attribute("aria-label") or ""
    assert "Enzo Enter" in name, name
    _tab_to(page, marker)
    page.keyboard.press("Enter")
    wait_for(lambda: page.input_value("#tl-engineer") == enzo["id"])
    page.wait_for_selector(f'#timeline .ec-event[data-kind=job][data-ticket="{job["id"]}"]')
    assert page.locator(f'#timeline [data-engineer="{sara["id"]}"]').count() == 0

    _tab_to(page, f"#map .e-{sara['id']}")
    page.keyboard.press("Space")
    wait_for(lambda: page.input_value("#tl-engineer") == sara["id"])
    page.wait_for_selector(f'#timeline [data-engineer="{sara["id"]}"]')
    page.locator(f"#map .e-{enzo['id']}").click()  # a click does the same
    wait_for(lambda: page.input_value("#tl-engineer") == enzo["id"])

    # A reason being typed in the panel survives a look at an engineer's day.
    select_ticket(page, job)
    reason = page.locator("#candidates input.override-reason").first
    reason.fill("Sara has the spare part")
    page.locator(f"#map .e-{sara['id']}").click()
    wait_for(lambda: page.input_value("#tl-engineer") == sara["id"])
    assert page.locator("#candidates input.override-reason").first.input_value() == (
        "Sara has the spare part"
    )


def _tab_to(page: Any, selector: str, limit: int = 200) -> None:
    """Press Tab until ``selector`` has the focus (as a keyboard user would); fail if it never
    does within ``limit`` presses."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"{selector} never got the keyboard focus in {limit} Tab presses")
