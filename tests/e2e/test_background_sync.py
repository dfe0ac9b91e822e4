"""Background sync with the app closed: work queued offline leaves the phone when the browser
fires the service worker's sync event, with no page of the app open.

Chromium fires Background Sync on its own network changes, which a test's emulated
offline/online does not produce, so the test fires the same event through the DevTools
protocol (``ServiceWorker.dispatchSyncEvent``); the service worker's code runs as it would.
"""

from __future__ import annotations

from tests.e2e.helpers import act, open_job, pending, wait_for

NOTE = "Compressor replaced; note written in the basement."


def _app_registration(cdp, page) -> tuple[str, str]:
    """(registration id, origin) of the engineer app's service worker in this context.
    Waits through ``page.wait_for_timeout``: Playwright's sync API delivers protocol events
    only while one of its calls runs, never during a plain sleep."""
    found: dict[str, str] = {}

    def on_update(event: dict) -> None:
        for reg in event["registrations"]:
            if reg["scopeURL"].endswith("/app/") and not reg.get("isDeleted"):
                found["id"], found["scope"] = reg["registrationId"], reg["scopeURL"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", on_update)
    cdp.send("ServiceWorker.enable")
    for _ in range(100):
        if "id" in found:
            break
        page.wait_for_timeout(100)
    assert "id" in found, "no service worker registration for /app/ reported"
    return found["id"], found["scope"].removesuffix("/app/")


def test_service_worker_syncs_with_the_app_closed(world, phone):
    eng = world.engineer("Bea Background")
    tk = world.ticket("Cold room alarm", priority="P3", assign_to=eng)
    page, job = open_job(phone, eng, tk)

    phone.set_offline(True)
    page.wait_for_selector("#net-state.offline")
    act(page, "accept", "accepted")
    page.fill("#note-body", NOTE)
    page.click("#add-note")
    page.wait_for_selector(f"li.note >> text={NOTE}")
    assert pending(page) == 2
    page.close()  # the engineer puts the phone away: no page of the app is left

    api = world.dispatcher
    assert api.get(f"/api/v1/tickets/{tk['id']}")["status"] == "assigned"
    phone.set_offline(False)
    # A page outside the app's scope, only to reach the browser's DevTools protocol.
    probe = phone.new_page()
    probe.goto("/api/v1/openapi.json")
    cdp = phone.new_cdp_session(probe)
    registration_id, origin = _app_registration(cdp, probe)
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": origin,
            "registrationId": registration_id,
            "tag": "fieldops-sync",
            "lastChance": False,
        },
    )
    wait_for(lambda: api.get(f"/api/v1/tickets/{tk['id']}")["status"] == "accepted", timeout=30)
    notes = api.get(f"/api/v1/tickets/{tk['id']}/notes")
    assert [n["body"] for n in notes] == [NOTE]

    # Opening the app again: the queue is empty and the confirmed state is the server's.
    page = phone.new_page()
    page.goto("/app/")
    page.wait_for_selector(job)
    wait_for(lambda: pending(page) == 0)
    accepts = [e for e in api.get(f"/api/v1/tickets/{tk['id']}/events") if e["action"] == "accept"]
    assert len(accepts) == 1  # once, however the page and the worker took turns
