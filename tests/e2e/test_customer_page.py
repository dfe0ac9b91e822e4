"""The customer page (/r/<qr>, /t/<tracking>) on a phone: what it shows after the job is done.

Failed before its fix: the completed job showed an expected arrival and no link to the
service report (the tracking answer had neither a report link nor a rule for the ETA)."""

from __future__ import annotations

from typing import Any

import requests

from tests.e2e.conftest import PASSWORD, Api, World, screenshot
from tests.e2e.helpers import wait_for

STROKES = [[[10, 80], [40, 20], [70, 90], [100, 30]], [[120, 60], [180, 60]]]


def _public_report(world: World, description: str) -> dict[str, Any]:
    res = requests.post(
        f"{world.base}/api/v1/public/assets/{world.asset['qr_token']}/reports",
        json={"description": description, "contact_name": "Carla", "contact_phone": "+49 30 1"},
        timeout=30,
    )
    assert res.status_code == 201, res.text
    return res.json()


def _ticket_id(world: World, number: str) -> str:
    found = wait_for(
        lambda: [
            t
            for t in world.dispatcher.get("/api/v1/tickets", params={"page_size": 100})
            if t["number"] == number
        ]
    )
    return str(found[0]["id"])


def _completed_job(world: World, description: str) -> tuple[str, str]:
    """A customer report, assigned (which sets an ETA), worked and signed off: completed."""
    report = _public_report(world, description)
    ticket_id = _ticket_id(world, report["ticket_number"])
    eng = world.engineer("Petra Pdf", lon=13.41, lat=52.53)
    world.assign(ticket_id, eng["id"], reason="customer page e2e")
    tracking = requests.get(f"{world.base}/api/v1/public/tracking/{report['tracking_token']}")
    assert tracking.json()["eta"], "assignment sets an expected arrival"
    api = Api(world.base, eng["email"], PASSWORD)
    for action in ("accept", "start_travel", "arrive", "start_work"):
        api.post(f"/api/v1/tickets/{ticket_id}/transitions", {"action": action})
    api.post(f"/api/v1/tickets/{ticket_id}/parts/none", {})
    signed = api.post(
        f"/api/v1/tickets/{ticket_id}/signoff",
        {"signer_name": "Carla Customer", "signature": {"strokes": STROKES}},
    )
    assert signed["completed"] is True, signed
    return report["tracking_token"], ticket_id


def test_completed_job_links_the_report_and_shows_no_arrival(world, phone, browser):
    token, _ = _completed_job(world, "Fridge door seal torn.")
    page = phone.new_page()
    page.goto(f"/t/{token}")
    page.wait_for_selector("#tracking-status[data-status=completed]")
    assert page.locator("#eta").count() == 0, page.text_content("#tracking")
    link = page.locator("#report-link")
    assert link.count() == 1, page.text_content("#tracking")
    href = link.get_attribute("href") or ""
    pdf = requests.get(f"{world.base}{href}", timeout=30)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    screenshot(page, "customer-10-completed")

    # The page without JavaScript (the server's own content) says the same.
    ctx = browser.new_context(base_url=world.base, java_script_enabled=False)
    try:
        plain = ctx.new_page()
        plain.goto(f"/t/{token}")
        text = plain.text_content("main") or ""
        assert "Expected arrival" not in text, text
        assert plain.locator(f"a[href='{href}']").count() == 1, plain.content()
    finally:
        ctx.close()
