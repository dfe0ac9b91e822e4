"""Ticket operations: the one implementation of every rule, used by REST, sync and jobs.

Plain values in (the acting ``User`` is passed explicitly), ``flush()`` only, DomainError out.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from backend.accounts.models import Role, User
from backend.assets.models import Asset, Site
from backend.db import db, get_or_404, utcnow
from backend.errors import (
    Conflict,
    Invalid,
    InvalidTransition,
    NotAllowed,
    NotFound,
    PreconditionFailed,
    StaleVersion,
)
from backend.geo import Location
from backend.jobtypes.operations import version_for_new_ticket
from backend.jsonio import json_tree
from backend.workorders import hooks
from backend.workorders.audit import add_with_activity, record_activity, record_event
from backend.workorders.geo import point, regions_containing
from backend.workorders.models import PRIORITIES, Note, Ticket, TicketEvent
from backend.workorders.sla import deadlines
from backend.workorders.states import (
    ASSIGNABLE,
    REASON_REQUIRED,
    TRANSITIONS,
    Actor,
    Status,
    allowed_actions,
    target_status,
)


def actor_kind(user: User | None) -> Actor:
    return Actor.STAFF if user is None or user.is_staff else Actor.ENGINEER


def get_ticket(ticket_id: uuid.UUID, *, for_user: User | None = None, lock: bool = False) -> Ticket:
    """The ticket, if it exists and ``for_user`` may see it. Engineers see only tickets
    assigned to them; for anything else they get the same 404 as a missing id, so ids of
    other engineers' jobs cannot be probed."""
    if lock:
        ticket = _already_locked(ticket_id)
        if ticket is None:
            stmt = select(Ticket).where(Ticket.id == ticket_id).with_for_update()
            ticket = db.session.scalars(stmt).first()
            if ticket is not None:
                db.session().info.setdefault(_LOCKED, {})[ticket.id] = ticket
    else:
        # Unlocked, a ticket this session already holds is the answer: re-SELECTing it
        # returns the same identity-map object without refreshing its loaded attributes,
        # so the round trip bought nothing (a sync push reads one job five times).
        ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or (for_user is not None and not can_view(ticket, for_user)):
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


def load_tickets(ticket_ids: set[uuid.UUID]) -> list[Ticket]:
    """The tickets with these ids (missing ones left out), in one query, unlocked. While the
    caller holds the list, ``get_ticket`` without a lock finds them in the session."""
    if not ticket_ids:
        return []
    tickets = list(db.session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))))
    # Held until the transaction ends, not only while the caller holds the list: the change
    # log's rows of their children, written at the commit, read each ticket's assignee and
    # find it in the (weak) identity map instead of selecting the tickets again.
    db.session().info.setdefault(_HELD, []).extend(tickets)
    return tickets


def existing_note_ids(note_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these note ids are taken, in one query."""
    if not note_ids:
        return set()
    return set(db.session.scalars(select(Note.id).where(Note.id.in_(note_ids))))


_LOCKED = "fieldops_locked_tickets"
_HELD = "fieldops_held_tickets"
# Tickets a customer opened themselves (QR report page, email): they get a tracking link.
CUSTOMER_SOURCES = ("public", "email")


def _already_locked(ticket_id: uuid.UUID) -> Ticket | None:
    """A ticket this transaction has locked, if still loaded and unexpired. A row lock lasts
    until the transaction ends, so nobody else can have changed the row: a sync push of many
    mutations on one job skips a SELECT ... FOR UPDATE for each. (The session's identity map
    holds objects weakly, so the locked ones are kept here.)"""
    session = db.session()
    ticket: Ticket | None = session.info.get(_LOCKED, {}).get(ticket_id)
    if ticket is None or ticket not in session or "status" not in ticket.__dict__:
        return None  # gone or expired: read (and lock) it again
    return ticket


@event.listens_for(Session, "after_soft_rollback")
def _forget_locks_on_rollback(session: Session, previous_transaction: Any) -> None:
    # Rolling back a savepoint releases the locks taken inside it: forget them all (safe).
    session.info.pop(_LOCKED, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_locks_at_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_LOCKED, None)
        session.info.pop(_HELD, None)


def can_view(ticket: Ticket, user: User) -> bool:
    return user.is_staff or ticket.assignee_id == user.id


def moved_on(ticket: Ticket, user: User) -> str | None:
    """Why an engineer's offline work arrives for a job no longer theirs to work
    (``cancelled`` / ``reassigned``), or None. Sync keeps such evidence and records a
    conflict (docs/sync-protocol.md); every mutation asks this one question the same way."""
    if user.is_staff:
        return None
    if ticket.status == Status.CANCELLED:
        return "cancelled"
    if ticket.assignee_id != user.id:
        return "reassigned"
    return None


def _resolve_location(
    asset_id: uuid.UUID | None, site_id: uuid.UUID | None, location: Location | None
) -> tuple[Asset | None, Site | None, Any]:
    asset = site = None
    if asset_id is not None:
        asset = get_or_404(Asset, asset_id, label="asset", field="asset_id")
        site = asset.site
    elif site_id is not None:
        site = get_or_404(Site, site_id, label="site", field="site_id")
    if location is not None:
        return asset, site, point(location.lon, location.lat)
    if site is not None:
        return asset, site, site.location
    raise Invalid(
        "a ticket needs a place: give asset_id, site_id or location",
        errors={"location": ["asset_id, site_id or location is required"]},
    )


def create_ticket(
    *,
    actor: User | None,
    title: str,
    priority: str | None = None,
    description: str = "",
    required_skills: list[str] | None = None,
    asset_id: uuid.UUID | None = None,
    site_id: uuid.UUID | None = None,
    location: Location | None = None,
    sla_policy: dict[str, tuple[float, float]],
    source: str = "staff",
    contact: dict[str, str | None] | None = None,
    now: datetime | None = None,
    via: str = "api",
    job_type_id: uuid.UUID | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> Ticket:
    """A new ticket. With ``job_type_id`` it keeps the job type's current version, whose
    default priority and required skills apply where the caller gave none; ``window`` is the
    arrival window (earliest, latest start) of planned work."""
    version = version_for_new_ticket(job_type_id) if job_type_id is not None else None
    if version is not None:
        priority = priority or version.default_priority
        if required_skills is None:
            required_skills = list(version.required_skills)
    if priority is None:
        raise Invalid(
            "a ticket needs a priority (or a job type that has a default one)",
            errors={"priority": ["required without job_type_id"]},
        )
    if priority not in PRIORITIES:
        raise Invalid(
            f"unknown priority {priority!r}; use one of {', '.join(PRIORITIES)}",
            errors={"priority": [f"one of {', '.join(PRIORITIES)}"]},
        )
    asset, site, geom = _resolve_location(asset_id, site_id, location)
    now = now or utcnow()
    respond_by, resolve_by = deadlines(priority, now, sla_policy)
    ticket = Ticket(
        id=uuid.uuid4(),
        title=title.strip(),
        description=description or "",
        priority=priority,
        status=Status.NEW,
        required_skills=sorted(set(required_skills or [])),
        asset_id=asset.id if asset else None,
        site_id=site.id if site else None,
        location=geom,
        region_ids=regions_containing(geom),
        created_by_id=actor.id if actor else None,
        source=source,
        respond_by=respond_by,
        resolve_by=resolve_by,
        created_at=now,
        updated_at=now,
        sla_state="ok",
        dispatch_flags={},
        rejected_by=[],
        job_type_id=job_type_id,
        job_type_version_id=version.id if version is not None else None,
        window_start=window[0] if window else None,
        window_end=window[1] if window else None,
    )
    if contact:
        ticket.contact_name = contact.get("name")
        ticket.contact_phone = contact.get("phone")
        ticket.contact_email = contact.get("email")
        ticket.contact_language = contact.get("language")
    if source in CUSTOMER_SOURCES:
        ticket.tracking_token = secrets.token_urlsafe(24)
    db.session.add(ticket)
    db.session.flush()
    if ticket.unrouted:
        ticket.dispatch_flags = {**ticket.dispatch_flags, "unrouted": True}
    event = record_event(
        ticket,
        actor=actor,
        action="create",
        from_status=None,
        to_status=ticket.status,
        via=via,
        data={
            "priority": priority,
            "unrouted": ticket.unrouted,
            **({"job_type_version": version.number} if version is not None else {}),
        },
    )
    db.session.flush()
    hooks.run(hooks.after_create, ticket, event)
    return ticket


def check_version(ticket: Ticket, version: int | None) -> None:
    if version is not None and version != ticket.version:
        raise StaleVersion(
            f"ticket {ticket.number} has changed: you sent version {version}, "
            f"the current version is {ticket.version}; reload and try again",
            current_version=ticket.version,
        )


def transition(
    ticket: Ticket,
    user: User,
    action: str,
    *,
    reason: str | None = None,
    via: str = "api",
    occurred_at: datetime | None = None,
    base_version: int | None = None,
) -> TicketEvent:
    """Take ``action`` on ``ticket`` as ``user``. Raises Invalid (unknown action),
    NotAllowed (role or not the assignee), InvalidTransition (wrong current status) or
    Conflict (completion rules unmet)."""
    if action not in TRANSITIONS:
        raise Invalid(
            f"unknown action {action!r}", errors={"action": [f"one of {', '.join(TRANSITIONS)}"]}
        )
    kind = actor_kind(user)
    if kind == Actor.ENGINEER and ticket.assignee_id != user.id:
        raise NotAllowed(f"ticket {ticket.number} is not assigned to you")
    t = TRANSITIONS[action]
    if kind not in t.actors:
        raise NotAllowed(f"only a dispatcher or admin may {action} a ticket")
    if ticket.status not in t.sources:
        raise InvalidTransition(
            f"cannot {action} a ticket that is {ticket.status}",
            current_status=ticket.status,
            allowed_actions=allowed_actions(ticket.status, kind),
        )
    check_version(ticket, base_version)
    if action in REASON_REQUIRED and not (reason and reason.strip()) and kind == Actor.STAFF:
        raise Invalid(f"{action} needs a reason", errors={"reason": ["required for " + action]})
    if action == "complete":
        missing = [m for guard in hooks.completion_guards for m in guard(ticket)]
        if missing:
            raise Conflict(
                f"ticket {ticket.number} cannot be completed yet: missing {', '.join(missing)}",
                missing=missing,
            )
    from_status = ticket.status
    to_status = target_status(
        action, from_status, held_from=ticket.held_from, has_assignee=ticket.assignee_id is not None
    )
    now = utcnow()
    ticket.status = to_status
    ticket.held_from = from_status if action == "hold" else None
    if action == "accept" and ticket.responded_at is None:
        ticket.responded_at = now
    if action == "complete":
        ticket.resolved_at = now
    if action == "reopen":
        ticket.resolved_at = None
    if action == "reject":
        ticket.rejected_by = (
            [*ticket.rejected_by, user.id] if kind == Actor.ENGINEER else ticket.rejected_by
        )
        ticket.assignee_id = None
        ticket.assigned_at = None
    event = record_event(
        ticket,
        actor=user,
        action=action,
        from_status=from_status,
        to_status=to_status,
        via=via,
        reason=reason,
        occurred_at=occurred_at,
    )
    db.session.flush()
    hooks.run(hooks.after_transition, ticket, event)
    return event


def assign_ticket(
    ticket: Ticket,
    engineer: User | None,
    *,
    actor: User | None,
    reason: str | None = None,
    via: str = "api",
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Assign, reassign (``engineer`` set) or unassign (``engineer`` None). The dispatcher's
    scoring lives in ``backend.dispatch``; this is the state change every path shares."""
    if actor is not None and not actor.is_staff:
        raise NotAllowed("only a dispatcher or admin may assign tickets")
    if ticket.status not in ASSIGNABLE:
        raise InvalidTransition(
            f"cannot assign a ticket that is {ticket.status}",
            current_status=ticket.status,
            allowed_actions=allowed_actions(ticket.status, Actor.STAFF),
        )
    if engineer is not None and engineer.role != Role.ENGINEER:
        raise Invalid(
            f"user {engineer.id} is not an engineer", errors={"engineer_id": ["not an engineer"]}
        )
    from_status = ticket.status
    previous = ticket.assignee_id
    if engineer is None:
        action, ticket.assignee_id, ticket.assigned_at = "unassign", None, None
        ticket.status = Status.NEW
    else:
        action = "assign" if previous is None else "reassign"
        if previous == engineer.id and from_status == Status.ASSIGNED:
            raise Conflict(f"ticket {ticket.number} is already assigned to {engineer.name}")
        ticket.assignee_id = engineer.id
        ticket.assigned_at = utcnow()
        ticket.status = Status.ASSIGNED
    ticket.held_from = None
    event = record_event(
        ticket,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=ticket.status,
        via=via,
        reason=reason,
        data={
            **(data or {}),
            "from_assignee": str(previous) if previous else None,
            "to_assignee": str(engineer.id) if engineer else None,
        },
    )
    db.session.flush()
    hooks.run(hooks.after_assign, ticket, event)
    return event


EDITABLE_FIELDS = ("title", "description", "priority", "required_skills")


def expected_version(ticket: Ticket, *, header: int | None, body: int | None) -> int | None:
    """The version a dispatcher's edit was made on, named in the ``If-Match`` header or as
    ``version`` in the body (one rule, both spellings). Both given must agree (422); a stale
    header is a failed precondition (412); a stale body version is ``update_ticket``'s conflict
    (409, the answer sync push gives), and neither at all is refused there (422)."""
    if header is None:
        return body
    if body is not None and body != header:
        raise Invalid(
            f"If-Match names version {header} but the body says {body}",
            errors={"version": ["disagrees with If-Match"]},
        )
    if header != ticket.version:
        raise PreconditionFailed(
            f"ticket {ticket.number} has changed: If-Match names version {header}, "
            f"the current version is {ticket.version}; reload and try again",
            current_version=ticket.version,
        )
    return header


def update_ticket(
    ticket: Ticket,
    *,
    actor: User,
    changes: dict[str, Any],
    version: int | None,
    sla_policy: dict[str, tuple[float, float]],
    via: str = "api",
) -> Ticket:
    """Dispatcher edits. A priority change re-derives the SLA deadlines from creation time;
    required skills must exist (``hooks.skill_checks``)."""
    if not actor.is_staff:
        raise NotAllowed("only a dispatcher or admin may edit tickets")
    if "required_skills" in changes:
        for check in hooks.skill_checks:
            check(changes["required_skills"])
    if version is None:
        raise Invalid(
            "send the version you edited (If-Match header or version field)",
            errors={"version": ["required"]},
        )
    check_version(ticket, version)
    unknown = set(changes) - set(EDITABLE_FIELDS) - {"location"}
    if unknown:
        raise Invalid(f"cannot edit {', '.join(sorted(unknown))}")
    diff: dict[str, Any] = {}
    for field in EDITABLE_FIELDS:
        if field in changes and getattr(ticket, field) != changes[field]:
            diff[field] = {"from": getattr(ticket, field), "to": changes[field]}
            setattr(ticket, field, changes[field])
    if "priority" in diff:
        if ticket.priority not in PRIORITIES:
            raise Invalid(
                f"unknown priority {ticket.priority!r}",
                errors={"priority": [f"one of {', '.join(PRIORITIES)}"]},
            )
        ticket.respond_by, ticket.resolve_by = deadlines(
            ticket.priority, ticket.created_at, sla_policy
        )
    if "location" in changes and changes["location"] is not None:
        loc: Location = changes["location"]
        ticket.location = point(loc.lon, loc.lat)
        ticket.region_ids = regions_containing(ticket.location)
        diff["location"] = {"to": [loc.lon, loc.lat]}
    if diff:
        record_activity(
            ticket,
            actor=actor,
            action="update",
            via=via,
            data={"changes": json_tree(diff, _text_ids)},
        )
        db.session.flush()
    return ticket


def _text_ids(value: Any) -> Any:
    """An audit diff's ids and times as text (JSONB stores no UUID or datetime)."""
    return str(value) if isinstance(value, uuid.UUID | datetime) else value


def add_note(
    ticket: Ticket,
    *,
    author: User | None,
    body: str,
    note_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    via: str = "api",
    customer_visible: bool = False,
    known_new: bool = False,
    flush: bool = True,
) -> Note:
    """Append a note (internal unless ``customer_visible``; ``author`` None: the customer's
    own words, e.g. an emailed reply). Idempotent by client id: the same
    id with the same body returns the existing note; the same id with a different body or
    ticket is a conflict. ``known_new``: the caller has just read that no note has this id
    (a sync push reads all of its note ids at once), so the check is skipped; should one
    appear meanwhile, the insert fails and the caller retries without the hint. ``flush``
    False: the caller flushes (a sync push, a chunk of notes at once); the new note's
    ``version`` is already its first (1), the one thing the push answers with."""
    if not body or not body.strip():
        raise Invalid("a note needs a body", errors={"body": ["must not be empty"]})
    if note_id is not None and not known_new:
        existing = db.session.get(Note, note_id)
        if existing is not None:
            if existing.ticket_id == ticket.id and existing.body == body:
                return existing
            raise Conflict(f"note {note_id} already exists with other content")
    note = Note(
        id=note_id or uuid.uuid4(),
        ticket_id=ticket.id,
        author_id=author.id if author is not None else None,
        body=body,
        customer_visible=customer_visible,
        occurred_at=occurred_at,
        version=1,  # what the insert sets (Versioned), known before the flush
    )
    add_with_activity(
        ticket,
        note,
        actor=author,
        action="note",
        via=via,
        occurred_at=occurred_at,
        data={"note_id": str(note.id)},
        flush=flush,
    )
    return note


def edit_note(note: Note, *, author: User, body: str, base_version: int) -> Note:
    if note.author_id != author.id and not author.is_staff:
        raise NotAllowed("you can only edit your own notes")
    if note.version != base_version:
        raise StaleVersion(
            f"note {note.id} changed since version {base_version} (now {note.version})",
            current_version=note.version,
        )
    note.body = body
    db.session.flush()
    return note


def list_notes(ticket: Ticket) -> list[Note]:
    stmt = (
        select(Note)
        .where(Note.ticket_id == ticket.id, Note.deleted_at.is_(None))
        .order_by(Note.created_at, Note.id)
    )
    return list(db.session.scalars(stmt))


def list_events(ticket: Ticket) -> list[TicketEvent]:
    stmt = (
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return list(db.session.scalars(stmt))
