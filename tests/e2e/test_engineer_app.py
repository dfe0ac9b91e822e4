"""Issue #12 — the engineer app as a user found it in Chromium on a phone (390x844).

Each assertion here failed before its fix: the SLA deadline never showed (the app read
``ticket.sla.resolve_by``), the customer's photos were grey boxes, Complete was offered before
the checklist was met, van stock did not go down offline, queued transitions were missing from
the history, "Last sync" was a raw UTC timestamp and internal codes reached the screen.
Conflicts (Acknowledge, plurals) are checked in test_conflict_reassign.py.
"""

from __future__ import annotations

import re

import requests

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import jpeg, login, pending, start_work, wait_controlled, wait_for

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _customer_report(world) -> dict:
    """A customer reports a fault on the asset's label with one photo (the public JSON API);
    returns the ticket as a dispatcher sees it once the photo's thumbnail is ready."""
    base = world.base
    res = world.report("Display flickers, then goes dark.", "Pia Public", "+49 30 5550001")
    assert res.status_code in (200, 201), res.text
    body = res.json()
    up = requests.post(
        f"{base}/api/v1/public/tracking/{body['tracking_token']}/photos",
        files={"file": ("fault.jpg", jpeg(800, 600, colour="#16a085")["buffer"], "image/jpeg")},
        timeout=30,
    )
    assert up.status_code in (200, 201), up.text
    api = world.dispatcher
    ticket = wait_for(
        lambda: next(
            (t for t in api.get("/api/v1/tickets", params={"status": "new", "page_size": 100})
             if t["number"] == body["ticket_number"]),
            None,
        )
    )  # fmt: skip
    photo = api.get(f"/api/v1/tickets/{ticket['id']}/photos")[0]
    wait_for(
        lambda: (
            api.http.get(f"{base}/api/v1/photos/{photo['id']}/thumb", timeout=30).status_code == 200
        )
    )
    return ticket


def no_internal_codes(text: str) -> None:
    for code in ("note.add", "ticket.transition", "off_shift", "SLA ok", "evidence_after"):
        assert code not in text, f"{code!r} on screen: {text[:400]}"
    assert not re.search(r"(^|\s)-\d+ h", text), text[:400]
    assert not ISO_UTC.search(text), text[:400]


def test_job_day_on_a_phone(world, phone):
    eng = world.engineer("Sven Screen")
    reported = _customer_report(world)
    world.assign(reported["id"], eng["id"], reason="e2e: engineer app")

    page = phone.new_page()
    login(page, eng["email"], eng["password"])
    job = f'a.job[data-ticket="{reported["id"]}"]'
    page.wait_for_selector(job)
    wait_controlled(page)
    # The SLA deadline is on the list, as a countdown.
    sla = page.locator(f"{job} .sla")
    assert sla.count() == 1, page.text_content(job)
    assert re.search(r"\d+ (h|min)", sla.text_content() or ""), sla.text_content()
    # "Last sync" is local and relative, never a raw UTC timestamp.
    page.wait_for_selector("#last-sync")
    wait_for(lambda: "never" not in (page.text_content("#last-sync") or ""))
    last = page.text_content("#last-sync") or ""
    assert not ISO_UTC.search(last), last
    no_internal_codes(page.text_content("body") or "")

    page.locator(job).click()
    page.wait_for_selector("#detail")
    assert page.locator("#detail .sla").count() == 1
    assert "Respond by" in (page.text_content("#detail .sla-respond") or "")  # not accepted yet
    # The customer's photo shows its server thumbnail, not a grey box.
    page.wait_for_selector("figure.photo img")
    loaded = "[...document.querySelectorAll('figure.photo img')]"
    wait_for(lambda: page.evaluate(f"{loaded}.every(i => i.complete && i.naturalWidth > 0)"))
    wait_for(lambda: page.locator("#part-select option").count() > 0)
    assert "(10)" in (page.text_content("#part-select") or "")

    phone.set_offline(True)
    page.wait_for_selector("#net-state.offline")
    start_work(page)
    # Transitions queued offline are in the history (created, assigned + four).
    assert page.locator("#history li").count() == 6, page.text_content("#history")
    # Complete waits for the checklist: what is missing shows on the job, the button is off.
    complete = page.locator("#actions button[data-action=complete]")
    assert complete.is_disabled()
    missing = page.text_content("#missing") or ""
    assert "signature" in missing.lower(), missing
    # Van stock goes down as soon as a part is used, offline.
    page.fill("#part-qty", "2")
    page.click("#add-part")
    page.wait_for_selector("li.part-usage")
    wait_for(lambda: "(8)" in (page.text_content("#part-select") or ""))
    screenshot(page, "phone-06-offline-checklist")
    no_internal_codes(page.text_content("body") or "")

    page.select_option("#lang", "zh-CN")
    page.wait_for_selector("html[lang=zh-CN]")
    no_internal_codes(page.text_content("body") or "")
    assert "in_progress" not in (page.text_content("body") or "")
    page.select_option("#lang", "en")
    # Still offline, the app reloaded, the browser's HTTP cache emptied (its copy expires after
    # minutes): the customer's photo comes from the service worker's cache.
    phone.new_cdp_session(page).send("Network.clearBrowserCache")
    page.reload()
    page.wait_for_selector("#detail")
    wait_for(lambda: page.evaluate(f"{loaded}.some(i => i.complete && i.naturalWidth > 0)"))
    phone.set_offline(False)
    wait_for(lambda: pending(page) == 0, timeout=30)
