"""Every event type comes from the real operation where it happens (the ticket's audit trail,
the conflict record, the applied plan), and reaches the receiver signed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from backend.db import db
from backend.parts import operations as parts_ops
from backend.public.operations import rate
from backend.sync.conflicts import record_conflict
from backend.webhooks.models import WebhookDelivery
from backend.webhooks.operations import EVENT_TYPES
from backend.workorders.operations import assign_ticket, transition
from backend.workorders.sla_scan import scan
from tests.factories import BERLIN, square


def _types() -> list[str]:
    db.session.expire_all()
    return [
        d.event_type
        for d in db.session.scalars(
            select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        )
    ]


def _payloads(event_type: str) -> list[dict]:
    return [
        d.payload
        for d in db.session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event_type == event_type)
        )
    ]


def test_a_tickets_life_announces_created_assigned_status_changed_completed_rated(
    subscribe, receiver, make_user, make_ticket, no_completion_rules, run_jobs
):
    subscribe(*EVENT_TYPES)
    dispatcher, engineer = make_user("dispatcher"), make_user("engineer")
    ticket = make_ticket(actor=dispatcher, source="public")
    assert _types() == ["ticket.created"]
    assign_ticket(ticket, engineer, actor=dispatcher)
    db.session.commit()
    assert sorted(_types()[1:]) == ["ticket.assigned", "ticket.status_changed"]
    for action in ("accept", "start_travel", "arrive", "start_work", "complete"):
        transition(ticket, engineer, action)
    db.session.commit()
    # (one event's types share its time: their order among themselves is not defined)
    assert sorted(_types()[3:]) == ["ticket.completed"] + ["ticket.status_changed"] * 5
    rate(ticket.tracking_token, score=4, comment="quick")
    db.session.commit()
    assert _types()[-1] == "ticket.rated"
    (rated,) = _payloads("ticket.rated")
    assert rated["data"]["ticket"]["rating"] == 4
    assert rated["data"]["event"]["data"] == {"score": 4}
    (completed,) = _payloads("ticket.completed")
    assert completed["data"]["event"]["to_status"] == "completed"
    assert completed["data"]["event"]["actor_id"] == str(engineer.id)
    run_jobs()
    assert len(receiver.received) == len(_types()) == 10
    assert all(r["verified"] for r in receiver.received)


def test_sla_scan_announces_at_risk_then_breached(subscribe, make_ticket, receiver):
    subscribe("ticket.sla_at_risk", "ticket.sla_breached", "ticket.status_changed")
    ticket = make_ticket(priority="P1")
    window = ticket.respond_by - ticket.created_at
    scan(now=ticket.created_at + window * 0.8)
    db.session.commit()
    assert _types() == ["ticket.sla_at_risk"]
    scan(now=ticket.resolve_by + timedelta(minutes=1))
    db.session.commit()
    assert _types() == ["ticket.sla_at_risk", "ticket.sla_breached"]
    (breached,) = _payloads("ticket.sla_breached")
    assert breached["data"]["ticket"]["sla_state"] == "breached"
    assert breached["data"]["event"]["data"]["sla_from"] == "at_risk"


def test_parts_used_on_a_job_are_announced(subscribe, receiver, make_user, make_ticket, run_jobs):
    subscribe("parts.consumed")
    dispatcher, engineer = make_user("dispatcher"), make_user("engineer")
    ticket = make_ticket()
    assign_ticket(ticket, engineer, actor=dispatcher)
    for action in ("accept", "start_travel", "arrive", "start_work"):
        transition(ticket, engineer, action)
    part = parts_ops.create_part(actor=dispatcher, sku="FLT-10", name="Air filter")
    van = parts_ops.create_location(
        actor=dispatcher, name="Van", kind="van", engineer_id=engineer.id
    )
    parts_ops.post_movement(
        actor=dispatcher, part_id=part.id, quantity=Decimal(5), to_location_id=van.id
    )
    db.session.commit()
    assert _types() == []
    parts_ops.consume_part(ticket, engineer, part_id=part.id, quantity=Decimal(2))
    db.session.commit()
    assert _types() == ["parts.consumed"]
    (used,) = _payloads("parts.consumed")
    assert used["data"]["event"]["data"]["part_id"] == str(part.id)
    assert Decimal(used["data"]["event"]["data"]["quantity"]) == 2
    run_jobs()
    assert receiver.verified()[0]["payload"]["type"] == "parts.consumed"


def test_a_conflict_is_announced(subscribe, receiver, make_user, make_ticket, run_jobs):
    subscribe("conflict.raised")
    engineer = make_user("engineer")
    ticket = make_ticket()
    record_conflict(
        actor=engineer,
        kind="stale_version",
        message="the ticket changed while you were offline",
        entity="ticket",
        entity_id=ticket.id,
        ticket_id=ticket.id,
        mine={"title": "mine"},
        theirs={"title": "theirs"},
    )
    db.session.commit()
    (raised,) = _payloads("conflict.raised")
    assert raised["data"]["conflict"]["ticket_id"] == str(ticket.id)
    assert raised["data"]["conflict"]["kind"] == "stale_version"
    run_jobs()
    assert receiver.verified()[0]["payload"]["data"]["conflict"]["actor_id"] == str(engineer.id)


def test_an_applied_plan_is_announced(
    client, auth, subscribe, receiver, make_user, make_region, make_engineer, make_ticket
):
    subscribe("plan.applied", "ticket.assigned")
    region = make_region(square(*BERLIN, half=0.2))
    make_engineer(13.30, 52.52, regions=[region], name="West")
    make_ticket(lon=13.31, lat=52.52, priority="P2")
    dispatcher = make_user("dispatcher")
    headers = auth(dispatcher)
    body = {"region_id": str(region.id)}
    shown = client.post("/api/v1/dispatch/optimize", json=body, headers=headers)
    assert shown.status_code == 200, shown.json
    assert _types() == []  # a preview changes nothing, announces nothing
    plan = shown.json["plan"]
    approved = {k: plan[k] for k in ("fingerprint", "inputs", "changes")}
    done = client.post(
        "/api/v1/dispatch/optimize",
        json={**body, "apply": True, "preview": approved},
        headers=headers,
    )
    assert done.status_code == 200, done.json
    assert sorted(_types()) == ["plan.applied", "ticket.assigned"]
    (applied,) = _payloads("plan.applied")
    assert applied["data"]["actor_id"] == str(dispatcher.id)
    assert applied["data"]["plan"]["fingerprint"] == plan["fingerprint"]
    assert applied["data"]["plan"]["summary"]["moves"] == 1


def test_a_sync_push_announces_what_it_applied_and_nothing_it_refused(
    client, auth, subscribe, receiver, make_user, make_ticket, run_jobs
):
    """A phone's transitions are announced like any other (``via: sync``); a mutation the
    server refuses announces nothing. (That a savepoint rolling back takes its deliveries and
    outbox rows along: test_webhooks.test_a_rolled_back_write_delivers_nothing.)"""
    from tests.sync.phone import Phone

    subscribe("ticket.status_changed", "ticket.completed", "conflict.raised")
    dispatcher, alice = make_user("dispatcher"), make_user("engineer")
    ticket = make_ticket()
    assign_ticket(ticket, alice, actor=dispatcher)
    db.session.commit()
    before = len(_types())
    phone = Phone(alice.id)
    phone.queue("ticket.transition", ticket_id=ticket.id, action="accept")
    phone.queue("ticket.transition", ticket_id=ticket.id, action="complete")  # not from accepted
    res = client.post("/api/v1/sync/push", json=phone.envelope(), headers=auth(alice))
    assert res.status_code == 200, res.json
    statuses = [r["status"] for r in res.json["results"]]
    assert statuses[0] == "applied" and statuses[1] != "applied"
    added = _types()[before:]
    assert "ticket.completed" not in added
    assert added.count("ticket.status_changed") == 1
    events = [p["data"]["event"] for p in _payloads("ticket.status_changed")]
    (accepted,) = [e for e in events if e["action"] == "accept"]
    assert accepted["via"] == "sync"
    run_jobs()
    assert len(receiver.received) == len(_types())
