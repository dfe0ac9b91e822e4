"""The batch plan in the console: the preview lists every change and every unassigned
ticket, a ticket a person assigned stays pinned unless unpinned there, apply carries out
exactly the preview (busy while it runs, counts that agree) or says what changed since, and
a plan can be made for tomorrow's shifts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import wait_for
from tests.e2e.test_console import open_console

WATCH_BUSY = """() => {
  window.__busy = 0;
  new MutationObserver(() => {
    if (document.querySelector('[aria-busy="true"]')) window.__busy++;
  }).observe(document.body, { subtree: true, childList: true, attributes: true });
}"""


def _preview(page, day: str | None = None) -> None:
    if day is not None:
        page.fill("#plan-day", day)
    page.click("#optimize")
    page.wait_for_selector("#plan[data-fingerprint]")


def _summary(page) -> dict[str, int]:
    return {
        k: int(page.locator(f"#plan-summary [data-count={k}]").get_attribute("data-value") or -1)
        for k in ("moves", "unchanged", "unassigned")
    }


def test_plan_keeps_a_persons_assignment_and_applies_exactly_the_preview(world, desk):
    far = world.engineer("Fritz Faraway", lon=13.22, lat=52.35)
    world.engineer("Nina Nearby", lon=13.41, lat=52.53)
    held = world.ticket("Walk-in cooler", priority="P3")
    world.assign(held["id"], far["id"], reason="Fritz knows this cooler")
    loose = world.ticket("Ice machine", priority="P3")

    page = open_console(desk, world)
    page.evaluate(WATCH_BUSY)
    _preview(page)
    row = page.locator(f'#plan li.change[data-ticket="{held["id"]}"]')
    text = row.inner_text()
    assert "Fritz Faraway" in text and "pinned" in text.lower(), text
    assert row.get_attribute("data-action") == "keep"
    new_row = page.locator(f'#plan li.change[data-ticket="{loose["id"]}"]')
    assert new_row.get_attribute("data-action") == "assign"
    assert re.search(r"\d+ min", new_row.inner_text()), new_row.inner_text()  # travel
    assert re.search(r"on time|late", new_row.inner_text()), new_row.inner_text()  # SLA
    preview = _summary(page)
    assert page.evaluate("window.__busy") > 0  # the preview showed a busy state
    screenshot(page, "console-06-plan-preview")

    page.evaluate("window.__busy = 0")
    page.click("#apply-plan")
    page.wait_for_selector("#message.applied")
    assert page.evaluate("window.__busy") > 0
    msg = page.locator("#message")
    assert msg.get_attribute("data-moves") == str(preview["moves"])
    assert msg.get_attribute("data-unchanged") == str(preview["unchanged"])
    assert f"{preview['moves']} moved" in msg.inner_text()
    assert world.dispatcher.get(f"/api/v1/tickets/{held['id']}")["assignee_id"] == far["id"]
    assert world.dispatcher.get(f"/api/v1/tickets/{loose['id']}")["status"] == "assigned"

    # Unpinned in the preview, the plan may move it.
    _preview(page)
    page.locator(f'#plan li.change[data-ticket="{held["id"]}"] input.unpin').check()
    wait_for(
        lambda: (
            page.locator(f'#plan li.change[data-ticket="{held["id"]}"]').get_attribute(
                "data-action"
            )
            == "reassign"
        )
    )
    page.click("#apply-plan")
    page.wait_for_selector("#message.applied")
    moved = world.dispatcher.get(f"/api/v1/tickets/{held['id']}")
    assert moved["assignee_id"] != far["id"]


def test_apply_says_what_changed_since_the_preview(world, desk):
    eng = world.engineer("Chad Changed", lon=13.41, lat=52.53)
    tk = world.ticket("Dishwasher leak", priority="P2")
    page = open_console(desk, world)
    _preview(page)
    page.wait_for_selector(f'#plan li.change[data-ticket="{tk["id"]}"]')
    world.assign(tk["id"], eng["id"], reason="phoned in")  # meanwhile, by hand
    page.click("#apply-plan")
    page.wait_for_selector("#plan-error")
    text = page.locator("#plan-error").inner_text()
    assert tk["number"] in text and "changed" in text, text
    assert world.dispatcher.get(f"/api/v1/tickets/{tk['id']}")["assignee_id"] == eng["id"]


def test_plan_for_tomorrow(world, desk):
    world.engineer("Tom Tomorrow", lon=13.41, lat=52.53)
    tk = world.ticket("Hood fan", priority="P4")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    page = open_console(desk, world)
    _preview(page, day=tomorrow)
    assert page.locator("#plan").get_attribute("data-day") == tomorrow
    row = page.locator(f'#plan li.change[data-ticket="{tk["id"]}"]')
    assert row.get_attribute("data-eta", timeout=5000)[:10] == tomorrow
