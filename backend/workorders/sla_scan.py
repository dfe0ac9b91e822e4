"""The SLA scan: find open tickets whose SLA state changed, record it once, tell dispatchers.

The arithmetic is the pure ``sla.ticket_state``; this module only selects candidates (in SQL,
so a scan over a large backlog reads just the tickets near or past a deadline), applies the
new state through the ORM (so the change reaches the audit trail and the sync change log like
any other write) and writes one event plus one dispatcher notification per change. A ticket
whose state did not change is untouched, so scanning every minute notifies once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select

from backend.db import db, utcnow
from backend.notify.operations import notify
from backend.workorders.audit import record_activity
from backend.workorders.models import Ticket
from backend.workorders.sla import SlaState, ticket_state
from backend.workorders.states import OPEN_STATUSES

# States the scan moves tickets between; MET is decided when clocks stop, not by the scan.
_RANK = {SlaState.OK: 0, SlaState.AT_RISK: 1, SlaState.BREACHED: 2}
BATCH = 500


@dataclass
class ScanResult:
    scanned: int = 0
    at_risk: list[str] = field(default_factory=list)
    breached: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _crossed(deadline: Any, now: datetime, fraction: float) -> ColumnElement[bool]:
    """SQL: at least ``fraction`` of the window from creation to ``deadline`` is used."""
    used = func.extract("epoch", literal(now) - Ticket.created_at)
    return used >= func.extract("epoch", deadline - Ticket.created_at) * fraction


def _candidates(now: datetime, fraction: float, after: object | None) -> list[Ticket]:
    """Open tickets whose stored state may be stale: a running clock passed its at-risk
    threshold while the ticket is not yet breached, or the ticket is flagged (it may have
    recovered, e.g. after a priority change moved the deadlines)."""
    crossing = or_(
        and_(Ticket.responded_at.is_(None), _crossed(Ticket.respond_by, now, fraction)),
        and_(Ticket.resolved_at.is_(None), _crossed(Ticket.resolve_by, now, fraction)),
    )
    stmt = (
        select(Ticket)
        .where(
            Ticket.status.in_(OPEN_STATUSES),
            or_(
                and_(Ticket.sla_state != SlaState.BREACHED.value, crossing),
                Ticket.sla_state.in_([SlaState.AT_RISK.value, SlaState.BREACHED.value]),
            ),
        )
        .order_by(Ticket.id)
        .limit(BATCH)
        # A ticket being edited right now is skipped and picked up by the next scan, instead
        # of the scan waiting on (or deadlocking with) a request.
        .with_for_update(skip_locked=True)
    )
    if after is not None:
        stmt = stmt.where(Ticket.id > after)
    return list(db.session.scalars(stmt))


def scan(now: datetime | None = None, *, at_risk_fraction: float = 0.75) -> ScanResult:
    """Bring every open ticket's ``sla_state`` up to date as of ``now``. Flush only."""
    now = now or utcnow()
    result = ScanResult()
    after = None
    while True:
        batch = _candidates(now, at_risk_fraction, after)
        for ticket in batch:
            result.scanned += 1
            _apply(ticket, now, at_risk_fraction, result)
        if len(batch) < BATCH:
            break
        after = batch[-1].id
    db.session.flush()
    return result


def _apply(ticket: Ticket, now: datetime, fraction: float, result: ScanResult) -> None:
    new = ticket_state(
        now,
        ticket.created_at,
        ticket.respond_by,
        ticket.resolve_by,
        ticket.responded_at,
        ticket.resolved_at,
        fraction,
    )
    if new == SlaState.MET:  # both clocks stopped in time: nothing at risk any more
        new = SlaState.OK
    old = SlaState(ticket.sla_state) if ticket.sla_state in _RANK else SlaState.OK
    if new == old:
        return
    ticket.sla_state = new.value
    worse = _RANK[new] > _RANK[old]
    action = f"sla_{new.value}"
    record_activity(
        ticket,
        actor=None,
        action=action,
        via="system",
        data={
            "sla_from": old.value,
            "sla_to": new.value,
            "respond_by": ticket.respond_by.isoformat(),
            "resolve_by": ticket.resolve_by.isoformat(),
        },
    )
    if not worse:
        result.recovered.append(ticket.number)
        return
    (result.breached if new == SlaState.BREACHED else result.at_risk).append(ticket.number)
    deadline = ticket.respond_by if ticket.responded_at is None else ticket.resolve_by
    notify(
        kind=action,
        role="dispatcher",
        title=f"{ticket.number} {'SLA breached' if new == SlaState.BREACHED else 'SLA at risk'}",
        body=f"{ticket.priority} · {ticket.title} · deadline {deadline:%Y-%m-%d %H:%M} UTC",
        ticket_id=ticket.id,
        data={"sla_state": new.value, "previous": old.value, "status": ticket.status},
    )
