"""Running rules: the audit hook queues a run after the event commits, and the run applies
each matching enabled rule in order.

- **After commit.** ``on_ticket_event`` (registered on ``workorders.hooks.on_event`` by
  ``wiring.py``) only queues ``tasks.evaluate`` with ``enqueue_after_commit`` (the job
  outbox), and only for event types some enabled rule listens to; a write that rolls back
  queues nothing.
- **In order.** The job locks the ticket and takes the enabled rules of the event type by
  position. Each sees the ticket as the rules before it left it; each action runs in its own
  savepoint, so one that is refused (a ticket no longer assignable) leaves the others.
- **Once.** A run is an ``automation_runs`` row unique per (rule, event): a job run twice
  does not act twice.
- **No loops.** Every audit line an action causes carries ``data.automation`` =
  ``{rule_id, depth}`` (``audit.caused_by``). An event of depth *d* runs the rules at depth
  *d* + 1, and nothing is queued past ``MAX_DEPTH``: a rule that triggers itself runs at most
  ``MAX_DEPTH`` times in a chain.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import event, exists, select
from sqlalchemy.orm import Session

from backend.accounts.models import Role, User
from backend.automation import actions
from backend.automation.conditions import matches
from backend.automation.facts import facts_of
from backend.automation.models import AutomationRule, AutomationRun
from backend.db import db, utcnow
from backend.errors import DomainError
from backend.jobs import enqueue_after_commit
from backend.webhooks.events import event_types_of
from backend.workorders.audit import caused_by
from backend.workorders.models import Ticket, TicketEvent
from backend.workorders.operations import get_ticket

log = logging.getLogger(__name__)

MAX_DEPTH = 3
_LISTENED = "fieldops_automation_events"


def depth_of(data: dict[str, Any] | None) -> int:
    """How deep in a chain of automation an audit line is (0: a person or the system)."""
    cause = (data or {}).get("automation")
    depth = cause.get("depth") if isinstance(cause, dict) else None
    return depth if isinstance(depth, int) else 0


def listened_events() -> set[str]:
    """Event types some enabled rule listens to; read once per transaction, forgotten when it
    ends or a rule is saved."""
    session = db.session()
    cached: set[str] | None = session.info.get(_LISTENED)
    if cached is None:
        with db.session.no_autoflush:
            stmt = select(AutomationRule.event).where(AutomationRule.enabled.is_(True)).distinct()
            cached = set(db.session.scalars(stmt))
        session.info[_LISTENED] = cached
    return cached


def forget_listened() -> None:
    db.session().info.pop(_LISTENED, None)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_LISTENED, None)


def on_ticket_event(ticket: Ticket, ev: TicketEvent) -> None:
    """``workorders.hooks.on_event``: queue a run for each type of this event a rule wants."""
    types = [t for t in event_types_of(ev) if t in listened_events()]
    if not types:
        return
    depth = depth_of(ev.data) + 1
    if depth > MAX_DEPTH:
        log.warning(
            "automation: %s on %s is %d rules deep; not evaluated (MAX_DEPTH %d)",
            types,
            ticket.number,
            depth - 1,
            MAX_DEPTH,
        )
        return
    from backend.automation.tasks import evaluate

    for event_type in types:
        enqueue_after_commit(
            evaluate, event_type, str(ticket.id), str(ev.id), ev.at.isoformat(), depth
        )


def rules_for(event_type: str) -> list[AutomationRule]:
    stmt = (
        select(AutomationRule)
        .where(AutomationRule.event == event_type, AutomationRule.enabled.is_(True))
        .order_by(AutomationRule.position, AutomationRule.created_at, AutomationRule.id)
    )
    return list(db.session.scalars(stmt))


def _acting_user(rule: AutomationRule) -> User | None:
    user = db.session.get(User, rule.updated_by_id) if rule.updated_by_id else None
    return user if user is not None and user.is_active and user.role == Role.ADMIN else None


def run_rule(
    rule: AutomationRule,
    ticket: Ticket,
    *,
    event_type: str,
    event_id: uuid.UUID,
    depth: int,
    now: datetime,
) -> AutomationRun:
    """Apply the rule's actions to ``ticket`` (the rule matched) and record the run."""
    outcome: list[dict[str, Any]] = []
    actor = _acting_user(rule)
    ctx = None
    if actor is not None:
        ctx = actions.Context(rule.id, rule.name, actor, event_type, event_id, depth, now)
    with caused_by({"automation": {"rule_id": str(rule.id), "depth": depth}}):
        for action in rule.actions:
            if ctx is None:
                detail = "not run: the admin who saved the rule is gone or no longer an admin"
                outcome.append({"type": action["type"], "ok": False, "detail": detail})
                continue
            try:
                with db.session.begin_nested():
                    detail = actions.APPLY[action["type"]](ticket, action, ctx)
                outcome.append({"type": action["type"], "ok": True, "detail": detail})
            except DomainError as exc:
                outcome.append({"type": action["type"], "ok": False, "detail": exc.message})
    run = AutomationRun(
        id=uuid.uuid4(),
        rule_id=rule.id,
        ticket_id=ticket.id,
        event_id=event_id,
        event_type=event_type,
        depth=depth,
        at=now,
        outcome=outcome,
    )
    db.session.add(run)
    db.session.flush()
    return run


def evaluate_event(
    event_type: str, ticket_id: uuid.UUID, event_id: uuid.UUID, at: datetime, depth: int
) -> list[AutomationRun]:
    """The job's body: every enabled rule of ``event_type``, in order, on the ticket."""
    try:
        ticket = get_ticket(ticket_id, lock=True)
    except DomainError:
        return []  # deleted meanwhile
    now = utcnow()
    runs = []
    for rule in rules_for(event_type):
        done = exists().where(AutomationRun.rule_id == rule.id, AutomationRun.event_id == event_id)
        if db.session.scalar(select(done)):
            continue
        if matches(rule.match, rule.conditions, facts_of(ticket, at=at)):
            runs.append(
                run_rule(
                    rule, ticket, event_type=event_type, event_id=event_id, depth=depth, now=now
                )
            )
    return runs
