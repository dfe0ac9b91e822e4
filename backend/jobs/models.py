"""The job outbox: the durable intent to run a background job.

A row is written in the same transaction as the write that wants the job, so the intent
commits exactly when its cause commits. After the commit it is relayed to rq; when Redis is
down (or loses its data on a restart) the row stays and the relay sweep hands it over later.
The job deletes its own row in the transaction of its result, which makes a job that rq runs
twice (a retry racing a requeue of an abandoned job, a sweep re-relaying) commit only once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, Text, text
from sqlalchemy import func as sql_func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, utcnow


class JobOutbox(Base):
    __tablename__ = "job_outbox"
    # The sweep reads the live backlog oldest first; dead rows stay out of its index.
    __table_args__ = (
        Index("ix_job_outbox_live_created", "created_at", postgresql_where=text("dead_at IS NULL")),
    )

    # The rq job id: relaying the same row twice is the same rq job, never two.
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    func: Mapped[str] = mapped_column(String(200), nullable=False)
    args: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    queue: Mapped[str] = mapped_column(String(20), nullable=False)
    timeout_s: Mapped[int] = mapped_column(Integer, nullable=False)
    retry_intervals: Mapped[list[int]] = mapped_column(JSONB, nullable=False, default=list)
    run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=sql_func.now()
    )
    relay_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    relayed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when rq gave up on the job (its retries are spent): kept for operators, not relayed.
    dead_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
