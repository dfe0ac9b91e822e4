"""Sign-off operations and the completion guard.

``submit_signoff`` is shared by ``POST /tickets/{id}/signoff`` and the ``signoff.submit``
sync mutation. It never raises for a second, different signature: it keeps it as a conflict
row and reports ``status='conflict'``, so the caller decides how to answer (REST: 409 with
the record kept; sync: a per-mutation ``conflict`` result) without losing what the phone sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from flask import has_app_context
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import User
from backend.checklists.operations import missing_items
from backend.config import settings
from backend.db import db, release_read
from backend.errors import Conflict, Invalid
from backend.geo import Location
from backend.jobtypes.operations import versions_by_id
from backend.media.models import Photo
from backend.parts.operations import has_no_parts_statement, has_usages
from backend.signoff import storage
from backend.signoff.models import Signoff
from backend.signoff.rules import (
    Evidence,
    Requirements,
    check_layer,
    missing,
    parse_rules,
    requirements_for,
)
from backend.signoff.signature import RenderedSignature, render
from backend.sync.conflicts import record_conflict
from backend.workorders.audit import record_activity
from backend.workorders.evidence import audit_via, check_evidence_access
from backend.workorders.geo import point
from backend.workorders.models import Ticket
from backend.workorders.operations import transition
from backend.workorders.states import Status

# Statuses in which a customer can sign online: the engineer is on the job (or it is done).
SIGNABLE = {
    Status.ACCEPTED,
    Status.EN_ROUTE,
    Status.ON_SITE,
    Status.IN_PROGRESS,
    Status.ON_HOLD,
    Status.COMPLETED,
}


# --- completion rules ----------------------------------------------------------------------


def current_rules() -> dict[str, Any]:
    raw = settings().COMPLETION_RULES if has_app_context() else None
    return parse_rules(raw)


def _categories(ticket: Ticket) -> list[str]:
    category = getattr(ticket, "category", None)
    return [category] if isinstance(category, str) else list(ticket.required_skills or [])


def _job_type_layers(tickets: Sequence[Ticket]) -> dict[uuid.UUID, dict[str, Any]]:
    """Each ticket's job type version's completion rules (one query for them all)."""
    ids = {t.job_type_version_id for t in tickets if t.job_type_version_id is not None}
    versions = versions_by_id(ids)
    return {
        t.id: dict(versions[t.job_type_version_id].completion_rules)
        for t in tickets
        if t.job_type_version_id in versions
    }


def requirements(ticket: Ticket) -> Requirements:
    layer = _job_type_layers([ticket]).get(ticket.id)
    return requirements_for(ticket.priority, _categories(ticket), current_rules(), layer)


def requirements_for_phone(tickets: Sequence[Ticket]) -> dict[uuid.UUID, dict[str, Any]]:
    """The checklist the phone shows offline comes from the same rules the completion guard
    enforces (a deployment's own ``COMPLETION_RULES`` and the job type's included), parsed
    once per pull page."""
    rules = current_rules()
    layers = _job_type_layers(tickets)
    return {
        t.id: {
            "completion": {
                "requirements": asdict(
                    requirements_for(t.priority, _categories(t), rules, layers.get(t.id))
                )
            }
        }
        for t in tickets
    }


def check_job_type_rules(content: Mapping[str, Any]) -> None:
    """A job type's completion rules are a layer of these rules (``jobtypes.hooks``)."""
    try:
        check_layer(content["completion_rules"], "completion_rules")
    except ValueError as exc:
        raise Invalid(str(exc), errors={"completion_rules": [str(exc)]}) from None


def photo_count(ticket_id: uuid.UUID) -> int:
    """Photos the engineer registered or uploaded (customer photos are not job evidence). A
    registered photo counts before its bytes arrive: an offline phone pushes
    ``photo.register`` before ``complete`` and uploads when it can."""
    stmt = select(func.count()).where(Photo.ticket_id == ticket_id, Photo.origin == "staff")
    return int(db.session.scalar(stmt) or 0)


def evidence(ticket: Ticket) -> Evidence:
    return Evidence(
        has_signature=accepted_signoff(ticket.id) is not None,
        photo_count=photo_count(ticket.id),
        has_parts_record=has_usages(ticket.id) or has_no_parts_statement(ticket.id),
        checklist_missing=tuple(missing_items(ticket)),
    )


def missing_for_completion(ticket: Ticket) -> list[str]:
    """The completion guard (registered in ``wiring``): what is still missing."""
    return missing(requirements(ticket), evidence(ticket))


def checklist(ticket: Ticket) -> dict[str, Any]:
    req = requirements(ticket)
    ev = evidence(ticket)
    return {
        "requirements": {"signature": req.signature, "photos": req.photos, "parts": req.parts},
        "evidence": {
            "signature": ev.has_signature,
            "photos": ev.photo_count,
            "parts": ev.has_parts_record,
        },
        "missing": missing(req, ev),
    }


# --- sign-off ------------------------------------------------------------------------------


def accepted_signoff(ticket_id: uuid.UUID) -> Signoff | None:
    stmt = select(Signoff).where(Signoff.ticket_id == ticket_id, Signoff.status == "accepted")
    return db.session.scalars(stmt).first()


def list_signoffs(ticket_id: uuid.UUID) -> list[Signoff]:
    stmt = select(Signoff).where(Signoff.ticket_id == ticket_id).order_by(Signoff.created_at)
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class PreparedSignature:
    """A signature rendered and stored, ready to be recorded."""

    rendered: RenderedSignature
    strokes: Any
    key: str


def prepare_signature(signature: dict[str, Any]) -> PreparedSignature:
    """Render the signature (Pillow) and store the PNG before the transaction that records
    it locks the ticket: that transaction holds the cluster-wide sync horizon while it runs.
    The key is the PNG's sha256, so storing it again is a no-op, and a file whose sign-off
    is then refused (or whose transaction fails) is a small orphan no row references, which
    the same signature submitted again reuses; it costs storage, never correctness."""
    release_read()
    rendered, strokes = render(signature)
    key = f"signatures/{rendered.sha256}.png"
    storage.put(key, rendered.png, "image/png")
    return PreparedSignature(rendered, strokes, key)


@dataclass
class SubmitResult:
    signoff: Signoff
    status: str  # applied | duplicate | conflict
    completed: bool = False
    missing: list[str] = field(default_factory=list)
    accepted: Signoff | None = None
    conflict_id: uuid.UUID | None = None


def submit_signoff(
    ticket: Ticket,
    user: User,
    *,
    signer_name: str,
    signature: dict[str, Any],
    signoff_id: uuid.UUID | None = None,
    rating: int | None = None,
    comment: str | None = None,
    location: Location | None = None,
    offline: bool = False,
    occurred_at: datetime | None = None,
    mutation_id: uuid.UUID | None = None,
    prepared: PreparedSignature | None = None,
) -> SubmitResult:
    """Record the customer's signature (write-once) and complete the job if that was the
    last thing missing and the job is in progress. Callers that lock the ticket pass
    ``prepared`` (from ``prepare_signature``, called before the lock) so no rendering or
    storage I/O happens while it is held."""
    signer_name = (signer_name or "").strip()
    if not signer_name:
        raise Invalid("signer_name must not be empty", errors={"signer_name": ["required"]})
    if rating is not None and not 1 <= rating <= 5:
        raise Invalid("rating must be between 1 and 5", errors={"rating": ["1 to 5"]})
    if prepared is None:
        rendered, strokes = render(signature)
        key = f"signatures/{rendered.sha256}.png"
    else:
        rendered, strokes, key = prepared.rendered, prepared.strokes, prepared.key

    if signoff_id is not None:
        existing = db.session.get(Signoff, signoff_id)
        if existing is not None:
            if (
                existing.ticket_id == ticket.id
                and existing.signature_sha256 == rendered.sha256
                and existing.signer_name == signer_name
            ):
                return SubmitResult(existing, "duplicate", accepted=accepted_signoff(ticket.id))
            raise Conflict(f"sign-off {signoff_id} was already recorded with other content")

    stale = check_evidence_access(ticket, user, offline=offline, what="take a sign-off for")
    via = audit_via(offline)
    if not offline and ticket.status not in SIGNABLE:
        raise Conflict(
            f"ticket {ticket.number} is {ticket.status}; a sign-off is taken once the engineer "
            "has accepted the job",
            current_status=ticket.status,
        )

    accepted = accepted_signoff(ticket.id)
    if (
        accepted is not None
        and accepted.signature_sha256 == rendered.sha256
        and accepted.signer_name == signer_name
    ):
        return SubmitResult(accepted, "duplicate", accepted=accepted)  # a retried submission

    if prepared is None:
        storage.put(key, rendered.png, "image/png")
    row = Signoff(
        id=signoff_id or uuid.uuid4(),
        ticket_id=ticket.id,
        status="accepted" if accepted is None else "conflict",
        conflict_of_id=accepted.id if accepted is not None else None,
        signer_name=signer_name,
        occurred_at=occurred_at,
        location=point(location.lon, location.lat) if location else None,
        rating=rating,
        comment=(comment or "").strip() or None,
        signature_sha256=rendered.sha256,
        signature_key=key,
        signature_width=rendered.width,
        signature_height=rendered.height,
        strokes=strokes,
        captured_by_id=user.id,
        via=via,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        same_id = db.session.get(Signoff, row.id)
        if same_id is not None:  # the same client id raced in (a retried request)
            if same_id.signature_sha256 == rendered.sha256 and same_id.signer_name == signer_name:
                return SubmitResult(same_id, "duplicate", accepted=accepted_signoff(ticket.id))
            raise Conflict(f"sign-off {row.id} was already recorded with other content") from None
        # Another first signature for this ticket committed meanwhile: ours is the second.
        accepted = accepted_signoff(ticket.id)
        if accepted is None:
            raise
        row.status, row.conflict_of_id = "conflict", accepted.id
        db.session.add(row)
        db.session.flush()

    if row.status == "conflict":
        assert accepted is not None
        return _keep_conflict(ticket, user, row, accepted, offline, mutation_id, occurred_at)

    record_activity(
        ticket,
        actor=user,
        action="signoff",
        via=via,
        occurred_at=occurred_at,
        data={"signoff_id": str(row.id), "signer_name": signer_name, "rating": rating},
    )
    db.session.flush()
    result = SubmitResult(row, "applied", accepted=row)
    result.missing = missing_for_completion(ticket)
    if ticket.status == Status.IN_PROGRESS and not result.missing and not stale:
        transition(ticket, user, "complete", via=via, occurred_at=occurred_at)
        result.completed = True
    return result


def submit_body(
    ticket: Ticket,
    user: User,
    body: Mapping[str, Any],
    *,
    prepared: PreparedSignature | None,
    offline: bool = False,
    mutation_id: uuid.UUID | None = None,
) -> SubmitResult:
    """``submit_signoff`` with a loaded ``SignoffIn`` body: the REST body, or the
    ``signoff.submit`` mutation's, which extends it. One reading of the body for both, so a
    field added to it cannot reach one path and not the other."""
    return submit_signoff(
        ticket,
        user,
        signer_name=body["signer_name"],
        signature=body["signature"],
        signoff_id=body.get("id"),
        rating=body.get("rating"),
        comment=body.get("comment"),
        location=body.get("location"),
        offline=offline,
        occurred_at=body.get("occurred_at"),
        mutation_id=mutation_id,
        prepared=prepared,
    )


def _keep_conflict(
    ticket: Ticket,
    user: User,
    row: Signoff,
    accepted: Signoff,
    offline: bool,
    mutation_id: uuid.UUID | None,
    occurred_at: datetime | None,
) -> SubmitResult:
    conflict = record_conflict(
        actor=user,
        ticket_id=ticket.id,
        entity="signoffs",
        entity_id=row.id,
        kind="second_signature",
        message=f"ticket {ticket.number} was already signed by {accepted.signer_name}; "
        f"a second signature by {row.signer_name} was kept as a conflict",
        mine=summary(row),
        theirs=summary(accepted),
        mutation_id=mutation_id,
        mutation_name="signoff.submit" if offline else None,
        occurred_at=occurred_at,
    )
    row.sync_conflict_id = conflict_id = conflict.id
    record_activity(
        ticket,
        actor=user,
        action="signoff_conflict",
        via=audit_via(offline),
        occurred_at=occurred_at,
        data={"signoff_id": str(row.id), "accepted_id": str(accepted.id)},
    )
    db.session.flush()
    return SubmitResult(row, "conflict", accepted=accepted, conflict_id=conflict_id)


def summary(s: Signoff) -> dict[str, Any]:
    return {
        "signoff_id": str(s.id),
        "signer_name": s.signer_name,
        "signature_sha256": s.signature_sha256,
        "signed_at": s.signed_at.isoformat() if s.signed_at else None,
        "rating": s.rating,
    }
