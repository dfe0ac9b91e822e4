"""Password set-up for users made without a password (engineers brought in by a bulk import).

Such a user cannot log in (their ``password_hash`` is ``NO_PASSWORD_YET``, which no password
verifies) until they choose a password with a one-time token:

- the token is 32 random bytes (URL-safe text), returned once to whoever issues it and never
  stored: the table keeps its SHA-256 (a fast hash is enough for 256 random bits, and the
  token is found by index, so a leaked table lets nobody in);
- it expires after ``PASSWORD_SETUP_TTL_S`` (3 days by default), is spent by its first use,
  and issuing a new one for the same user retires the older ones (a resent invitation makes
  the first link useless);
- redeeming it sets the password (the same length rule as everywhere) and ends every session
  of the user; the endpoint is rate limited per client address (docs/security.md).

``on_issued`` is the hook the mail feature registers on: it records the invitation e-mail
in the same transaction and sends it after commit. Without mail configured, an admin reads a
fresh link from ``POST /users/<id>/password-setup`` and hands it over.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update

from backend.accounts import sessions
from backend.accounts.models import PasswordSetupToken, User
from backend.accounts.operations import MIN_PASSWORD_LENGTH
from backend.accounts.passwords import hash_password
from backend.config import settings
from backend.db import db
from backend.errors import Invalid, NotAllowed, NotFound

# (user, set-up link, expiry): run in the issuing transaction (record rows, queue jobs only);
# True when it queued an e-mail with the link.
on_issued: list[Callable[[User, str, datetime], bool]] = []


class BadToken(Invalid):
    """Unknown, used and expired tokens get the same answer: no oracle."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link(token: str) -> str:
    """The engineer app's set-password page; the token rides in the fragment, which browsers
    never send to a server (no access log holds it)."""
    return f"{settings().PUBLIC_BASE_URL.rstrip('/')}/app/#/set-password/{token}"


def issue(user: User, now: datetime) -> tuple[str, datetime, bool]:
    """A new token for ``user`` (older unused ones retired): the plain token, its expiry and
    whether an invitation e-mail was queued. Flushes; the caller commits."""
    db.session.execute(
        update(PasswordSetupToken)
        .where(PasswordSetupToken.user_id == user.id, PasswordSetupToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=max(60, settings().PASSWORD_SETUP_TTL_S))
    db.session.add(
        PasswordSetupToken(
            user_id=user.id, token_hash=digest(token), created_at=now, expires_at=expires_at
        )
    )
    db.session.flush()
    emailed = [hook(user, link(token), expires_at) for hook in list(on_issued)]
    return token, expires_at, any(emailed)


def issue_for(actor: User, user_id: object, now: datetime) -> dict[str, object]:
    """An admin's fresh set-up link for a person's account (a lost or expired invitation,
    or no mail configured): shown once. Service accounts never get one."""
    if actor.role != "admin":
        raise NotAllowed("only an admin may issue a password set-up link")
    user = db.session.get(User, user_id)
    if user is None or user.is_service:
        raise NotFound(f"user {user_id} not found")
    token, expires_at, emailed = issue(user, now)
    return {"token": token, "url": link(token), "expires_at": expires_at, "emailed": emailed}


def redeem(token: str, password: str, now: datetime) -> User:
    """Set the password of the token's user and spend the token. The row is locked, so two
    requests with one token cannot both set a password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters",
            errors={"password": [f"at least {MIN_PASSWORD_LENGTH} characters"]},
        )
    row = db.session.scalars(
        select(PasswordSetupToken)
        .where(PasswordSetupToken.token_hash == digest(token))
        .with_for_update()
    ).first()
    user = db.session.get(User, row.user_id) if row is not None else None
    if row is None or row.used_at is not None or row.expires_at <= now or user is None:
        raise BadToken(
            "this link is not valid (used, expired or mistyped); ask an admin for a new one",
            errors={"token": ["invalid or expired"]},
        )
    if not user.is_active:
        raise BadToken("this account is deactivated", errors={"token": ["account inactive"]})
    row.used_at = now
    user.password_hash = hash_password(password)
    sessions.end_all_sessions(user.id, now=now, reason="password_set")
    db.session.flush()
    return user
