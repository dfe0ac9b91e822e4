"""Scenario 2 — the dispatcher reassigns a job while its engineer works offline.

On reconnect the engineer's transition comes back as a conflict (shown in the conflicts list,
never dropped), the job leaves "my jobs", and the evidence gathered offline (note, photo) is
still kept by the server on the reassigned ticket. The conflicts the server recorded for that
evidence can be acknowledged on the phone, which clears the badge for good (issue #12: they had
no Acknowledge, the badge read "1 Conflicts", and internal codes such as ``note.add`` showed).
"""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import act, jpeg, open_job, pending, wait_for
from tests.e2e.test_engineer_app import no_internal_codes


def test_conflict_on_reassignment(world, phone):
    eng = world.engineer("Carl Conflict")
    other = world.engineer("Rita Reassigned", lon=13.42, lat=52.51)
    tk = world.ticket("Fridge alarm beeping", priority="P2", assign_to=eng)
    page, job = open_job(phone, eng, tk)

    phone.set_offline(True)
    page.wait_for_selector("#net-state.offline")
    page.fill("#note-body", "Compressor relay clicks; needs a new relay.")
    page.click("#add-note")
    page.wait_for_selector("li.note >> text=Compressor relay clicks")
    page.set_input_files("#photo-input", [jpeg(colour="#27ae60")])
    wait_for(lambda: page.locator("figure.photo").count() == 1)
    act(page, "accept", "accepted")
    # note + photo.register + transition, plus the photo bytes.
    assert pending(page) == 4, pending(page)

    # Meanwhile, the dispatcher gives the job to someone else.
    world.assign(tk["id"], other["id"], reason="customer asked for Rita")

    phone.set_offline(False)
    page.wait_for_selector("#net-state.online")
    wait_for(lambda: pending(page) == 0, timeout=30)
    badge = page.wait_for_selector("#conflict-count")
    count, word = (badge.text_content() or "").split(maxsplit=1)
    assert word == ("conflict" if count == "1" else "conflicts"), badge.text_content()

    page.goto("/app/#/")
    page.wait_for_selector("#jobs")
    # Within one sync: a pull sees changes older than the oldest transaction still running
    # anywhere on the cluster (it never skips one), so a pull made while another test's or
    # job's transaction is open gets the reassignment on the next periodic sync (30 s).
    wait_for(lambda: page.locator(job).count() == 0, timeout=45)

    page.click("#conflict-count")
    page.wait_for_selector("#conflicts li.conflict-item")
    items = page.locator("#conflicts li.conflict-item")
    names = [items.nth(i).get_attribute("data-name") for i in range(items.count())]
    assert "ticket.transition" in names, names
    # ... shown in words, never as the internal code.
    labels = [items.nth(i).locator("strong").text_content() for i in range(items.count())]
    assert "Status change" in labels and "ticket.transition" not in labels, labels
    # The job is gone from the synced state, yet the list still says which job it was.
    for i in range(items.count()):
        assert "Fridge alarm beeping" in (items.nth(i).text_content() or "")
    screenshot(page, "phone-05-conflicts")
    no_internal_codes(page.text_content("#conflicts") or "")
    server_side = page.locator("#conflicts li.conflict-item[data-source=server]")
    assert server_side.count() >= 1  # the server's evidence_after_reassign records
    # Acknowledge each one: the badge goes, and stays gone after a reload.
    acks = page.locator("#conflicts button.ack")
    for left in range(acks.count(), 0, -1):
        acks.first.click()
        wait_for(lambda n=left: acks.count() < n)
    wait_for(lambda: page.locator("#conflict-count").count() == 0)
    page.reload()
    page.wait_for_selector("#conflicts li.conflict-item")
    assert page.locator("#conflict-count").count() == 0

    api = world.dispatcher
    ticket = api.get(f"/api/v1/tickets/{tk['id']}")
    assert ticket["assignee_id"] == other["id"], ticket
    notes = api.get(f"/api/v1/tickets/{tk['id']}/notes")
    assert [n["body"] for n in notes] == ["Compressor relay clicks; needs a new relay."]
    photos = wait_for(
        lambda: [
            p
            for p in api.get(f"/api/v1/tickets/{tk['id']}/photos")
            if p.get("status") not in (None, "registered", "pending")
        ]
    )
    assert len(photos) == 1
