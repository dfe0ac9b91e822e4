"""Issue #18 — the console's Imports screen, in Chromium, against the e2e server with a real
rq worker (``job_server``): a dispatcher uploads a customers CSV with mistakes and reads the
dry run's errors by row and column in a table; uploads the fixed file, applies it and follows
the progress bar (``role=progressbar``, its value and value text) until the screen says what
changed; the records are there. axe-core finds nothing serious or critical with the errors and
with the bar shown.

A few rows are applied within the first poll, so the first status answers the screen polls
are held at "3 of 12 rows" (Playwright answers them) before the real ones pass through;
everything else is real."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import CONSOLE, PASSWORD, JobServer, World, _context, screenshot
from tests.e2e.helpers import axe_check

pytestmark = pytest.mark.slow  # a real worker for the module

HELD = 3  # status answers held at "applying"
BAD = b"external_ref,name,email\nE2E-C1,Acme Ltd,ops@acme.example\nE2E-C2,,not-an-email\n"
GOOD = (
    b"external_ref,name,email\nE2E-C1,Acme Ltd,ops@acme.example\nE2E-C2,Globex,ops@globex.example\n"
)


@pytest.fixture()
def world(job_server: JobServer) -> World:
    return World(job_server.base)


@pytest.fixture()
def page(browser: Any, job_server: JobServer, world: World) -> Any:
    ctx = _context(browser, job_server.base, CONSOLE)
    p = ctx.new_page()
    p.goto("/dispatch/")
    p.fill("#email", world.dispatcher_email)
    p.fill("#password", PASSWORD)
    p.click("#login-btn")
    p.wait_for_selector("#nav-imports")
    yield p
    ctx.close()


def _hold_progress(page: Any) -> list[str]:
    """Answer the first ``HELD`` GETs of an import with it applying, 3 of 12 rows written."""
    asked: list[str] = []

    def handle(route: Any) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        asked.append(route.request.url)
        if len(asked) > HELD:
            route.continue_()
            return
        real = route.fetch().json()
        real["status"] = "applying"
        real["progress"] = {
            "phase": "writing", "done": 3, "total": 12, "percent": 25, "seconds": 1.0,
        }  # fmt: skip
        route.fulfill(status=200, content_type="application/json", body=json.dumps(real))

    page.route("**/api/v1/imports/*-*", handle)
    return asked


def _upload(page: Any, data: bytes) -> None:
    page.select_option("#im-entity", "customers")
    upload = {"name": "customers.csv", "mimeType": "text/csv", "buffer": data}
    page.set_input_files("#im-file", upload)
    page.click("#im-check")


def test_dry_run_errors_then_apply_with_a_progress_bar(page: Any, world: World) -> None:
    page.click("#nav-imports")
    page.wait_for_url("**/dispatch/#/imports")
    page.wait_for_selector("#im-entity option[value=assets]", state="attached")
    assert "external_ref" in page.locator("#im-columns").inner_text()

    _upload(page, BAD)
    page.wait_for_selector("#im-current[data-status=invalid]")
    rows = page.locator("#im-errors tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert rows == [
        ["3", "name", "is empty; this column is required"],
        ["3", "email", "'not-an-email' is not an e-mail address"],
    ]
    assert "2 problems in 2 rows" in page.locator("#im-verdict").inner_text()
    assert not page.locator("#im-apply").count()  # an invalid dry run is not offered to apply
    found = axe_check(page, "console-imports-en-errors")

    _upload(page, GOOD)
    page.wait_for_selector("#im-current[data-status=ready]")
    assert page.locator("#im-verdict").inner_text() == "2 rows checked, no problems."
    asked = _hold_progress(page)
    page.click("#im-apply")
    bar = page.wait_for_selector("#im-progress[aria-valuenow='25']")
    assert bar.get_attribute("role") == "progressbar"
    assert bar.get_attribute("aria-valuemin") == "0" and bar.get_attribute("aria-valuemax") == "100"
    assert "3 of 12" in (bar.get_attribute("aria-valuetext") or "")
    found += axe_check(page, "console-imports-en-progress")
    assert not found, "\n".join(found)

    page.wait_for_selector("#im-current[data-status=applied]", timeout=60_000)
    assert len(asked) > HELD
    assert page.locator("#im-verdict").inner_text() == "Applied: 2 new, 0 updated, 0 unchanged."
    assert not page.locator("#im-progress").count()
    screenshot(page, "console-imports-en-applied")
    exported = world.dispatcher.http.get(
        f"{world.base}/api/v1/data/customers/export", timeout=30
    ).text
    assert "E2E-C1,Acme Ltd,ops@acme.example" in exported and "E2E-C2,Globex" in exported
