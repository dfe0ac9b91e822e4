"""API keys of service accounts: create (the key is shown once), look up, revoke.

A key is ``fo_`` + 32 random bytes (URL-safe base64), so it cannot be guessed and a plain
SHA-256 of it is as safe to store as a slow password hash: the table holds only that hash,
and a request's key is found by an indexed lookup of its hash (no comparison of secrets in
Python, so nothing to time). The first characters (``prefix``) are kept to tell keys apart.

A service account is a ``User`` with the role ``service`` and no usable password; its keys
carry scopes (``<area>:read``, ``<area>:write``, ``webhooks:admin``). Which operation needs
which scope is the API's business (``backend.api.key_scopes``). Plain values in, flush only.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, or_, select, update

from backend.accounts.models import SERVICE_ROLE, ApiKey, User
from backend.db import PRIMARY, added, db
from backend.errors import Invalid, NotFound

KEY_PREFIX = "fo_"
PREFIX_CHARS = 11  # "fo_" and 8 characters of the key: enough to tell keys apart
# Areas a key can be scoped to; "write" includes "read". Reports are read only.
AREAS = ("assets", "dispatch", "parts", "planning", "tickets", "timesheets")
READ_ONLY_AREAS = ("reports",)
WEBHOOKS_ADMIN = "webhooks:admin"
SCOPES: tuple[str, ...] = tuple(
    sorted(
        [f"{area}:{access}" for area in AREAS for access in ("read", "write")]
        + [f"{area}:read" for area in READ_ONLY_AREAS]
        + [WEBHOOKS_ADMIN]
    )
)
# A service account has no password: this is no argon2 hash, so every login attempt fails.
NO_PASSWORD = "!service-account"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def grants(scopes: list[str] | frozenset[str], needed: str) -> bool:
    """Whether ``scopes`` include ``needed``; ``<area>:write`` includes ``<area>:read``."""
    if needed in scopes:
        return True
    area, _, access = needed.partition(":")
    return access == "read" and f"{area}:write" in scopes


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise Invalid(
            f"unknown scopes: {', '.join(unknown)}",
            errors={"scopes": [f"each one of {', '.join(SCOPES)}"]},
        )
    if not scopes:
        raise Invalid("a key needs at least one scope", errors={"scopes": ["at least one"]})
    return sorted(set(scopes))


def create_service_account(name: str) -> User:
    """A user nobody can log in as, named for the integration; its e-mail is a placeholder."""
    ident = uuid.uuid4()
    return added(
        User(
            id=ident,
            email=f"service-{ident.hex}@service.invalid",
            name=name,
            role=SERVICE_ROLE,
            password_hash=NO_PASSWORD,
            is_active=True,
        )
    )


def create_key(
    *,
    name: str,
    scopes: list[str],
    actor: User,
    now: datetime,
    rate_limit_per_minute: int | None = None,
    service_account_id: uuid.UUID | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its plain text (returned once, never stored). Without
    ``service_account_id`` a new service account named ``name`` is created; with it the key
    is added to that account (rotation: create the new key, move the integration, revoke the
    old one)."""
    scopes = _check_scopes(scopes)
    name = name.strip()
    if not name:
        raise Invalid("name must not be blank", errors={"name": ["not blank"]})
    if service_account_id is None:
        account = create_service_account(name)
    else:
        found = db.session.get(User, service_account_id)
        if found is None or not found.is_service:
            raise NotFound(f"no service account {service_account_id}")
        account = found
    plain = new_key()
    key = added(
        ApiKey(
            service_account_id=account.id,
            name=name,
            prefix=plain[:PREFIX_CHARS],
            key_hash=hash_key(plain),
            scopes=scopes,
            rate_limit_per_minute=rate_limit_per_minute,
            created_at=now,
            created_by_id=actor.id,
        )
    )
    return key, plain


def revoke_key(key_id: uuid.UUID, *, actor: User, now: datetime) -> ApiKey:
    """Revoke a key (idempotent: a revoked key keeps its first revocation). The next request
    with it is refused: every request looks the key up, nothing caches it."""
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at, key.revoked_by_id = now, actor.id
        db.session.flush()
    return key


def listing() -> Select[ApiKey]:
    """Keys for the admin list, newest first (the hash stays in the table)."""
    return select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id)


# The lookup of every key request, built once (like the session check): the key's row and its
# service account, on the primary so a revocation is seen at once.
_LOOKUP = (
    select(ApiKey, User)
    .join(User, User.id == ApiKey.service_account_id)
    .where(ApiKey.key_hash == bindparam("key_hash"))
    .execution_options(**{PRIMARY: True})
)


def active_key(plain: str) -> tuple[ApiKey, User] | None:
    """The key and its service account if the key exists, is not revoked and its account is
    active; else None. One indexed lookup."""
    if not plain.startswith(KEY_PREFIX) or len(plain) > 200:
        return None
    row = db.session.execute(_LOOKUP, {"key_hash": hash_key(plain)}).first()
    if row is None:
        return None
    key, user = row.ApiKey, row.User
    if key.revoked_at is not None or not user.is_active or not user.is_service:
        return None
    return key, user


def note_use(key: ApiKey, *, now: datetime, every: timedelta) -> bool:
    """Record that ``key`` was used, at most once per ``every`` (most requests write
    nothing). The write joins the request's transaction, so it is kept when the request
    commits; ``SKIP LOCKED`` makes a concurrent request of the same key that finds the row
    being written skip its own write instead of waiting for the other request to end. True if
    this call wrote."""
    if key.last_used_at is not None and now - key.last_used_at < every:
        return False
    due = (
        select(ApiKey.id)
        .where(
            ApiKey.id == key.id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - every),
        )
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = db.session.execute(
        update(ApiKey)
        .where(ApiKey.id == due)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
