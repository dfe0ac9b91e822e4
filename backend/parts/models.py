"""Parts catalog, stock locations, the stock ledger and consumption on tickets.

The ledger (``StockMovement``) is the truth and is append-only (a database trigger refuses
UPDATE and DELETE). ``StockLevel`` is a materialised sum per (part, location), changed only
by ``operations.post_movement`` in the same transaction as the movement and under a row lock,
so two concurrent movements can never both read the old quantity (no lost update); it can
always be rebuilt from the ledger (``queries.ledger_levels``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, SyncTracked, Timestamps, UUIDPk, utcnow

QTY = Numeric(14, 3)
LOCATION_KINDS = ("warehouse", "van")
MOVEMENT_KINDS = ("receipt", "transfer", "consumption", "return", "adjustment")


class Part(UUIDPk, Timestamps, SyncTracked, Base):
    __tablename__ = "parts"
    __sync_entity__ = "parts"
    # Every engineer's phone carries the whole catalog (to pick parts offline).
    __sync_scope__ = "global"

    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20), default="pcs")
    # Default low-stock threshold for every location; a StockThreshold row overrides it.
    min_quantity: Mapped[Decimal | None] = mapped_column(QTY)


class StockLocation(UUIDPk, Timestamps, Base):
    __tablename__ = "stock_locations"
    __table_args__ = (
        CheckConstraint("kind IN ('warehouse', 'van')", name="kind_known"),
        # A van belongs to exactly one engineer; a warehouse to nobody.
        CheckConstraint("(kind = 'van') = (engineer_id IS NOT NULL)", name="van_has_engineer"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    # Unique: one van per engineer (NULLs, i.e. warehouses, do not collide).
    engineer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), unique=True)


class StockMovement(UUIDPk, Base):
    """One line of the ledger. ``quantity`` is always positive; the direction is given by
    ``from_location_id`` (stock leaves) and ``to_location_id`` (stock arrives)."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "kind IN ('receipt', 'transfer', 'consumption', 'return', 'adjustment')",
            name="kind_known",
        ),
        CheckConstraint(
            "from_location_id IS NOT NULL OR to_location_id IS NOT NULL", name="has_location"
        ),
        Index("ix_stock_movements_part_created", "part_id", "created_at"),
    )

    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(QTY)
    from_location_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stock_locations.id"), index=True
    )
    to_location_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stock_locations.id"), index=True
    )
    reason: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(String(10), default="api")
    # e.g. {"negative_stock": true, "level_after": "-2.000"}: kept and flagged, never refused.
    flags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StockLevel(UUIDPk, SyncTracked, Base):
    """Materialised level per (part, location). ``engineer_id`` is copied from the van so the
    sync scope of a level is one column (an engineer's phone mirrors its own van stock)."""

    __tablename__ = "stock_levels"
    __sync_entity__ = "stock_levels"
    __sync_scope__ = "engineer:engineer_id"
    __table_args__ = (UniqueConstraint("part_id", "location_id", name="uq_stock_levels_part"),)

    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_locations.id"), index=True)
    engineer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StockThreshold(UUIDPk, Base):
    """Low-stock threshold for one part at one location (overrides ``Part.min_quantity``)."""

    __tablename__ = "stock_thresholds"
    __table_args__ = (
        UniqueConstraint("part_id", "location_id", name="uq_stock_thresholds_part"),
        CheckConstraint("min_quantity >= 0", name="min_not_negative"),
    )

    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_locations.id"))
    min_quantity: Mapped[Decimal] = mapped_column(QTY)


class PartUsage(UUIDPk, Timestamps, SyncTracked, Base):
    """A part consumed on a ticket; the id is the phone's, which makes recording idempotent."""

    __tablename__ = "part_usages"
    __sync_entity__ = "part_usages"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        # The parts report reads its period's uses (docs/kpis.md#parts; migration 0022).
        Index("ix_part_usages_created_at", "created_at"),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"), index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_locations.id"))
    quantity: Mapped[Decimal] = mapped_column(QTY)
    engineer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    movement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_movements.id"))
    # The van went below zero with this consumption (offline use): flagged, never refused.
    negative_stock: Mapped[bool] = mapped_column(default=False)
    via: Mapped[str] = mapped_column(String(10), default="api")
    occurred_at: Mapped[datetime | None]


class PartsStatement(UUIDPk, Timestamps, SyncTracked, Base):
    """The engineer's statement that no parts were used on a ticket (a completion rule
    accepts either recorded parts or this statement). One per ticket."""

    __tablename__ = "parts_statements"
    __sync_entity__ = "parts_statements"

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"), unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(String(10), default="api")
    occurred_at: Mapped[datetime | None]
