"""Sync tables: the change log, remembered mutations, per-device progress and conflicts.

The change log is a Core table (written in bulk from a flush listener and read with hand-made
SQL), the rest are ORM models. ``sync_changes.xid`` is ``xid8`` filled by
``pg_current_xact_id()``: the commit-order cursor of docs/sync-protocol.md needs the writer's
transaction id, not a clock and not only a sequence (which is allocated at insert, not at commit).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from marshmallow import fields
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

from backend.db import Base, SyncTracked, Timestamps, UUIDPk, Versioned, utcnow


class XID8(UserDefinedType[str]):
    """PostgreSQL ``xid8`` (64-bit transaction id); handled as text in Python."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


sync_changes = Table(
    "sync_changes",
    Base.metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("xid", XID8(), nullable=False, server_default=text("pg_current_xact_id()")),
    Column("entity", String(40), nullable=False),
    Column("entity_id", UUID(as_uuid=True), nullable=False),
    Column("op", String(1), nullable=False),  # u = insert/update, d = delete (tombstone)
    Column("ticket_id", UUID(as_uuid=True)),
    # Engineers this change concerns (for tickets: old AND new assignee).
    Column("engineers", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    # Engineers who gained the entity with this change: they get it with all its children.
    Column("grants", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("is_global", Boolean, nullable=False, server_default=text("false")),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_sync_changes_xid_id", "xid", "id"),
    Index("ix_sync_changes_at", "at"),
)


class SyncMeta(Base):
    """Small key/value facts, e.g. how far the change log has been purged."""

    __tablename__ = "sync_meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SyncMutation(Base):
    """A pushed mutation id and its result, written in the same transaction as its effects:
    a retry finds it and answers ``duplicate`` without touching anything (docs/sync-protocol.md)."""

    __tablename__ = "sync_mutations"
    __table_args__ = (Index("ix_sync_mutations_user_client", "user_id", "client_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(12))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The arguments as sent: a rejected mutation is still kept, never silently dropped.
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncClient(Base):
    """Per device: the last mutation the server processed, echoed by pull and push."""

    __tablename__ = "sync_clients"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_mutation_id: Mapped[uuid.UUID | None]
    # The push transaction that set last_mutation_id: a pull reports that id only once the
    # horizon has passed this transaction, i.e. once it has brought the mutation's effect
    # (the app drops acknowledged mutations on that word; too early, the job flicks back).
    last_mutation_xid: Mapped[str | None] = mapped_column(XID8(), nullable=True)
    schema_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


RESOLUTIONS = ("keep_server", "apply_engineer", "acknowledged")


class SyncConflict(UUIDPk, Timestamps, Versioned, SyncTracked, Base):
    """An engineer's write the server could not simply apply: both values are kept, the
    dispatcher resolves it, and it syncs back to the engineer who made it."""

    __tablename__ = "sync_conflicts"
    __sync_entity__ = "conflicts"
    __sync_scope__ = "engineer:actor_id"
    __table_args__ = (Index("ix_sync_conflicts_open", "resolution", "created_at"),)

    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID | None]
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    mutation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    mutation_name: Mapped[str | None] = mapped_column(String(60))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    mine: Mapped[dict[str, Any]] = mapped_column(
        default=dict,
        info={"wire": fields.Dict(metadata={"x-free-form": "the refused values as sent"})},
    )
    theirs: Mapped[dict[str, Any]] = mapped_column(
        default=dict,
        info={"wire": fields.Dict(metadata={"x-free-form": "the record's values then"})},
    )
    base_version: Mapped[int | None]
    occurred_at: Mapped[datetime | None]  # the device's claim; shown, never used to order
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
