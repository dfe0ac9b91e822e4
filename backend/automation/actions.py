"""What each action does (``apply``, through the ordinary operations, ``via='automation'``)
and what it would do (``preview``, reading only: the dry run). One table of both, so an
action added to the catalog without either fails at import.

``apply`` runs inside the rule's run (``engine.run_rule``), whose ``audit.caused_by`` stamps
the rule and depth on every audit line the operation records; it returns a short sentence of
what happened (kept in the run's outcome) or raises ``DomainError`` (the action is skipped,
the others still run).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.accounts.models import Role, User
from backend.automation.catalog import ACTIONS
from backend.config import settings
from backend.db import db
from backend.dispatch.models import Region
from backend.dispatch.operations import auto_dispatch
from backend.dispatch.regions import ensure_skills_exist, route_to_region
from backend.dispatch.settings import current_settings
from backend.errors import Invalid, NotFound
from backend.mail.outbound import email_user
from backend.notify.operations import notify
from backend.webhooks.events import ticket_summary
from backend.webhooks.operations import emit
from backend.workorders.models import Ticket
from backend.workorders.operations import add_note, assign_ticket, update_ticket
from backend.workorders.states import ASSIGNABLE

VIA = "automation"


@dataclass(frozen=True)
class Context:
    rule_id: uuid.UUID
    rule_name: str
    actor: User  # the admin who last saved the rule
    event_type: str
    event_id: uuid.UUID
    depth: int
    now: datetime

    @property
    def key(self) -> str:
        """Once per rule and event: the email's message id, the notification's data."""
        return f"{self.rule_id}.{self.event_id}"


def _user(value: str) -> User:
    user = db.session.get(User, uuid.UUID(value))
    if user is None or not user.is_active:
        raise NotFound(f"user {value} does not exist or is inactive")
    return user


def _region(value: str) -> Region:
    region = db.session.get(Region, uuid.UUID(value))
    if region is None:
        raise NotFound(f"region {value} does not exist")
    return region


def _set_priority(ticket: Ticket, a: Mapping[str, Any], ctx: Context) -> str:
    before = ticket.priority
    if before == a["priority"]:
        return f"priority already {before}"
    update_ticket(
        ticket,
        actor=ctx.actor,
        changes={"priority": a["priority"]},
        version=ticket.version,
        sla_policy=settings().SLA_POLICY,
        via=VIA,
    )
    return f"priority {before} -> {a['priority']}"


def _require_skill(ticket: Ticket, a: Mapping[str, Any], ctx: Context) -> str:
    skill = a["skill"]
    if skill in (ticket.required_skills or []):
        return f"skill {skill} already required"
    update_ticket(
        ticket,
        actor=ctx.actor,
        changes={"required_skills": [*(ticket.required_skills or []), skill]},
        version=ticket.version,
        sla_policy=settings().SLA_POLICY,
        via=VIA,
    )
    return f"skill {skill} required"


def _route(ticket: Ticket, a: Mapping[str, Any], ctx: Context) -> str:
    region = _region(a["region_id"])
    moved = route_to_region(ticket, region, actor=ctx.actor, via=VIA)
    return f"routed to {region.name}" if moved else f"already in {region.name}"


def _auto_dispatch(ticket: Ticket, a: Mapping[str, Any], ctx: Context) -> str:
    decision = auto_dispatch(ticket, settings=current_settings(), now=ctx.now, via=VIA)
    if decision is None:
        return "not assigned (not new, or nobody eligible: dispatchers flagged)"
    return f"assigned to {decision.chosen_engineer_id}"


def _notify(ticket: Ticket, a: Mapping[str, Any], ctx: Context) -> str:
    user_id = _user(a["user_id"]).id if a.get("user_id") else None
    notify(
        kind="automation",
        title=a["title"],
        body=a.get("body") or "",
        user_id=user_id,
        role=a.get("role"),
        ticket_id=ticket.id,
        data={"rule_id": str(ctx.rule_id), "event_id": str(ctx.event_id)},
    )
    return f"notified {a.get('role') or a.get('user_id')}"


def _note(ticket: Ticket, a: Mapping[str, Any], ctx: Context) -> str:
    note_id = uuid.uuid5(uuid.NAMESPACE_URL, f"fieldops:automation:{ctx.key}:{a['body']}")
    add_note(ticket, author=ctx.actor, body=a["body"], note_id=note_id, via=VIA)
    return "internal note added"


def _webhook(ticket: Ticket, a: Mapping[str, Any], ctx: Context) -> str:
    sent = emit(
        "automation.rule_matched",
        {
            "rule": {"id": ctx.rule_id, "name": ctx.rule_name},
            "ticket": ticket_summary(ticket),
            "event": {"id": ctx.event_id, "type": ctx.event_type},
        },
        at=ctx.now,
    )
    return f"webhook queued for {sent} subscription(s)"


def _email(ticket: Ticket, a: Mapping[str, Any], ctx: Context) -> str:
    user = _user(a["user_id"])
    row = email_user(
        user,
        subject=a["subject"],
        body=a["body"],
        rule=ctx.rule_name,
        key=f"{ctx.key}.{user.id}",
        ticket=ticket,
    )
    return f"email to {user.email} queued" if row else "no email (not configured or no address)"


def _escalate(ticket: Ticket, a: Mapping[str, Any], ctx: Context) -> str:
    user = _user(a["user_id"])
    done = []
    if user.role == Role.ENGINEER and ticket.status in ASSIGNABLE and ticket.assignee_id != user.id:
        assign_ticket(ticket, user, actor=ctx.actor, reason=a.get("reason"), via=VIA)
        done.append(f"assigned to {user.name}")
    notify(
        kind="automation_escalation",
        title=f"Escalated to you: {ticket.number} {ticket.title}",
        body=a.get("reason") or "",
        user_id=user.id,
        ticket_id=ticket.id,
        data={"rule_id": str(ctx.rule_id), "event_id": str(ctx.event_id)},
    )
    done.append(f"{user.name} notified")
    return ", ".join(done)


Apply = Callable[[Ticket, Mapping[str, Any], Context], str]

APPLY: dict[str, Apply] = {
    "set_priority": _set_priority,
    "require_skill": _require_skill,
    "route_to_region": _route,
    "auto_dispatch": _auto_dispatch,
    "notify": _notify,
    "add_note": _note,
    "send_webhook": _webhook,
    "send_email": _email,
    "escalate": _escalate,
}


def preview(ticket: Ticket, a: Mapping[str, Any]) -> str:
    """What the action would do to ``ticket`` as it is now; reads only."""
    kind = a["type"]
    if kind == "set_priority":
        same = ticket.priority == a["priority"]
        return (
            f"priority already {a['priority']}"
            if same
            else (f"priority {ticket.priority} -> {a['priority']}")
        )
    if kind == "require_skill":
        return f"require skill {a['skill']}"
    if kind == "route_to_region":
        region = db.session.get(Region, uuid.UUID(a["region_id"]))
        return f"route to {region.name if region else a['region_id']}"
    if kind == "auto_dispatch":
        return "auto-dispatch (if still new)"
    if kind == "notify":
        return f"notify {a.get('role') or a.get('user_id')}: {a['title']}"
    if kind == "add_note":
        return "add an internal note"
    if kind == "send_webhook":
        return "send the automation.rule_matched webhook"
    if kind == "send_email":
        return f"email user {a['user_id']}: {a['subject']}"
    return f"escalate to user {a['user_id']}"


def check_references(actions: list[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Skills, regions and users the actions name must exist (a rule saved with a typo would
    fail every time it runs); errors by path, as ``catalog.check_rule`` gives them."""
    errors: dict[str, list[str]] = {}
    for i, a in enumerate(actions):
        if a.get("skill"):
            try:
                ensure_skills_exist([a["skill"]])
            except Invalid:
                errors[f"actions.{i}.skill"] = [f"unknown skill code {a['skill']!r}"]
        for key, find in (("region_id", _region), ("user_id", _user)):
            if a.get(key):
                try:
                    find(a[key])
                except NotFound as exc:
                    errors[f"actions.{i}.{key}"] = [str(exc)]
    return errors


missing = set(ACTIONS) - set(APPLY)
if missing:  # pragma: no cover - a catalog entry without its implementation
    raise RuntimeError(f"automation actions without an implementation: {sorted(missing)}")
