"""Shared steps of the browser scenarios (phone app driving, images, waiting on the server,
the axe-core accessibility check)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

from PIL import Image

from tests.e2e.conftest import ROOT, screenshot

# The engine of @axe-core/playwright (a devDependency of mobile_pwa), injected into the page.
AXE = ROOT / "mobile_pwa" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def jpeg(width: int = 2400, height: int = 1800, colour: str = "#c0392b") -> dict[str, Any]:
    """A camera-sized JPEG (bigger than the app's 1600 px edge, so resizing is exercised)."""
    img = Image.new("RGB", (width, height), colour)
    for x in range(0, width, 97):
        for y in range(0, height, 89):
            img.putpixel((x, y), (x % 255, y % 255, 128))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92)
    return {"name": f"photo-{colour[1:]}.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}


def wait_for(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.25) -> Any:
    """Poll ``check`` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


def login(page: Any, email: str, password: str) -> None:
    page.goto("/app/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("#login-btn")
    page.wait_for_selector("#jobs")


def wait_controlled(page: Any) -> None:
    """The service worker controls the page: the app shell now loads with no network."""
    page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=20_000
    )


def open_job(context: Any, engineer: dict, ticket: dict) -> tuple[Any, str]:
    """Log ``engineer`` in on a new page of ``context``, wait until the service worker controls
    it (from then on the app shell loads with no network) and open the job's detail. Returns
    the page and the job card's selector."""
    page = context.new_page()
    login(page, engineer["email"], engineer["password"])
    job = f'a.job[data-ticket="{ticket["id"]}"]'
    page.wait_for_selector(job)
    wait_controlled(page)
    page.locator(job).click()  # a locator re-finds the card if the list re-renders
    page.wait_for_selector("#detail")
    return page, job


def pending(page: Any) -> int:
    text = page.text_content("#pending-count") or "0"
    return int(text.split()[0])


def wait_status(page: Any, status: str) -> None:
    page.wait_for_selector(f"#ticket-status[data-status={status}]")


def act(page: Any, action: str, status: str) -> None:
    page.click(f"#actions button[data-action={action}]")
    wait_status(page, status)


def start_work(page: Any) -> None:
    """Accept, travel, arrive and start work: the job is in progress (works offline)."""
    for action, status in [
        ("accept", "accepted"),
        ("start_travel", "en_route"),
        ("arrive", "on_site"),
        ("start_work", "in_progress"),
    ]:
        act(page, action, status)


def draw_signature(page: Any) -> None:
    box = page.locator("#sig-canvas").bounding_box()
    assert box, "signature canvas not visible"
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x + w * (0.1 + 0.07 * i), y + h * (0.6 - 0.3 * ((i % 3) - 1)), steps=2)
    page.mouse.up()


def axe_violations(page: Any, within: str | None = None) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (or only in the
    element ``within`` selects), one line each."""
    assert AXE.is_file(), f"{AXE} missing: run `npm ci` in mobile_pwa/"
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (within) => await window.axe.run(within || document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                            'best-practice']},
            resultTypes: ['violations'],
        })""",
        within,
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} -> "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def axe_check(page: Any, name: str) -> list[str]:
    """Screenshot the screen as ``name`` and return its blocking findings, prefixed by it."""
    screenshot(page, name)
    return [f"{name}: {line}" for line in axe_violations(page)]
