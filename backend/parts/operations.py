"""Parts operations: catalog, locations, and consumption on tickets; the ledger itself
(movements and levels under row locks) is ``ledger.py``, re-exported here.

Plain values in, the acting ``User`` passed explicitly, ``flush()`` only, DomainError out; the
REST views and the ``part.consume`` sync mutation call the same functions.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import Role, User
from backend.db import added, db
from backend.errors import Conflict, Invalid, NotAllowed
from backend.parts.ledger import (  # re-exported: the API calls them through operations
    get_location as get_location,
)
from backend.parts.ledger import get_part as get_part
from backend.parts.ledger import post_movement as post_movement
from backend.parts.models import (
    Part,
    PartsStatement,
    PartUsage,
    StockLocation,
    StockThreshold,
)
from backend.workorders.audit import add_with_activity
from backend.workorders.evidence import audit_via, check_evidence_access
from backend.workorders.models import Ticket

# Consumption on a ticket in these statuses is refused online (the job is over or void);
# offline (sync) consumption is evidence and is always kept (docs/sync-protocol.md merge rules,
# backend.workorders.evidence).
CLOSED_FOR_PARTS = ("cancelled", "closed")


# --- catalog and locations -----------------------------------------------------------------


def create_part(
    *, actor: User, sku: str, name: str, unit: str = "pcs", min_quantity: Decimal | None = None
) -> Part:
    _staff_only(actor, "manage the parts catalog")
    sku = sku.strip()
    if not sku:
        raise Invalid("a part needs a SKU", errors={"sku": ["must not be empty"]})
    if db.session.scalar(select(Part.id).where(Part.sku == sku)) is not None:
        raise Conflict(f"a part with SKU {sku!r} already exists", errors={"sku": ["taken"]})
    part = Part(sku=sku, name=name.strip(), unit=unit.strip() or "pcs", min_quantity=min_quantity)
    return added(part)


def create_location(
    *, actor: User, name: str, kind: str, engineer_id: uuid.UUID | None = None
) -> StockLocation:
    _staff_only(actor, "manage stock locations")
    if kind == "van":
        if engineer_id is None:
            raise Invalid("a van belongs to an engineer", errors={"engineer_id": ["required"]})
        engineer = db.session.get(User, engineer_id)
        if engineer is None or engineer.role != Role.ENGINEER:
            raise Invalid(
                f"user {engineer_id} is not an engineer", errors={"engineer_id": ["no engineer"]}
            )
        if van_of(engineer_id) is not None:
            raise Conflict(
                f"engineer {engineer.name} already has a van",
                errors={"engineer_id": ["one van per engineer"]},
            )
    elif kind == "warehouse":
        if engineer_id is not None:
            raise Invalid(
                "a warehouse has no engineer", errors={"engineer_id": ["only for kind van"]}
            )
    else:
        raise Invalid(f"unknown location kind {kind!r}", errors={"kind": ["warehouse or van"]})
    location = StockLocation(name=name.strip(), kind=kind, engineer_id=engineer_id)
    return added(location)


def set_threshold(
    *, actor: User, part_id: uuid.UUID, location_id: uuid.UUID, min_quantity: Decimal
) -> StockThreshold:
    _staff_only(actor, "set low-stock thresholds")
    get_part(part_id)
    get_location(location_id)
    row = db.session.scalars(
        select(StockThreshold).where(
            StockThreshold.part_id == part_id, StockThreshold.location_id == location_id
        )
    ).first()
    if row is None:
        row = StockThreshold(part_id=part_id, location_id=location_id, min_quantity=min_quantity)
        db.session.add(row)
    else:
        row.min_quantity = min_quantity
    db.session.flush()
    return row


def van_of(engineer_id: uuid.UUID) -> StockLocation | None:
    stmt = select(StockLocation).where(
        StockLocation.kind == "van", StockLocation.engineer_id == engineer_id
    )
    return db.session.scalars(stmt).first()


# --- consumption on tickets ----------------------------------------------------------------


@dataclass
class Consumed:
    usage: PartUsage
    created: bool
    # The engineer is no longer assigned (reassigned/cancelled while offline): the evidence
    # is kept, and the sync layer records a conflict for the dispatcher.
    stale_assignment: bool = False


def consume_part(
    ticket: Ticket,
    user: User,
    *,
    part_id: uuid.UUID,
    quantity: Decimal,
    location_id: uuid.UUID | None = None,
    usage_id: uuid.UUID | None = None,
    offline: bool = False,
    occurred_at: datetime | None = None,
) -> Consumed:
    """Record ``quantity`` of a part used on ``ticket``, drawn from ``location_id`` or by
    default from the van of the engineer doing the job. Idempotent by ``usage_id``: the same
    id with the same values returns the existing record, with other values it is a conflict.
    Never refused for lack of stock: the van goes negative and the usage is flagged.
    ``offline``: recorded on the phone earlier and synced now, kept as evidence even if the
    job has since moved on or closed."""
    if usage_id is not None:
        existing = db.session.get(PartUsage, usage_id)
        if existing is not None:
            return Consumed(_same_usage(existing, ticket, part_id, quantity, location_id), False)
    stale = check_evidence_access(ticket, user, offline=offline, what="record parts on")
    if not offline and ticket.status in CLOSED_FOR_PARTS:
        raise Conflict(f"ticket {ticket.number} is {ticket.status}; parts cannot be added")
    location = _consumption_location(ticket, user, location_id)
    usage_id = usage_id or uuid.uuid4()
    via = audit_via(offline)
    try:
        with db.session.begin_nested():
            movement = post_movement(
                actor=user,
                part_id=part_id,
                quantity=quantity,
                from_location_id=location.id,
                kind="consumption",
                ticket_id=ticket.id,
                allow_negative=True,
                via=via,
                occurred_at=occurred_at,
                reason=f"used on {ticket.number}",
            )
            usage = PartUsage(
                id=usage_id,
                ticket_id=ticket.id,
                part_id=part_id,
                location_id=location.id,
                quantity=movement.quantity,
                engineer_id=user.id,
                movement_id=movement.id,
                negative_stock=bool(movement.flags.get("negative_stock")),
                via=via,
                occurred_at=occurred_at,
            )
            add_with_activity(
                ticket,
                usage,
                actor=user,
                action="part_used",
                via=via,
                occurred_at=occurred_at,
                data={
                    "usage_id": str(usage.id),
                    "part_id": str(part_id),
                    "quantity": str(usage.quantity),
                    "negative_stock": usage.negative_stock,
                },
            )
    except IntegrityError:
        # The same client id raced in from another request (a retried push): the first one
        # won; answer as a replay of it.
        existing = db.session.get(PartUsage, usage_id)
        if existing is None:
            raise
        return Consumed(_same_usage(existing, ticket, part_id, quantity, location_id), False)
    return Consumed(usage, True, stale)


def _same_usage(
    existing: PartUsage,
    ticket: Ticket,
    part_id: uuid.UUID,
    quantity: Decimal,
    location_id: uuid.UUID | None,
) -> PartUsage:
    same = (
        existing.ticket_id == ticket.id
        and existing.part_id == part_id
        and existing.quantity == Decimal(quantity)
        and (location_id is None or existing.location_id == location_id)
    )
    if not same:
        raise Conflict(
            f"part usage {existing.id} was already recorded with other values",
            existing={
                "ticket_id": str(existing.ticket_id),
                "part_id": str(existing.part_id),
                "quantity": float(existing.quantity),
                "location_id": str(existing.location_id),
            },
        )
    return existing


def _consumption_location(
    ticket: Ticket, user: User, location_id: uuid.UUID | None
) -> StockLocation:
    if location_id is not None:
        location = get_location(location_id)
        if user.is_engineer and location.kind == "van" and location.engineer_id != user.id:
            raise NotAllowed("you can only use parts from your own van or a warehouse")
        return location
    engineer_id = user.id if user.is_engineer else ticket.assignee_id
    van = van_of(engineer_id) if engineer_id else None
    if van is None:
        raise Invalid(
            "no van stock location for the engineer; pass location_id",
            errors={"location_id": ["required: the engineer has no van"]},
        )
    return van


def consume_body(
    ticket: Ticket, user: User, body: Mapping[str, Any], *, offline: bool = False
) -> Consumed:
    """``consume_part`` with a loaded ``UsageIn`` body: the REST body, or the ``part.consume``
    mutation's, which extends it. One reading of the body for both, so a field added to it
    cannot reach one path and not the other."""
    return consume_part(
        ticket,
        user,
        part_id=body["part_id"],
        quantity=body["quantity"],
        location_id=body.get("location_id"),
        usage_id=body.get("id"),
        offline=offline,
        occurred_at=body.get("occurred_at"),
    )


def declare_no_parts(
    ticket: Ticket,
    user: User,
    *,
    statement_id: uuid.UUID | None = None,
    offline: bool = False,
    occurred_at: datetime | None = None,
) -> PartsStatement:
    """State that no parts were used. Idempotent; refused (409) once parts are recorded,
    because the two statements would contradict each other."""
    existing = db.session.scalars(
        select(PartsStatement).where(PartsStatement.ticket_id == ticket.id)
    ).first()
    if existing is not None:
        return existing
    check_evidence_access(ticket, user, offline=offline, what="record parts on")
    if has_usages(ticket.id):
        raise Conflict(f"parts are already recorded on ticket {ticket.number}")
    statement_id = statement_id or uuid.uuid4()
    via = audit_via(offline)
    # The client's id is global: reused on another ticket it names a different statement.
    if db.session.get(PartsStatement, statement_id) is not None:
        raise _statement_elsewhere(statement_id)
    try:
        with db.session.begin_nested():
            statement = PartsStatement(
                id=statement_id,
                ticket_id=ticket.id,
                user_id=user.id,
                via=via,
                occurred_at=occurred_at,
            )
            add_with_activity(
                ticket,
                statement,
                actor=user,
                action="no_parts_used",
                via=via,
                occurred_at=occurred_at,
            )
    except IntegrityError:
        # Lost a race with the same id (another ticket) or a second statement for this one.
        raced = db.session.get(PartsStatement, statement_id)
        if raced is not None and raced.ticket_id == ticket.id:
            return raced
        raise _statement_elsewhere(statement_id) from None
    return statement


def _statement_elsewhere(statement_id: uuid.UUID) -> Conflict:
    return Conflict(
        f"statement id {statement_id} is already used on another ticket; "
        "send a new id for this one",
        existing={"id": str(statement_id)},
    )


def ensure_parts_exist(part_ids: list[str], field: str = "suggested_parts") -> None:
    """Refuse part ids nobody put in the catalog (a job type's suggested parts)."""
    wanted = {uuid.UUID(str(p)) for p in part_ids}
    if not wanted:
        return
    known = set(db.session.scalars(select(Part.id).where(Part.id.in_(wanted))))
    unknown = sorted(str(p) for p in wanted - known)
    if unknown:
        raise Invalid(
            f"unknown part(s): {', '.join(unknown)}",
            errors={field: [f"unknown part {p}" for p in unknown]},
        )


def has_usages(ticket_id: uuid.UUID) -> bool:
    stmt = select(PartUsage.id).where(PartUsage.ticket_id == ticket_id).limit(1)
    return db.session.scalar(stmt) is not None


def has_no_parts_statement(ticket_id: uuid.UUID) -> bool:
    stmt = select(PartsStatement.id).where(PartsStatement.ticket_id == ticket_id)
    return db.session.scalar(stmt) is not None


def _staff_only(actor: User, what: str) -> None:
    if not actor.is_staff:
        raise NotAllowed(f"only a dispatcher or admin may {what}")
