"""Rules run after the event commits (an outbox job on a real rq worker), in order, through
the ordinary operations, audited via='automation' with the rule; and a rule that triggers
itself stops at MAX_DEPTH."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from backend.automation.engine import MAX_DEPTH
from backend.automation.models import AutomationRun
from backend.db import db
from backend.notify.models import Notification
from backend.workorders.models import Note, Ticket, TicketEvent
from backend.workorders.operations import assign_ticket


def _events(ticket: Ticket) -> list[TicketEvent]:
    db.session.expire_all()
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.at)
    return list(db.session.scalars(stmt))


def test_a_matching_rule_acts_after_commit_audited_as_automation(
    rule, make_ticket, make_asset, make_skill, run_jobs
):
    make_skill("refrigeration")
    r = rule(
        conditions=[{"field": "asset.model", "op": "eq", "value": "cx-900"}],
        actions=[
            {"type": "set_priority", "priority": "P1"},
            {"type": "require_skill", "skill": "refrigeration"},
            {"type": "add_note", "body": "Chiller: priority raised by rule"},
        ],
    )
    asset = make_asset()
    ticket = make_ticket(asset_id=asset.id, priority="P3")
    other = make_ticket(priority="P3")  # no asset: the condition does not hold
    assert db.session.get(Ticket, ticket.id).priority == "P3"  # nothing before the job
    run_jobs()
    db.session.expire_all()
    t = db.session.get(Ticket, ticket.id)
    assert t.priority == "P1" and t.required_skills == ["refrigeration"]
    assert db.session.get(Ticket, other.id).priority == "P3"
    automated = [e for e in _events(ticket) if e.via == "automation"]
    assert [e.action for e in automated] == ["update", "update", "note"]
    assert all(e.data["automation"] == {"rule_id": str(r.id), "depth": 1} for e in automated)
    assert automated[0].actor_id == r.updated_by_id
    notes = db.session.scalars(select(Note).where(Note.ticket_id == ticket.id)).all()
    assert [n.body for n in notes] == ["Chiller: priority raised by rule"]
    (run,) = db.session.scalars(select(AutomationRun).where(AutomationRun.rule_id == r.id)).all()
    assert run.ticket_id == ticket.id and run.depth == 1
    assert [o["ok"] for o in run.outcome] == [True, True, True]


def test_rules_run_in_order_and_a_disabled_rule_not_at_all(rule, make_ticket, run_jobs):
    first = rule(name="raise", actions=[{"type": "set_priority", "priority": "P1"}])
    rule(
        name="note P1",
        conditions=[{"field": "ticket.priority", "op": "eq", "value": "P1"}],
        actions=[{"type": "add_note", "body": "now P1"}],
    )
    rule(name="off", enabled=False, actions=[{"type": "set_priority", "priority": "P4"}])
    ticket = make_ticket(priority="P3")
    run_jobs()
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).priority == "P1"
    notes = db.session.scalars(select(Note.body).where(Note.ticket_id == ticket.id)).all()
    assert notes == ["now P1"]  # the second rule saw the first one's change
    runs = db.session.scalars(select(AutomationRun).order_by(AutomationRun.at)).all()
    assert len(runs) == 2 and runs[0].rule_id == first.id


def test_a_refused_action_is_recorded_and_the_others_still_run(
    rule, make_ticket, make_region, run_jobs
):
    region = make_region(name="North")
    rule(
        actions=[
            {"type": "route_to_region", "region_id": str(region.id)},
            {"type": "set_priority", "priority": "P2"},
        ]
    )
    db.session.delete(region)  # gone after the rule was saved
    db.session.commit()
    ticket = make_ticket()
    run_jobs()
    (run,) = db.session.scalars(select(AutomationRun)).all()
    assert run.outcome[0] == {
        "type": "route_to_region",
        "ok": False,
        "detail": f"region {region.id} does not exist",
    }
    assert run.outcome[1]["ok"] is True
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).priority == "P2"


def test_route_to_region_puts_the_ticket_there(rule, make_ticket, make_region, run_jobs):
    far = make_region(
        name="Far away",
        area={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
    )
    rule(actions=[{"type": "route_to_region", "region_id": str(far.id)}])
    ticket = make_ticket()
    run_jobs()
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).region_ids == [far.id]
    (route,) = [e for e in _events(ticket) if e.action == "route"]
    assert route.via == "automation" and route.data["to_regions"] == [str(far.id)]


def test_a_rule_that_triggers_itself_stops_at_the_depth_limit(
    rule, make_ticket, make_user, run_jobs
):
    dispatcher = make_user("dispatcher")
    one, two = make_user("engineer"), make_user("engineer")
    # On every assignment, hand the ticket to two and back to one: each run causes two more
    # assignments, each of which would run the rule again.
    r = rule(
        event="ticket.assigned",
        actions=[
            {"type": "escalate", "user_id": str(two.id)},
            {"type": "escalate", "user_id": str(one.id)},
        ],
    )
    ticket = make_ticket(actor=dispatcher)
    assign_ticket(ticket, one, actor=dispatcher)
    db.session.commit()
    run_jobs()
    runs = db.session.scalars(select(AutomationRun).where(AutomationRun.rule_id == r.id)).all()
    assert MAX_DEPTH == 3
    assert Counter(run.depth for run in runs) == {1: 1, 2: 2, 3: 4}  # and nothing deeper
    deepest = [e for e in _events(ticket) if e.data.get("automation", {}).get("depth") == 3]
    assert len(deepest) == 8  # the last runs' assignments, heard but not evaluated
    assert run_jobs() == 0  # nothing left queued
    notified = db.session.scalars(
        select(Notification).where(Notification.kind == "automation_escalation")
    ).all()
    assert len(notified) == 14  # two per run


def test_notify_and_escalate_reach_the_people_named(rule, make_ticket, make_user, run_jobs):
    manager = make_user("dispatcher")
    rule(
        actions=[
            {"type": "notify", "role": "admin", "title": "New ticket", "body": "look"},
            {"type": "escalate", "user_id": str(manager.id), "reason": "VIP"},
        ]
    )
    ticket = make_ticket()
    run_jobs()
    rows = db.session.scalars(
        select(Notification).where(Notification.ticket_id == ticket.id).order_by(Notification.kind)
    ).all()
    by_kind = {n.kind: n for n in rows}
    assert by_kind["automation"].role == "admin"
    assert by_kind["automation_escalation"].user_id == manager.id
    assert by_kind["automation_escalation"].body == "VIP"
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).assignee_id is None  # staff: notified, not assigned
