"""Arrival windows through the candidate list and the assign endpoint the timeline's
drag-and-drop uses: starting after the window is a broken rule that needs a reason, and the
reason and the window are kept in the decision and the audit event."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from backend.db import db, utcnow
from backend.workorders.models import Ticket, TicketEvent


def url(ticket, what):
    return f"/api/v1/dispatch/tickets/{ticket.id}/{what}"


def windowed(make_ticket, start, end):
    t = make_ticket()
    db.session.execute(
        update(Ticket).where(Ticket.id == t.id).values(window_start=start, window_end=end)
    )
    db.session.commit()
    db.session.refresh(t)
    return t


def same_time(iso, when):
    return datetime.fromisoformat(iso) == when


def test_candidates_explain_the_window(
    client, auth, make_user, make_region, make_engineer, make_ticket
):
    region = make_region()
    near = make_engineer(13.405, 52.52, regions=[region])
    far = make_engineer(13.75, 52.52, regions=[region])  # ~25 km: ~50 min away
    now = utcnow()
    t = windowed(make_ticket, now - timedelta(hours=1), now + timedelta(minutes=20))
    r = client.get(url(t, "candidates"), headers=auth(make_user("dispatcher")))
    assert r.status_code == 200, r.json
    rows = {c["engineer_id"]: c for c in r.json}
    assert rows[str(near.id)]["eligible"] and rows[str(near.id)]["window"]["late_min"] == 0
    late = rows[str(far.id)]
    assert late["reasons"] == ["outside_window"] and late["window"]["late_min"] > 20
    assert same_time(late["window"]["end"], t.window_end)

    # A window opening in two hours: everyone waits; the ETA is the window's start.
    later = windowed(make_ticket, now + timedelta(hours=2), now + timedelta(hours=4))
    r = client.get(url(later, "candidates"), headers=auth(make_user("dispatcher")))
    first = r.json[0]
    assert first["eligible"] and first["window"]["wait_min"] > 60
    assert same_time(first["eta"], later.window_start)


def test_dropping_a_job_where_it_starts_after_its_window_needs_a_reason(
    client, auth, make_user, make_region, make_engineer, make_ticket
):
    region = make_region()
    make_engineer(13.405, 52.52, regions=[region])
    far = make_engineer(13.75, 52.52, regions=[region])
    now = utcnow()
    t = windowed(make_ticket, now - timedelta(hours=1), now + timedelta(minutes=20))
    disp = make_user("dispatcher")
    r = client.post(url(t, "assign"), json={"engineer_id": str(far.id)}, headers=auth(disp))
    assert r.status_code == 409, r.json
    assert r.json["kind"] == "hard_rules_broken"
    assert r.json["broken_rules"] == ["outside_window"]
    assert "reason" in r.json["errors"] and "outside_window" in r.json["errors"]["reason"][0]
    assert db.session.get(Ticket, t.id).assignee_id is None

    r = client.post(
        url(t, "assign"),
        json={"engineer_id": str(far.id), "reason": "customer agreed to a later visit"},
        headers=auth(disp),
    )
    assert r.status_code == 200, r.json
    assert r.json["override"] is True and r.json["broken_rules"] == ["outside_window"]
    assert r.json["override_reason"] == "customer agreed to a later visit"
    event = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.action == "assign")
    ).one()
    assert event.reason == "customer agreed to a later visit"
    assert event.data["broken_rules"] == ["outside_window"]
    assert event.data["window"]["late_min"] > 20
    assert same_time(event.data["window"]["end"], t.window_end)
