"""Dry run: what a rule (saved or not) would have done over the last days. Reads only: the
audit trail's events of the rule's type in the window, each judged by the same conditions
(``conditions.matches``) on the ticket's facts, and each action's ``preview``.

The ticket's past fields are not kept, so an event is judged on today's ticket with the
status it moved to and the time it happened (``facts.facts_of``); events automation itself
caused past ``MAX_DEPTH`` are left out, as the live run leaves them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from backend.automation.actions import preview
from backend.automation.conditions import matches
from backend.automation.engine import MAX_DEPTH, depth_of
from backend.automation.facts import facts_of
from backend.db import db, utcnow
from backend.webhooks.events import event_types_of
from backend.workorders.models import TicketEvent
from backend.workorders.operations import load_tickets

DAYS = 30
MAX_EVENTS = 10_000  # scanned, newest first
MAX_LISTED = 500  # matches listed


def _prefilter(event_type: str) -> ColumnElement[bool]:
    """The SQL side of ``event_types_of`` (a superset: each row is checked again by it)."""
    action = TicketEvent.action
    if event_type == "ticket.created":
        return action == "create"
    if event_type == "ticket.status_changed":
        return and_(
            action != "create", TicketEvent.from_status.is_distinct_from(TicketEvent.to_status)
        )
    if event_type == "ticket.assigned":
        return action.in_(("assign", "reassign"))
    if event_type == "ticket.completed":
        return action == "complete"
    if event_type == "ticket.rated":
        return or_(action == "rate", action == "signoff")
    if event_type == "parts.consumed":
        return action == "part_used"
    return action == event_type.removeprefix("ticket.")  # sla_at_risk, sla_breached


def dry_run(
    rule: Mapping[str, Any], *, now: datetime | None = None, days: int = DAYS
) -> dict[str, Any]:
    """The tickets whose events of the last ``days`` the rule (already checked) would have
    matched, newest first, with what each action would do."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    event_type = rule["event"]
    stmt = (
        select(TicketEvent)
        .where(TicketEvent.at >= since, TicketEvent.at <= now, _prefilter(event_type))
        .order_by(TicketEvent.at.desc(), TicketEvent.id)
        .limit(MAX_EVENTS + 1)
    )
    events = list(db.session.scalars(stmt))
    truncated = len(events) > MAX_EVENTS
    events = [
        e
        for e in events[:MAX_EVENTS]
        if event_type in event_types_of(e) and depth_of(e.data) < MAX_DEPTH
    ]
    tickets = {t.id: t for t in load_tickets({e.ticket_id for e in events})}
    found: list[dict[str, Any]] = []
    matched_tickets: set[uuid.UUID] = set()
    matched_events = 0
    for ev in events:
        ticket = tickets.get(ev.ticket_id)
        if ticket is None:
            continue
        facts = facts_of(ticket, at=ev.at, status=ev.to_status)
        if not matches(rule.get("match", "all"), rule.get("conditions", []), facts):
            continue
        matched_tickets.add(ticket.id)
        matched_events += 1
        if len(found) < MAX_LISTED:
            found.append(
                {
                    "ticket_id": ticket.id,
                    "number": ticket.number,
                    "title": ticket.title,
                    "event_id": ev.id,
                    "event_type": event_type,
                    "at": ev.at,
                    "actions": [
                        {"type": a["type"], "would": preview(ticket, a)} for a in rule["actions"]
                    ],
                }
            )
    return {
        "since": since,
        "until": now,
        "events_scanned": len(events),
        "truncated": truncated,
        "matched_events": matched_events,
        "matched_tickets": len(matched_tickets),
        "matches": found,
    }
