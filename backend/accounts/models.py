from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, Timestamps, UUIDPk, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    ENGINEER = "engineer"


STAFF_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER})
# A service account (an integration calling with API keys) is a ``User`` row with this role,
# so audit lines, notes and exports name it as the actor like any user. It is not a ``Role``:
# nobody can create one through ``POST /users`` or log in as one (it has no password).
SERVICE_ROLE = "service"


class User(UUIDPk, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        Index(
            "uq_users_external_ref",
            "external_ref",
            unique=True,
            postgresql_where=text("external_ref IS NOT NULL"),
        ),
    )

    # Stored lower-cased by the operations, so uniqueness is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None]
    # The id the company's own system gives the person (bulk import, docs/imports.md).
    external_ref: Mapped[str | None] = mapped_column(String(100))
    # The language of e-mails to this user ("en" | "zh-CN"); None: the configured default.
    language: Mapped[str | None] = mapped_column(String(10))

    @property
    def is_staff(self) -> bool:
        # A service account sees what staff see, but only where its key's scopes reach: the
        # auth gate refuses every operation outside them before the view runs.
        return self.role in STAFF_ROLES or self.role == SERVICE_ROLE

    @property
    def is_service(self) -> bool:
        return self.role == SERVICE_ROLE

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


class ApiKey(Base):
    """A key of a service account. Only the SHA-256 of the key is stored (the key is 32 random
    bytes: a fast hash is as strong as a slow one and is looked up by index); ``prefix`` is
    its first characters, shown so people can tell keys apart. ``last_used_at`` is written at
    most once per ``API_KEY_LAST_USED_EVERY_S``, not on every request."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    service_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    # Requests per minute for this key; None: the ``API_KEY_RATE_LIMIT`` default.
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class PasswordSetupToken(Base):
    """A one-time token that lets a user without a password (an imported engineer) choose
    one. Only its SHA-256 is stored (32 random bytes: a fast hash is as strong as a slow one,
    and it is found by index); it expires, is spent on use, and issuing a new one for the
    same user retires the older ones (docs/security.md)."""

    __tablename__ = "password_setup_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
