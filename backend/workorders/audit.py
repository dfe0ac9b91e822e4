"""The audit trail (``TicketEvent``): every change to a ticket, written in batches.

An event is never read back by the operation that records it, so it need not cost a round
trip of its own: ``record_event`` queues the row on the session and all queued rows go to the
database in one multi-row INSERT, in the same transaction, when

- the transaction commits (before the commit, after the last flush), or
- a query of this session reads ``ticket_events`` (so every reader, the ``was_assigned``
  checks and the tests included, sees the trail it expects).

Savepoints keep their meaning: rows queued inside a savepoint that rolls back are dropped,
and rows written while a savepoint was open, which the rollback undoes in the database, are
queued again unless they belonged to it. A sync push of 1,000 mutations writes its 1,000
events in one statement instead of 1,000.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, event, insert
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.util import find_tables

from backend.accounts.models import User
from backend.db import db, utcnow, within_transaction
from backend.workorders import hooks
from backend.workorders.models import Ticket, TicketEvent

VIA = ("api", "sync", "system", "automation")

_CAUSE = "fieldops_audit_cause"  # extra data stamped on every event while set (``caused_by``)
_PENDING = "fieldops_audit_pending"  # [(transaction that recorded it, row)]
_WRITTEN = "fieldops_audit_written"  # [(savepoint open while written, [(transaction, row)])]
_TABLE = cast(Table, TicketEvent.__table__)


def record_event(
    ticket: Ticket,
    *,
    actor: User | None,
    action: str,
    from_status: str | None,
    to_status: str | None,
    via: str = "api",
    reason: str | None = None,
    occurred_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Queue one audit row; the returned event (not attached to the session) carries the
    same values for the hooks that look at it."""
    if via not in VIA:
        raise ValueError(f"via must be one of {VIA}")
    session = db.session()
    cause = session.info.get(_CAUSE)
    if cause:
        data = {**(data or {}), **cause}
    row = {
        "id": uuid.uuid4(),
        "ticket_id": ticket.id,
        "actor_id": actor.id if actor else None,
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "at": utcnow(),
        "via": via,
        "reason": reason,
        "occurred_at": occurred_at,
        "data": data or {},
    }
    tx = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((tx, row))
    event = TicketEvent(**row)
    hooks.run(hooks.on_event, ticket, event)
    return event


@contextmanager
def caused_by(data: dict[str, Any]) -> Iterator[None]:
    """Stamp ``data`` on every event recorded inside (merged into each event's ``data``):
    how a caller above workorders (automation: the rule and its depth) marks the events its
    calls of the ordinary operations cause, without each operation taking that data."""
    session = db.session()
    previous = session.info.get(_CAUSE)
    session.info[_CAUSE] = data
    try:
        yield
    finally:
        if previous is None:
            session.info.pop(_CAUSE, None)
        else:
            session.info[_CAUSE] = previous


def record_activity(
    ticket: Ticket,
    *,
    actor: User | None,
    action: str,
    via: str = "api",
    reason: str | None = None,
    occurred_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Audit an activity that leaves the status where it is (a note, parts, a sign-off, an
    edit, an SLA change): the trail shows it between the transitions around it."""
    return record_event(
        ticket,
        actor=actor,
        action=action,
        from_status=ticket.status,
        to_status=ticket.status,
        via=via,
        reason=reason,
        occurred_at=occurred_at,
        data=data,
    )


def add_with_activity(
    ticket: Ticket,
    row: object,
    *,
    actor: User | None,
    action: str,
    via: str,
    occurred_at: datetime | None,
    data: dict[str, Any] | None = None,
    flush: bool = True,
) -> None:
    """Add a piece of evidence (a note, a part used, a "no parts used" statement) and its
    line in the audit trail, flushed together: one flush, not two, so a replay that loses the
    insert race rolls both back and records nothing twice. ``flush`` False: the caller
    flushes (a sync push flushes a chunk of notes at once, inside its savepoint)."""
    db.session.add(row)
    record_activity(ticket, actor=actor, action=action, via=via, occurred_at=occurred_at, data=data)
    if flush:
        db.session.flush()


def write_pending(session: Session) -> None:
    """Write the queued rows now, in one statement."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.connection().execute(insert(_TABLE), [row for _tx, row in pending])
    savepoint = session.get_nested_transaction()
    if savepoint is not None:  # undone if it rolls back: remember them to queue them again
        session.info.setdefault(_WRITTEN, []).append((savepoint, pending))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.get(_PENDING):
        return  # a savepoint is released, the transaction goes on: write at the real commit
    session.flush()  # the tickets the rows point at exist first
    write_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _before_read(state: ORMExecuteState) -> None:
    if not state.session.info.get(_PENDING):
        return
    if _TABLE in find_tables(cast(ClauseElement, state.statement), include_joins=True):
        write_pending(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    def survives(entry: tuple[Any, dict[str, Any]]) -> bool:
        return not within_transaction(entry[0], previous_transaction)

    requeue: list[tuple[Any, dict[str, Any]]] = []
    kept = []
    for savepoint, rows in session.info.get(_WRITTEN, []):
        if within_transaction(savepoint, previous_transaction):
            requeue.extend(filter(survives, rows))
        else:
            kept.append((savepoint, rows))
    session.info[_WRITTEN] = kept
    pending = requeue + list(filter(survives, session.info.get(_PENDING, [])))
    session.info[_PENDING] = pending


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the whole transaction is over: nothing may linger
        session.info.pop(_PENDING, None)
        session.info.pop(_WRITTEN, None)
