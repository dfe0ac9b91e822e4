"""Reads for time sheets: the status events behind an engineer's entries, their corrections,
approved days and time zone."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from backend.db import db
from backend.dispatch.models import EngineerProfile
from backend.dispatch.shifts import zone
from backend.timesheets.derive import Correction, Event
from backend.timesheets.models import TimesheetCorrection, TimesheetDay
from backend.workorders.models import ASSIGNING_ACTIONS, Ticket, TicketEvent, ticket_number

# An entry opened this long before the period is still looked for (a travel left running
# over a weekend); older ones need a correction to be seen, and are that unlikely.
LOOKBACK = timedelta(days=7)


def engineer_zone(engineer_id: uuid.UUID) -> ZoneInfo:
    """The engineer's shift time zone (their days begin at their midnight); UTC without one."""
    name = db.session.scalar(
        select(EngineerProfile.shift_timezone).where(EngineerProfile.user_id == engineer_id)
    )
    return zone(name or "UTC")


def candidate_tickets(engineer_id: uuid.UUID, since: datetime, until: datetime) -> list[uuid.UUID]:
    """Tickets that may hold the engineer's entries in [since, until): the engineer acted on
    them, or they were assigned to or away from the engineer, in that time; or are theirs now."""
    who = str(engineer_id)
    in_window = (TicketEvent.at >= since) & (TicketEvent.at < until)
    by_event = select(TicketEvent.ticket_id).where(
        in_window,
        or_(
            TicketEvent.actor_id == engineer_id,
            TicketEvent.action.in_(ASSIGNING_ACTIONS)
            & or_(
                TicketEvent.data["to_assignee"].astext == who,
                TicketEvent.data["from_assignee"].astext == who,
            ),
        ),
    )
    current = select(Ticket.id).where(Ticket.assignee_id == engineer_id)
    return list(db.session.scalars(by_event.union(current)))


def ticket_events(ticket_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Event]]:
    """Each ticket's trail in server order (``at``, then id for events of one statement)."""
    ids = list(ticket_ids)
    out: dict[uuid.UUID, list[Event]] = defaultdict(list)
    if not ids:
        return out
    stmt = (
        select(
            TicketEvent.id,
            TicketEvent.ticket_id,
            TicketEvent.at,
            TicketEvent.occurred_at,
            TicketEvent.from_status,
            TicketEvent.to_status,
            TicketEvent.action,
            TicketEvent.data["to_assignee"].astext,
        )
        .where(TicketEvent.ticket_id.in_(ids))
        .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)
    )
    rows = db.session.execute(stmt)
    for id_, ticket_id, at, occurred_at, from_status, to_status, action, to_assignee in rows:
        assigns = action in ASSIGNING_ACTIONS
        out[ticket_id].append(
            Event(
                id=id_,
                ticket_id=ticket_id,
                at=at,
                occurred_at=occurred_at,
                from_status=str(from_status) if from_status is not None else None,
                to_status=str(to_status) if to_status is not None else None,
                to_assignee=uuid.UUID(to_assignee) if assigns and to_assignee else None,
                assigns=assigns,
            )
        )
    return out


def corrections(engineer_id: uuid.UUID, first: date, last: date) -> list[Correction]:
    stmt = select(TimesheetCorrection).where(
        TimesheetCorrection.engineer_id == engineer_id,
        TimesheetCorrection.day_from <= last,
        TimesheetCorrection.day_to >= first,
    )
    return [as_correction(row) for row in db.session.scalars(stmt)]


def as_correction(row: TimesheetCorrection) -> Correction:
    return Correction(
        id=row.id,
        engineer_id=row.engineer_id,
        entry_id=row.entry_id,
        kind=row.kind,
        ticket_id=row.ticket_id,
        start=row.start_at,
        end=row.end_at,
        removed=row.removed,
        reason=row.reason,
        effective=row.occurred_at or row.created_at,
    )


def decided_days(engineer_id: uuid.UUID, first: date, last: date) -> dict[date, TimesheetDay]:
    stmt = select(TimesheetDay).where(
        TimesheetDay.engineer_id == engineer_id,
        TimesheetDay.day >= first,
        TimesheetDay.day <= last,
    )
    return {row.day: row for row in db.session.scalars(stmt)}


def ticket_numbers(ticket_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = list(set(ticket_ids))
    if not ids:
        return {}
    rows = db.session.execute(select(Ticket.id, Ticket.seq).where(Ticket.id.in_(ids)))
    return {id_: ticket_number(seq) for id_, seq in rows}
