"""Issue #19 — a day plan too large for the request, in the console: it runs on a real rq
worker (``job_server``: Redis and ``fieldops worker``), the dispatcher watches a progress bar
advance with its phase in words, can cancel it from the keyboard (the worker stops burning
CPU), a second dispatcher asking for a plan meanwhile is told in words whose plan is running
(and may cancel it there), and a plan that finishes shows its preview - in English and in
Chinese, and accessibly: the bar is a progressbar with its value, the phase is announced by a
live region that stays in place, and the keyboard focus goes from "Optimize" to "Cancel the
plan" and stays there while the bar moves."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from tests.e2e.conftest import CONSOLE, PASSWORD, JobServer, World, _context, _point, screenshot
from tests.e2e.helpers import axe_check, wait_for
from tests.e2e.test_console import open_console
from tests.procs import children, plan_settled
from tests.procs import wait_for as wait_until

pytestmark = pytest.mark.slow  # a plan of 150 tickets on a real worker, twice

# Plans above 10 tickets are queued; a plan gets 30 s (its search most of them): time for
# the first test to watch it, refuse a second and cancel it from the keyboard on a busy machine.
JOB_SERVER_CONFIG = {"OPTIMIZE_SYNC_MAX_TICKETS": "10", "OPTIMIZE_BUDGET_S": "30"}
TICKETS, ENGINEERS = 150, 10
URL = "/api/v1/dispatch/optimize"


@pytest.fixture(scope="module")
def city(job_server: JobServer) -> World:
    """A region with 10 engineers and 150 open tickets spread over it."""
    world = World(job_server.base)
    r = random.Random(19)
    lon0, lat0 = World.CENTER

    def spot() -> tuple[float, float]:
        return lon0 + r.uniform(-0.15, 0.15), lat0 + r.uniform(-0.15, 0.15)

    for i in range(ENGINEERS):
        world.engineer(f"Planner {i}", *spot())
    for i in range(TICKETS):
        world.admin.post(
            "/api/v1/tickets",
            {"title": f"Job {i}", "priority": r.choice(["P2", "P3", "P4"]),
             "location": _point(*spot())},
        )  # fmt: skip
    return world


@pytest.fixture()
def console(browser: Any, job_server: JobServer):
    """New console browser contexts on the job server, in a given language."""
    made: list[Any] = []

    def make(locale: str = "en-US") -> Any:
        ctx = _context(browser, job_server.base, CONSOLE, locale=locale)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def _bar(page: Any) -> dict[str, Any]:
    """The plan's progress bar as assistive technology gets it from Chromium's accessibility
    tree (its role, name and value), with its value text (``aria-valuetext``); {} when none."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        found = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#plan-progress"})
        if not found.get("nodeId"):
            return {}
        nodes = cdp.send("Accessibility.getPartialAXTree",
                         {"nodeId": found["nodeId"], "fetchRelatives": False})["nodes"]  # fmt: skip
    finally:
        cdp.detach()
    node = nodes[0]
    bar = page.locator("#plan-progress")
    return {
        "role": (node.get("role") or {}).get("value"),
        "name": (node.get("name") or {}).get("value", ""),
        "valuenow": (node.get("value") or {}).get("value"),
        "valuetext": bar.get_attribute("aria-valuetext") if bar.count() else None,
    }


def _status(page: Any) -> str:
    """The plan box's live region: what a screen reader announces as the phase changes."""
    region = page.locator('#plan [role="status"]')
    return region.inner_text() if region.count() == 1 else ""


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def _job(page: Any) -> str:
    return page.locator("#plan-waiting").get_attribute("data-job") or ""


def _watch(page: Any, until: Any, timeout: float = 60) -> list[tuple[float, str]]:
    """Samples of (bar value, announced phase) until ``until(samples)`` holds."""
    samples: list[tuple[float, str]] = []

    def sample() -> bool:
        bar = _bar(page)
        if bar:
            assert bar["role"] == "progressbar", bar
            if bar.get("valuenow") is not None:
                samples.append((float(bar["valuenow"]), _status(page)))
        return bool(until(samples))

    wait_for(sample, timeout=timeout, interval=0.3)
    return samples


def _second_dispatcher(world: World) -> str:
    email = f"li-{random.randrange(10**6)}@e2e.test"
    world.admin.post("/api/v1/users", {"email": email, "name": "Li Dispatcher",
                                       "role": "dispatcher", "password": PASSWORD})  # fmt: skip
    return email


def test_progress_409_and_keyboard_cancel_on_a_real_worker(city, job_server, console):
    worker = job_server.worker.proc.pid
    idle = set(children(worker))  # its schedulers: not the plan's
    other = console("zh-CN").new_page()  # a second dispatcher, logged in before it starts
    other.goto("/dispatch/")
    other.fill("#email", _second_dispatcher(city))
    other.fill("#password", PASSWORD)
    other.click("#login-btn")
    other.wait_for_selector("#list li[data-ticket]")
    page = open_console(console("en-US"), city)
    page.focus("#optimize")
    page.keyboard.press("Enter")  # keyboard only, from here to the cancel

    # The bar: a progressbar with its value, the phase announced in words, both advancing.
    page.wait_for_selector("#plan-progress")
    marker = page.locator('#plan [role="status"]')
    assert marker.count() == 1, "no live region announces the plan's phase"
    assert marker.get_attribute("aria-live") in (None, "polite")  # role=status is polite
    marker.evaluate("el => { el.__kept = true; }")
    samples = _watch(page, lambda s: len({v for v, _ in s}) >= 3
                     and any("Shortening the routes" in w for _, w in s))  # fmt: skip
    values = [v for v, _ in samples]
    assert values == sorted(values) and values[-1] > values[0], values
    bar = _bar(page)
    assert bar["name"] and re.search(r"\d+ % of the time", bar["valuetext"] or ""), bar
    words = _status(page)
    # The phase's facts: its passes and tickets placed so far.
    assert re.search(rf"\d+ of {TICKETS} tickets placed", words), words
    assert re.search(r"\d+ pass", words), words
    # The live region is the same element all along (a new one each second is not announced).
    assert page.evaluate("""() => document.querySelector('#plan [role="status"]').__kept"""), (
        "the live region was replaced while the plan ran"
    )
    screenshot(page, "console-08-plan-progress")
    job = _job(page)
    assert job.startswith("optimize-"), job
    busy = set(children(worker)) - idle
    assert busy, "no work horse under the worker while the plan runs"

    # Meanwhile a second dispatcher, in Chinese, asks for a plan of the same backlog.
    other.click("#optimize")
    other.wait_for_selector("#plan-error")
    refused = other.locator("#plan-error").inner_text()
    assert "Dana Dispatcher" in refused and "运行" in refused, refused  # who, in Chinese
    assert "optimize-" not in refused and "already running" not in refused, refused
    assert other.locator("#plan-error").get_attribute("data-job") == job
    screenshot(other, "console-09-plan-running-zh")

    # The focus went from "Optimize" (disabled while it plans) to "Cancel the plan", and stays
    # there while the bar moves on; Enter cancels, and the focus is back on "Optimize".
    assert _focused(page) == "cancel-plan", "the focus is not on the cancel button"
    before = _bar(page)["valuenow"]
    wait_for(lambda: _bar(page).get("valuenow") != before, timeout=10)  # the bar redrew
    assert _focused(page) == "cancel-plan", "the focus left the cancel button when the bar moved"
    page.keyboard.press("Enter")
    page.wait_for_selector("#plan-error[role=alert]")  # announced
    assert "Plan cancelled" in page.locator("#plan-error").inner_text()
    assert not page.locator("#plan-progress").count()
    assert _focused(page) == "optimize"

    # The worker stopped the plan: the job says so, and its processes no longer burn CPU.
    state = city.dispatcher.get(f"{URL}/{job}")
    assert state["status"] == "stopped" and state["error"] == "cancelled", state
    wait_until(lambda: plan_settled(worker, busy), 30, "the plan's processes to end")
    assert job_server.worker.proc.poll() is None, job_server.worker.tail()

    # The region is free: a new plan starts, and the second dispatcher, refused again, cancels
    # it from the refusal ("Cancel that plan"); the first console says so.
    page.keyboard.press("Enter")  # on "Optimize"
    page.wait_for_selector("#plan-progress")
    other.click("#replan")
    other.wait_for_selector(f'#plan-error[data-job="{_job(page)}"]')
    other.click("#cancel-running")
    wait_for(lambda: "方案已取消" in other.locator("#plan-error").inner_text())
    page.wait_for_selector("#plan-error")
    assert "Plan cancelled" in page.locator("#plan-error").inner_text()


def test_a_queued_plan_in_chinese_finishes_with_its_preview(city, job_server, console):
    page = open_console(console("zh-CN"), city)
    page.wait_for_selector("html[lang=zh-CN]")
    page.click("#optimize")
    page.wait_for_selector("#plan-progress")
    samples = _watch(page, lambda s: any("缩短路线" in w for _, w in s))
    assert all(re.search(r"[\u4e00-\u9fff]", w) for _, w in samples if w), samples
    bar = _bar(page)
    assert bar["name"] and "已用时间" in (bar["valuetext"] or ""), bar
    found = axe_check(page, "console-a11y-zh-CN-10-plan-progress")
    assert not found, "\n".join(found)
    job = _job(page)

    page.wait_for_selector("#plan[data-fingerprint]", timeout=60_000)  # within the budget
    assert not page.locator("#plan-progress").count()
    rows = page.locator("#plan li.change")
    planned = int(page.locator("#plan-summary [data-count=moves]").get_attribute("data-value") or 0)
    assert planned > 0 and rows.count() == planned, (planned, rows.count())
    screenshot(page, "console-11-plan-finished-zh")
    page.click("#close-plan")
    # What the search gained is reported (the console words it while the plan explains).
    facts = city.dispatcher.get(f"{URL}/{job}")["progress"]["facts"]
    assert facts["tickets"] == TICKETS and facts["placed"] == planned, facts
    assert 0 < facts["travel_km"] <= facts["search_from_km"], facts
