from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, Timestamps, UUIDPk, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    ENGINEER = "engineer"


STAFF_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER})


class User(UUIDPk, Timestamps, Base):
    __tablename__ = "users"

    # Stored lower-cased by the operations, so uniqueness is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None]

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_engineer(self) -> bool:
        return self.role == Role.ENGINEER

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class RefreshFamily(Base):
    """One login session: the chain of refresh tokens that rotate from one login.

    Only SHA-256 hashes of token ids are stored, never a token: a leaked table lets nobody in.
    ``previous_jti_hash`` is the token rotated last, accepted again within a short grace (a
    lost answer being retried, two refreshes racing); any other old token revokes the family
    (theft detection)."""

    __tablename__ = "refresh_families"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Refresh tokens of a family are numbered; the current one's id derives from the number.
    generation: Mapped[int] = mapped_column(default=0)
    current_jti_hash: Mapped[str] = mapped_column(String(64))
    previous_jti_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(20))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    @property
    def active(self) -> bool:
        return self.revoked_at is None
