"""Subscriptions, deliveries (one event to one subscription: the ``webhook-id``, the same on
every attempt) and attempts (the delivery log: status, latency, response excerpt)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, Timestamps, UUIDPk, utcnow

DELIVERY_STATUSES = ("pending", "sending", "succeeded", "failed")


class WebhookSubscription(UUIDPk, Timestamps, Base):
    __tablename__ = "webhook_subscriptions"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # ``whsec_`` + base64 of 32 random bytes (the signing key; shown once, on create).
    secret: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Failed attempts since the last success, and when that run of failures began.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class WebhookDelivery(UUIDPk, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_subscription_created", "subscription_id", "created_at"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The attempt job that may run next: a redelivery bumps it, so a retry scheduled before
    # it finds itself outdated and does nothing.
    job_seq: Mapped[int] = mapped_column(Integer, default=1)
    # Retries go on until this window (WEBHOOK_RETRY_WINDOW_S) after it has passed.
    retry_from: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_response: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def webhook_id(self) -> str:
        """The ``webhook-id`` header: the same on every attempt, for receivers to dedupe."""
        return msg_id(self.id)


def msg_id(delivery_id: uuid.UUID) -> str:
    return f"msg_{delivery_id.hex}"


class WebhookAttempt(UUIDPk, Base):
    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
