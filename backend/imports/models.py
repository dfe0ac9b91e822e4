"""An uploaded file's import: the dry run's verdict and errors, where its checked rows wait
for apply (the media storage), and once applied what it changed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, Timestamps, UUIDPk

# invalid: the dry run found errors (fix the file, upload again); ready: clean, may be applied;
# applying: the job runs; applied: done (``result``); failed: the job stopped (``failure``),
# apply again: rows already written are found by their key and left as they are.
STATUSES = ("invalid", "ready", "applying", "applied", "failed")


class ImportBatch(UUIDPk, Timestamps, Base):
    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_created_at", "created_at"),)

    entity: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    rows_total: Mapped[int]
    error_count: Mapped[int]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    storage_key: Mapped[str | None] = mapped_column(String(255))
    job_id: Mapped[str | None] = mapped_column(String(80))
    result: Mapped[dict[str, Any] | None]
    failure: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
