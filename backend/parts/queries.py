"""Read side of the parts feature: catalog, locations, levels, ledger and usages."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, union_all

from backend.accounts.models import User
from backend.db import db
from backend.errors import NotAllowed
from backend.parts.models import (
    Part,
    PartUsage,
    StockLevel,
    StockLocation,
    StockMovement,
    StockThreshold,
)


def parts_stmt(sku: str | None = None, q: str | None = None) -> Select[Part]:
    stmt = select(Part).order_by(Part.sku)
    if sku:
        stmt = stmt.where(Part.sku == sku)
    if q:
        stmt = stmt.where(Part.name.ilike(f"%{_escape_like(q)}%", escape="\\"))
    return stmt


def locations_stmt(user: User) -> Select[StockLocation]:
    """Staff see every location; an engineer sees warehouses and their own van."""
    stmt = select(StockLocation).order_by(StockLocation.kind.desc(), StockLocation.name)
    if not user.is_staff:
        stmt = stmt.where(
            or_(StockLocation.kind == "warehouse", StockLocation.engineer_id == user.id)
        )
    return stmt


def levels(
    user: User,
    *,
    location_id: uuid.UUID | None,
    part_id: uuid.UUID | None,
    page_no: int = 1,
    page_size: int = 1000,
) -> tuple[list[dict[str, Any]], int]:
    """Current levels with their effective threshold. Engineers may read only their van."""
    if not user.is_staff:
        location = db.session.get(StockLocation, location_id) if location_id else None
        if location_id is None or location is None or location.engineer_id != user.id:
            raise NotAllowed("engineers can read the stock of their own van only (location_id)")
    minimum = func.coalesce(StockThreshold.min_quantity, Part.min_quantity)
    stmt = (
        select(StockLevel, Part.sku, minimum.label("min_quantity"))
        .join(Part, Part.id == StockLevel.part_id)
        .outerjoin(
            StockThreshold,
            and_(
                StockThreshold.part_id == StockLevel.part_id,
                StockThreshold.location_id == StockLevel.location_id,
            ),
        )
        .order_by(Part.sku, StockLevel.location_id)
    )
    if location_id:
        stmt = stmt.where(StockLevel.location_id == location_id)
    if part_id:
        stmt = stmt.where(StockLevel.part_id == part_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    stmt = stmt.limit(page_size).offset((page_no - 1) * page_size)
    out = []
    for level, sku, min_quantity in db.session.execute(stmt):
        out.append(
            {
                "part_id": level.part_id,
                "sku": sku,
                "location_id": level.location_id,
                "engineer_id": level.engineer_id,
                "quantity": level.quantity,
                "min_quantity": min_quantity,
                "low": min_quantity is not None and level.quantity <= min_quantity,
                "negative": level.quantity < 0,
                "updated_at": level.updated_at,
            }
        )
    return out, int(total or 0)


def ledger_levels(part_id: uuid.UUID | None = None) -> dict[tuple[uuid.UUID, uuid.UUID], Decimal]:
    """Levels recomputed from the ledger alone (the definition the materialised rows must
    always equal; used by tests and for repairs)."""
    outgoing = select(
        StockMovement.part_id,
        StockMovement.from_location_id.label("location_id"),
        (-StockMovement.quantity).label("delta"),
    ).where(StockMovement.from_location_id.is_not(None))
    incoming = select(
        StockMovement.part_id,
        StockMovement.to_location_id.label("location_id"),
        StockMovement.quantity.label("delta"),
    ).where(StockMovement.to_location_id.is_not(None))
    if part_id is not None:
        outgoing = outgoing.where(StockMovement.part_id == part_id)
        incoming = incoming.where(StockMovement.part_id == part_id)
    both = union_all(outgoing, incoming).subquery()
    stmt = select(both.c.part_id, both.c.location_id, func.sum(both.c.delta)).group_by(
        both.c.part_id, both.c.location_id
    )
    return {(p, loc): total for p, loc, total in db.session.execute(stmt)}


def movements_stmt(
    *,
    part_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    ticket_id: uuid.UUID | None = None,
) -> Select[StockMovement]:
    stmt = select(StockMovement).order_by(StockMovement.created_at.desc(), StockMovement.id)
    if part_id:
        stmt = stmt.where(StockMovement.part_id == part_id)
    if location_id:
        stmt = stmt.where(
            or_(
                StockMovement.from_location_id == location_id,
                StockMovement.to_location_id == location_id,
            )
        )
    if ticket_id:
        stmt = stmt.where(StockMovement.ticket_id == ticket_id)
    return stmt


def usages(ticket_id: uuid.UUID) -> list[PartUsage]:
    stmt = (
        select(PartUsage)
        .where(PartUsage.ticket_id == ticket_id)
        .order_by(PartUsage.created_at, PartUsage.id)
    )
    return list(db.session.scalars(stmt))


def usages_with_parts(ticket_id: uuid.UUID) -> list[tuple[PartUsage, Part]]:
    stmt = (
        select(PartUsage, Part)
        .join(Part, Part.id == PartUsage.part_id)
        .where(PartUsage.ticket_id == ticket_id)
        .order_by(PartUsage.created_at, PartUsage.id)
    )
    return [(u, p) for u, p in db.session.execute(stmt)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
