"""A job type's checklist in the engineer app (Chromium, a phone): the definition comes with the
synced job, the app shows the job type's description and suggested parts, answers are queued
offline and checked with the server's rules (a number out of range is marked failed at once),
Complete waits for the required items, and after sync the server holds the same answers."""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import open_job, pending, start_work, wait_for, wait_status

CHECKLIST = {
    "sections": [
        {
            "title": "Safety",
            "items": [
                {"key": "isolated", "label": "Unit isolated", "type": "yes_no", "required": True},
                {
                    "key": "leak",
                    "label": "Refrigerant leak",
                    "type": "single_choice",
                    "choices": ["none", "minor", "major"],
                    "required": True,
                },
                {
                    "key": "leak_size",
                    "label": "Leak size",
                    "type": "text",
                    "required": True,
                    "show_if": {"item": "leak", "any_of": ["minor", "major"]},
                },
            ],
        },
        {
            "title": "Readings",
            "items": [
                {
                    "key": "oil_pressure",
                    "label": "Oil pressure",
                    "type": "number",
                    "unit": "bar",
                    "min": 2,
                    "max": 4.5,
                    "required": True,
                },
                {"key": "remarks", "label": "Remarks", "type": "text"},
            ],
        },
    ]
}


def test_checklist_offline_on_a_phone(world, phone):
    eng = world.engineer("Cora Checklist")
    jt = world.admin.post(
        "/api/v1/job-types",
        {
            "name": f"Chiller inspection {eng['id'][:6]}",
            "description": "Quarterly inspection: isolate, check for leaks, read the oil pressure.",
            "default_priority": "P3",
            "estimated_minutes": 90,
            "suggested_parts": [{"part_id": world.part["id"], "quantity": 2}],
            "completion_rules": {"signature": False, "parts": False, "photos": 0},
            "checklist": CHECKLIST,
        },
    )
    tk = world.admin.post(
        "/api/v1/tickets",
        {"title": "Quarterly inspection", "job_type_id": jt["id"], "asset_id": world.asset["id"]},
    )
    world.assign(tk["id"], eng["id"])

    page, _ = open_job(phone, eng, tk)
    page.wait_for_selector("#job-checklist")
    assert "isolate, check for leaks" in (page.text_content("#job-type-description") or "")
    assert "Air filter" in (page.text_content("#suggested-parts") or "")
    start_work(page)

    phone.set_offline(True)
    # Nothing answered: Complete is disabled and the missing items are named by their labels.
    missing = page.text_content("#missing") or ""
    assert "Unit isolated" in missing and "Oil pressure" in missing, missing
    assert page.is_disabled("#actions button[data-action=complete]")
    assert page.locator('li[data-item="leak_size"]').count() == 0  # hidden by its condition

    page.click('li[data-item="isolated"] button[data-answer=yes]')
    page.wait_for_selector('li[data-item="isolated"][data-answered=true]')
    page.select_option("#jc-leak", "minor")
    page.wait_for_selector('li[data-item="leak_size"]')  # the condition shows it
    page.fill("#jc-oil_pressure", "6.2")
    page.press("#jc-oil_pressure", "Tab")
    page.wait_for_selector('li[data-item="oil_pressure"][data-failed=true]')
    missing = page.text_content("#missing") or ""
    assert "Leak size" in missing and "Oil pressure" not in missing, missing
    page.select_option("#jc-leak", "none")  # hides it again: nothing required is missing
    wait_for(lambda: page.locator("#missing").count() == 0)
    assert not page.is_disabled("#actions button[data-action=complete]")
    assert pending(page) >= 4
    screenshot(page, "job-checklist-offline")

    phone.set_offline(False)
    wait_for(lambda: pending(page) == 0, timeout=60)
    server = world.admin.get(f"/api/v1/tickets/{tk['id']}/checklist")
    assert {a["item_key"]: a["value"] for a in server["answers"]} == {
        "isolated": "yes",
        "leak": "none",
        "oil_pressure": 6.2,
    }
    assert server["failed"] == [{"key": "oil_pressure", "label": "Oil pressure"}]
    assert server["missing"] == []

    page.click("#actions button[data-action=complete]")
    wait_status(page, "completed")
    wait_for(lambda: world.admin.get(f"/api/v1/tickets/{tk['id']}")["status"] == "completed")
