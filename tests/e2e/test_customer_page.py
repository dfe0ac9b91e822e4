"""The customer page (/r/<qr>, /t/<tracking>) on a phone: what it shows after the job is done,
switching language while filling the form, and the rating control.

Each test failed before its fix: the completed job showed an expected arrival and no link to
the service report; switching language erased what was typed, left the title in English and
the confirmation had no switch; the rating was five "★n" buttons that did nothing without a
score and told assistive technology nothing."""

from __future__ import annotations

import re
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


def test_switching_language_keeps_what_was_typed(world, phone):
    page = phone.new_page()
    page.goto(f"/r/{world.asset['qr_token']}")
    page.wait_for_selector("#asset-name >> text=Oven 3")
    assert page.title().endswith("Report a fault")
    page.fill("#description", "Oven door will not close.")
    page.fill("#contact-name", "Lin Wei")
    page.fill("#contact-phone", "+49 30 2222")
    page.click("#lang")
    page.wait_for_selector("label[for=description] >> text=出了什么问题")
    assert page.input_value("#description") == "Oven door will not close."
    assert page.input_value("#contact-name") == "Lin Wei"
    assert page.input_value("#contact-phone") == "+49 30 2222"
    assert "报修" in page.title(), page.title()
    assert page.get_attribute("html", "lang") == "zh-CN"
    screenshot(page, "customer-11-form-zh")

    page.click("#send")
    page.wait_for_selector("#confirmation")
    assert "谢谢" in (page.text_content("#confirmation") or "")
    page.click("#lang")  # the confirmation has the switch too
    wait_for(lambda: "Thank you" in (page.text_content("#confirmation") or ""))
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("#ticket-number").text_content()
    screenshot(page, "customer-12-confirmation-en")


def test_rating_is_an_accessible_control_that_explains_itself(world, phone):
    token, ticket_id = _completed_job(world, "Dishwasher leaks.")
    page = phone.new_page()
    page.goto(f"/t/{token}")
    group = page.get_by_role("radiogroup", name="How did we do?")
    group.wait_for()
    stars = group.get_by_role("radio")
    assert stars.count() == 5
    assert [stars.nth(i).get_attribute("aria-label") or "" for i in range(5)] == [
        "1 of 5 stars",
        "2 of 5 stars",
        "3 of 5 stars",
        "4 of 5 stars",
        "5 of 5 stars",
    ]

    # Sending without a score says why instead of doing nothing.
    page.get_by_role("button", name="Send rating").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "choose" in (alert.text_content() or "").lower()

    # Keyboard: focus the group, arrow to four stars; the state is visible to everyone.
    stars.nth(0).focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    four = group.get_by_role("radio", name="4 of 5 stars")
    assert four.is_checked()
    assert not group.get_by_role("radio", name="5 of 5 stars").is_checked()
    screenshot(page, "customer-13-rating-chosen")

    page.fill("#rating-comment", "Quick and tidy.")
    page.click("#lang")  # the choice and the comment survive a language switch
    zh = page.get_by_role("radiogroup", name="请评价本次服务")
    zh.wait_for()
    assert zh.get_by_role("radio", name=re.compile("^4 星")).is_checked()
    assert page.input_value("#rating-comment") == "Quick and tidy."
    page.click("#lang")
    page.get_by_role("button", name="Send rating").click()
    page.wait_for_selector("#rating-done")
    events = world.admin.get(f"/api/v1/tickets/{ticket_id}/events")
    assert [e["data"] for e in events if e["action"] == "rate"] == [{"score": 4}], events
    screenshot(page, "customer-14-rated")
