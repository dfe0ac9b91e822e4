"""Scenario 1 — an offline day: everything done with no network reaches the server once."""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import (
    draw_signature,
    jpeg,
    login,
    pending,
    start_work,
    wait_controlled,
    wait_for,
    wait_status,
)


def test_offline_day(world, phone):
    eng = world.engineer("Olga Offline")
    tk = world.ticket("Oven does not heat", priority="P2", assign_to=eng)
    page = phone.new_page()
    page.goto("/app/")
    screenshot(page, "phone-01-login")
    login(page, eng["email"], eng["password"])
    job = f'a.job[data-ticket="{tk["id"]}"]'
    page.wait_for_selector(job)
    wait_controlled(page)
    screenshot(page, "phone-02-jobs")
    page.locator(job).click()  # a locator re-finds the card if the list re-renders
    page.wait_for_selector("#detail")
    wait_for(lambda: page.locator("#part-select option").count() > 0)
    # Who, where and what, as the engineer needs them on the way (synced with the ticket).
    assert "Acme Bakery" in page.text_content("#job-customer")
    assert page.get_attribute("#job-customer a", "href") == "tel:+49 30 1234567"
    assert "Acme Bakery Mitte, Torstr. 1, Berlin" in page.text_content("#job-site")
    assert "Oven 3 · HX-200" in page.text_content("#job-asset")
    assert page.locator("#history li").count() == 2  # created, assigned
    screenshot(page, "phone-02-job-detail")

    phone.set_offline(True)
    page.wait_for_selector("#net-state.offline")
    start_work(page)
    page.fill("#note-body", "Replaced the thermostat; oven heats again.")
    page.check("#note-customer")  # a note for the customer's service report
    page.click("#add-note")
    page.wait_for_selector("li.note >> text=Replaced the thermostat")
    page.set_input_files("#photo-input", [jpeg(colour="#c0392b"), jpeg(colour="#2980b9")])
    wait_for(lambda: page.locator("figure.photo").count() == 2)
    page.fill("#part-qty", "1")
    page.click("#add-part")
    page.wait_for_selector("li.part-usage")
    draw_signature(page)
    page.fill("#signer-name", "Anna Baker")
    assert page.text_content("#save-signature") == "Sign & complete job"
    page.click("#save-signature")
    wait_status(page, "completed")
    queued = pending(page)
    # 4 transitions + note + 2 photo.register + part + signoff, plus 2 photo uploads.
    assert queued == 11, queued
    assert page.evaluate("navigator.onLine") is False
    assert "Oven 3" in page.text_content("#job-asset")  # still there with no network
    screenshot(page, "phone-03-offline-detail")

    phone.set_offline(False)
    page.wait_for_selector("#net-state.online")
    wait_for(lambda: pending(page) == 0, timeout=30)
    screenshot(page, "phone-04-synced")

    api = world.dispatcher
    ticket = api.get(f"/api/v1/tickets/{tk['id']}")
    assert ticket["status"] == "completed"
    notes = api.get(f"/api/v1/tickets/{tk['id']}/notes")
    assert [(n["body"], n["customer_visible"]) for n in notes] == [
        ("Replaced the thermostat; oven heats again.", True)
    ]
    photos = wait_for(
        lambda: [
            p
            for p in api.get(f"/api/v1/tickets/{tk['id']}/photos")
            if p.get("status") not in (None, "registered", "pending")
        ]
    )
    assert len(photos) == 2
    parts = api.get(f"/api/v1/tickets/{tk['id']}/parts")["items"]
    assert len(parts) == 1 and float(parts[0]["quantity"]) == 1.0
    events = api.get(f"/api/v1/tickets/{tk['id']}/events")
    actions = [e["action"] for e in events]
    for action in ("accept", "start_travel", "arrive", "start_work", "complete"):
        assert actions.count(action) == 1, actions
