"""In-app notifications (for dispatchers and engineers). Push delivery (device tokens, the
FCM outbox) builds on these rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UUIDPk, utcnow


class Notification(UUIDPk, Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_role_created", "role", "created_at"),)

    # Either one user, or everyone with a role (e.g. all dispatchers).
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class DeviceToken(UUIDPk, Base):
    """An FCM registration token of one of a user's devices. A token belongs to one device, so
    it is unique; registering it again (same or another user) moves it and refreshes it.
    FCM answering UNREGISTERED deletes the row."""

    __tablename__ = "device_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(4096), unique=True)
    platform: Mapped[str] = mapped_column(String(16))  # android | ios | web
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


PUSH_STATUSES = ("pending", "sending", "sent", "unsent", "failed")


class PushMessage(UUIDPk, Base):
    """Outbox: one row per (notification, device), written in the transaction that caused the
    notification (e.g. the assignment), so a push exists exactly when its cause committed. The
    sender job changes only ``status`` and the delivery fields. The token is copied because the
    device row is deleted when FCM reports it unregistered, while this record stays."""

    __tablename__ = "push_messages"
    __table_args__ = (
        Index("ix_push_messages_status_created", "status", "created_at"),
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'unsent', 'failed')", name="status_known"
        ),
    )

    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("device_tokens.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(4096))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # pending -> sending (claimed by a sender job) -> sent | failed (rejected or retries
    # exhausted) | pending again (transient error, rq retries); unsent: no FCM credentials.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # When a sender claimed it; a ``sending`` row claimed long ago belongs to a dead worker.
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    fcm_message_id: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
