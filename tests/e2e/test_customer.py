"""Scenario 4 — a customer scans the equipment label, reports a fault with a photo and follows
the tracking link until a dispatcher has assigned an engineer. Plus: an unknown QR code."""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import jpeg, wait_for


def _report(world, page, description: str) -> str:
    """Fill and send the report form at /r/<qr>; returns the ticket number shown."""
    page.goto(f"/r/{world.asset['qr_token']}")
    page.wait_for_selector("#asset-name >> text=Oven 3")
    page.fill("#description", description)
    page.set_input_files("#photos", [jpeg(1600, 1200, colour="#8e44ad")])
    wait_for(lambda: page.locator(".thumbs img").count() == 1)
    page.fill("#contact-name", "Carla Customer")
    page.fill("#contact-phone", "+49 30 7654321")
    screenshot(page, "customer-01-form")
    page.click("#send")
    page.wait_for_selector("#confirmation")
    return page.text_content("#ticket-number") or ""


def test_customer_report_and_tracking(world, phone):
    eng = world.engineer("Theo Tracker", lon=13.41, lat=52.53)
    page = phone.new_page()
    number = _report(world, page, "Oven shows error E7 and stays cold.")
    assert number
    assert (page.text_content("#photo-result") or "").endswith("1/1")
    screenshot(page, "customer-02-confirmation")

    api = world.dispatcher
    found = wait_for(
        lambda: [
            t
            for t in api.get("/api/v1/tickets", params={"status": "new", "page_size": 50})
            if t["number"] == number
        ]
    )
    ticket = found[0]
    assert ticket["asset_id"] == world.asset["id"]

    token = (page.get_attribute("#tracking-link", "href") or "").rstrip("/").split("/")[-1]
    photos = api.get(f"/api/v1/tickets/{ticket['id']}/photos")
    assert len(photos) == 1, photos
    public = world.admin.http.get(f"{world.base}/api/v1/public/tracking/{token}/photos").json()
    assert len(public) == 1, public

    page.click("#tracking-link")
    page.wait_for_selector("#tracking")
    assert page.text_content("#ticket-number") == number
    page.wait_for_selector("#tracking-status[data-status=new]")
    screenshot(page, "customer-03-tracking-new")

    world.assign(ticket["id"], eng["id"], reason="customer e2e")
    page.reload()  # the page also polls; a reload is what a customer does
    page.wait_for_selector("#tracking-status[data-status=assigned]")
    assert page.text_content("#tracking-status") == "Assigned"
    screenshot(page, "customer-04-tracking-assigned")


def test_unknown_qr_code(phone):
    page = phone.new_page()
    res = page.goto("/r/no-such-label-123")
    assert res is not None and res.status == 404
    body = page.text_content("body") or ""
    assert "could not find this code" in body or "not known" in body
    screenshot(page, "customer-05-unknown-qr")
