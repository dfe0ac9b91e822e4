"""SLA arithmetic, pure: deadlines from a policy, and the state of a running clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class SlaState(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"


def deadlines(
    priority: str, created_at: datetime, policy: dict[str, tuple[float, float]]
) -> tuple[datetime, datetime]:
    """(respond_by, resolve_by) for a ticket of ``priority`` created at ``created_at``."""
    respond_h, resolve_h = policy[priority]
    return created_at + timedelta(hours=respond_h), created_at + timedelta(hours=resolve_h)


def clock_state(
    now: datetime,
    start: datetime,
    deadline: datetime,
    done_at: datetime | None,
    at_risk_fraction: float = 0.75,
) -> SlaState:
    """State of one SLA clock. A clock stopped (``done_at``) after its deadline stays breached."""
    if done_at is not None:
        return SlaState.MET if done_at <= deadline else SlaState.BREACHED
    if now > deadline:
        return SlaState.BREACHED
    window = (deadline - start).total_seconds()
    used = (now - start).total_seconds()
    if window <= 0 or used / window >= at_risk_fraction:
        return SlaState.AT_RISK
    return SlaState.OK


# How bad each state is: a ticket's state is the worse of its two clocks.
STATE_RANK = {SlaState.MET: 0, SlaState.OK: 1, SlaState.AT_RISK: 2, SlaState.BREACHED: 3}


def ticket_state(
    now: datetime,
    created_at: datetime,
    respond_by: datetime,
    resolve_by: datetime,
    responded_at: datetime | None,
    resolved_at: datetime | None,
    at_risk_fraction: float = 0.75,
) -> SlaState:
    """The worse of the respond and resolve clocks; MET only when both are met."""
    respond = clock_state(now, created_at, respond_by, responded_at, at_risk_fraction)
    resolve = clock_state(now, created_at, resolve_by, resolved_at, at_risk_fraction)
    return max(respond, resolve, key=lambda s: STATE_RANK[s])
