"""Login sessions: refresh tokens that rotate, stored server-side by family.

A login starts a family; every refresh answers a new refresh token and retires the old one.
Presenting a retired token means two parties hold the chain (a stolen copy), so the whole
family is revoked: the thief and the owner both log in again, and the owner notices. Logout
revokes the family; "everywhere" and the admin revoke every family of a user.

Access tokens carry the family id (``fam``) and the API checks it on every request (one
primary-key lookup, ``is_active``): logging out, or an admin revoking a lost phone, takes
effect now, not when a 15-minute access token runs out. Only SHA-256 hashes of token ids are
stored. Plain values in, flush only; the API commits.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import bindparam, select, update

from backend.accounts.models import RefreshFamily, User
from backend.accounts.permissions import Unauthenticated
from backend.config import settings
from backend.db import PRIMARY, db
from backend.errors import NotFound


class SessionEnded(Unauthenticated):
    """The token's session was logged out or revoked."""


class RefreshReused(Unauthenticated):
    """A retired refresh token came back: the family has just been revoked."""


def _hash(jti: str) -> str:
    return hashlib.sha256(jti.encode()).hexdigest()


def _jti(family: RefreshFamily) -> str:
    """The refresh token id of the family's current generation: an HMAC under the app's
    secret, so the server can issue the current token again (a racing or retried refresh)
    while storing only its hash, and nobody without the secret can predict it."""
    key = settings().SECRET_KEY.encode()
    return hmac.new(key, f"{family.id}:{family.generation}".encode(), "sha256").hexdigest()[:32]


def _issue(user: User, family: RefreshFamily) -> dict[str, str]:
    """An access token and the refresh token of the family's current generation."""
    jti = _jti(family)
    claims: dict[str, Any] = {"role": user.role, "fam": str(family.id)}
    family.current_jti_hash = _hash(jti)
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(
            identity=str(user.id), additional_claims={**claims, "jti": jti}
        ),
    }


def start_session(user: User, *, user_agent: str | None, now: datetime) -> dict[str, str]:
    """Tokens for a new login, recorded as a new family."""
    family = RefreshFamily(
        id=uuid.uuid4(),
        user_id=user.id,
        current_jti_hash="",
        generation=0,
        created_at=now,
        rotated_at=now,
        last_used_at=now,
        user_agent=(user_agent or None) and user_agent[:255],
    )
    tokens = _issue(user, family)
    db.session.add(family)
    db.session.flush()
    return tokens


def _family_id(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def rotate(
    *, user_id: uuid.UUID, family_id: Any, jti: str, now: datetime, grace: timedelta
) -> tuple[User, dict[str, str]]:
    """Exchange the refresh token ``jti`` of ``family_id`` for new tokens.

    The current token moves the family to its next generation. The token retired last is
    accepted within ``grace`` of that rotation and answers the current generation's token
    again: a retry whose first answer got lost, or two refreshes racing (page and service
    worker), so every party ends up with a current token. Any other retired token revokes
    the family and raises ``RefreshReused`` after flushing, so the caller must keep that
    write although it answers 401."""
    fid = _family_id(family_id)
    family = (
        db.session.scalars(select(RefreshFamily).where(RefreshFamily.id == fid).with_for_update())
        .unique()
        .first()
        if fid
        else None
    )
    if family is None or family.user_id != user_id or family.revoked_at is not None:
        raise SessionEnded("this session has ended; log in again")
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("account not found or disabled")
    presented = _hash(jti)
    if presented == family.current_jti_hash:
        family.previous_jti_hash = family.current_jti_hash
        family.generation += 1
        family.rotated_at = now
    elif not (presented == family.previous_jti_hash and now - family.rotated_at <= grace):
        family.revoked_at, family.revoked_reason = now, "reuse"
        db.session.flush()
        raise RefreshReused(
            "refresh token reuse detected: this session was ended on every device; log in again"
        )
    tokens = _issue(user, family)
    family.last_used_at = now
    db.session.flush()
    return user, tokens


# The session check of every authenticated request, built once: composing it per request
# (operators, join, where) and computing its cache key again was a fifth of the check's CPU.
_SESSION_CHECK = (
    select(RefreshFamily.revoked_at, User)
    .join(User, User.id == RefreshFamily.user_id)
    .where(RefreshFamily.id == bindparam("family_id"))
    .execution_options(**{PRIMARY: True})  # a logout ends access at once, replicas or not
)


def active_user(family_id: Any, user_id: Any) -> User | None:
    """The token's user if its family (of that user) may still be used, else None: one
    indexed lookup that loads the user too, so that (while the caller holds the result; the
    identity map keeps weak references) the request's ``current_user`` finds the user in the
    session and checking the session adds no round trip to the database."""
    fid = _family_id(family_id)
    if fid is None:
        return None
    row = db.session.execute(_SESSION_CHECK, {"family_id": fid}).first()
    if row is None or row.revoked_at is not None or str(row.User.id) != str(user_id):
        return None
    user: User = row.User
    return user


def is_active(family_id: Any, user_id: Any) -> bool:
    return active_user(family_id, user_id) is not None


def end_session(family_id: Any, *, user_id: uuid.UUID, now: datetime) -> bool:
    """Logout: revoke one family of this user. False if it was already ended."""
    fid = _family_id(family_id)
    if fid is None:
        return False
    return _revoke(user_id, now, "logout", RefreshFamily.id == fid) > 0


def end_all_sessions(user_id: uuid.UUID, *, now: datetime, reason: str) -> int:
    """Revoke every live family of the user (log out everywhere, admin revoke)."""
    if db.session.get(User, user_id) is None:
        raise NotFound(f"no user {user_id}")
    return _revoke(user_id, now, reason)


def _revoke(user_id: uuid.UUID, now: datetime, reason: str, *where: Any) -> int:
    result = db.session.execute(
        update(RefreshFamily)
        .where(RefreshFamily.user_id == user_id, RefreshFamily.revoked_at.is_(None), *where)
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)
