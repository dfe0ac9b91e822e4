"""The ticket list's SLA and milestone filters: "which tickets are behind this KPI number".

The console's Insights screen opens the list behind any number it shows (docs/kpis.md); the
list must then hold exactly the tickets the number counted. The KPI SQL lives in
``backend.reports`` (above this package, so it cannot be imported here); these are the same
words of docs/kpis.md as SQLAlchemy conditions on ``tickets``, and
``tests/workorders/test_ticket_drilldown.py`` checks that each filter's list has as many
tickets as the report counts, on the same rows at the same instant.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Interval, and_, exists, not_, or_, select, true

from backend.workorders.models import Ticket, TicketEvent
from backend.workorders.states import OPEN_STATUSES, Status

# The values of the list's ``sla`` filter (several are OR-ed).
SLA_FILTERS = (
    "breached",
    "at_risk",
    "respond_due",
    "respond_met",
    "respond_late",
    "resolve_due",
    "resolve_met",
    "resolve_late",
)
# The values of ``reached``: the ticket's audit trail holds this action at least once.
MILESTONES = ("assign", "accept", "arrive", "complete")

_T = Ticket.__table__.c


def _clock(name: str) -> tuple[Any, Any]:
    return (
        (_T.responded_at, _T.respond_by) if name == "respond" else (_T.resolved_at, _T.resolve_by)
    )


def _running_late(done: Any, deadline: Any, now: datetime) -> ColumnElement[bool]:
    return and_(done.is_(None), deadline < now, _T.status != Status.CANCELLED.value)


def _breached(done: Any, deadline: Any, now: datetime) -> ColumnElement[bool]:
    return or_(and_(done.is_not(None), done > deadline), _running_late(done, deadline, now))


def _scaled(interval: Any, fraction: float) -> ColumnElement[timedelta]:
    # interval * float is PostgreSQL's; SQLAlchemy's Interval type does not declare it.
    return interval.self_group().op("*", return_type=Interval())(fraction)  # type: ignore[no-any-return]


def _at_risk_clock(done: Any, deadline: Any, now: datetime, fraction: float) -> ColumnElement[bool]:
    # backend.workorders.sla.clock_state's AT_RISK: running, not late, >= fraction used.
    return and_(
        done.is_(None),
        _T.status != Status.CANCELLED.value,
        deadline >= now,
        or_(
            deadline <= _T.created_at,
            _T.created_at + _scaled(deadline - _T.created_at, fraction) <= now,
        ),
    )


def sla_condition(name: str, *, now: datetime, at_risk_fraction: float) -> ColumnElement[bool]:
    """One ``sla`` filter value as a condition (docs/kpis.md "SLA", evaluated at ``now``)."""
    breached = or_(*(_breached(*_clock(c), now) for c in ("respond", "resolve")))
    if name == "breached":
        return breached
    if name == "at_risk":
        return and_(
            not_(breached),
            _T.status.in_([s.value for s in OPEN_STATUSES]),
            or_(
                *(_at_risk_clock(*_clock(c), now, at_risk_fraction) for c in ("respond", "resolve"))
            ),
        )
    clock, _, kind = name.partition("_")
    done, deadline = _clock(clock)
    if kind == "due":
        return or_(done.is_not(None), _running_late(done, deadline, now))
    if kind == "met":
        return and_(done <= deadline)
    if kind == "late":
        return and_(done > deadline)
    raise ValueError(f"unknown sla filter {name!r}")


def reached_condition(action: str) -> ColumnElement[bool]:
    """The ticket's audit trail has ``action`` (ix_ticket_events_ticket_at finds it)."""
    ev = TicketEvent.__table__.c
    return exists(select(true()).where(ev.ticket_id == _T.id, ev.action == action))
