"""The SLA scan against the database and through a real rq burst worker."""

from __future__ import annotations

from datetime import timedelta

from rq import Queue
from sqlalchemy import select

from backend.db import db, utcnow
from backend.jobs.scheduler import Scheduler
from backend.notify.models import Notification
from backend.workorders.models import TicketEvent
from backend.workorders.operations import assign_ticket, transition
from backend.workorders.sla_scan import scan
from backend.workorders.tasks import SLA_SCAN_QUEUE


def _events(ticket):
    stmt = select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.action.like("sla_%")
    )
    return list(db.session.scalars(stmt.order_by(TicketEvent.at)))


def _notes(ticket):
    stmt = select(Notification).where(Notification.ticket_id == ticket.id)
    return list(db.session.scalars(stmt.order_by(Notification.created_at)))


def test_scan_marks_at_risk_then_breached_once_each(make_ticket):
    now = utcnow()
    # P1 resolve window 4 h, respond 1 h: created 50 min ago -> respond clock 83% used.
    ticket = make_ticket(priority="P1", now=now - timedelta(minutes=50))
    fresh = make_ticket(priority="P4", now=now - timedelta(minutes=5))

    first = scan(now)
    assert first.at_risk == [ticket.number] and not first.breached
    assert (ticket.sla_state, fresh.sla_state) == ("at_risk", "ok")

    again = scan(now + timedelta(minutes=1))
    assert not (again.at_risk or again.breached)  # unchanged state: no new event/notification

    later = scan(now + timedelta(minutes=15))
    assert later.breached == [ticket.number]
    assert ticket.sla_state == "breached"
    scan(now + timedelta(minutes=20))

    events = _events(ticket)
    assert [e.action for e in events] == ["sla_at_risk", "sla_breached"]
    assert all(e.via == "system" and e.actor_id is None for e in events)
    assert events[1].data["sla_from"] == "at_risk"
    notes = _notes(ticket)
    assert [(n.kind, n.role) for n in notes] == [
        ("sla_at_risk", "dispatcher"),
        ("sla_breached", "dispatcher"),
    ]
    assert ticket.number in notes[1].title
    assert _events(fresh) == [] and _notes(fresh) == []


def test_responding_stops_respond_clock(make_ticket, make_user):
    now = utcnow()
    ticket = make_ticket(priority="P1", now=now - timedelta(minutes=50))
    engineer = make_user("engineer")
    assign_ticket(ticket, engineer, actor=None)
    transition(ticket, engineer, "accept")
    db.session.commit()
    # Respond clock met; resolve clock only ~21% used.
    assert scan(now).scanned == 0
    assert ticket.sla_state == "ok"


def test_cancelled_tickets_are_not_scanned(make_ticket, make_user):
    now = utcnow()
    ticket = make_ticket(priority="P1", now=now - timedelta(hours=10))
    transition(ticket, make_user("dispatcher"), "cancel", reason="duplicate")
    db.session.commit()
    result = scan(now)
    assert result.scanned == 0 and ticket.sla_state == "ok"


def test_priority_change_recovers_without_notification(make_ticket, make_user, app):
    from backend.workorders.operations import update_ticket

    now = utcnow()
    ticket = make_ticket(priority="P1", now=now - timedelta(minutes=50))
    scan(now)
    assert ticket.sla_state == "at_risk"
    dispatcher = make_user("dispatcher")
    update_ticket(
        ticket,
        actor=dispatcher,
        changes={"priority": "P4"},
        version=ticket.version,
        sla_policy=app.config["SLA_POLICY"],
    )
    result = scan(now)
    assert result.recovered == [ticket.number] and ticket.sla_state == "ok"
    assert [n.kind for n in _notes(ticket)] == ["sla_at_risk"]
    assert [e.action for e in _events(ticket)] == ["sla_at_risk", "sla_ok"]


def test_scan_job_from_the_scheduler_through_a_real_worker(
    make_ticket, run_jobs, redis_client, app
):
    now = utcnow()
    at_risk = make_ticket(priority="P2", now=now - timedelta(hours=3, minutes=30))
    breached = make_ticket(priority="P1", now=now - timedelta(hours=5))
    scheduler = Scheduler(redis_client, app.config)
    assert "backend.workorders.tasks.sla_scan" in scheduler.tick()
    q = Queue(SLA_SCAN_QUEUE, connection=redis_client)
    (job,) = [j for j in q.jobs if j.func_name == "backend.workorders.tasks.sla_scan"]
    run_jobs()
    job.refresh()
    assert job.get_status() == "finished", job.latest_result()
    result = job.return_value()
    assert result["at_risk"] == [at_risk.number] and result["breached"] == [breached.number]
    db.session.expire_all()
    assert (at_risk.sla_state, breached.sla_state) == ("at_risk", "breached")
    assert [n.kind for n in _notes(breached)] == ["sla_breached"]
    # The scheduler, not the job, brings the next scan: nothing is due again in this slot.
    assert scheduler.tick() == []
