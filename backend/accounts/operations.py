"""Account operations: plain values in, flush only."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.accounts.models import Role, User
from backend.accounts.passwords import hash_password, needs_rehash, verify_password
from backend.db import added, db, utcnow
from backend.errors import Conflict, Invalid

MIN_PASSWORD_LENGTH = 8
# Not an argon2 hash: verify_password refuses every password against it (a user made by a
# bulk import, until they choose a password with a set-up token).
NO_PASSWORD_YET = "!password-not-set"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(*, email: str, name: str, role: str, password: str) -> User:
    if role not in {r.value for r in Role}:
        raise Invalid(
            f"unknown role {role!r}", errors={"role": ["one of admin, dispatcher, engineer"]}
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters",
            errors={"password": [f"at least {MIN_PASSWORD_LENGTH} characters"]},
        )
    email = normalise_email(email)
    if find_by_email(email) is not None:
        raise Conflict(f"a user with e-mail {email} already exists", errors={"email": ["taken"]})
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    return added(user)


def find_by_email(email: str) -> User | None:
    stmt = select(User).where(func.lower(User.email) == normalise_email(email))
    return db.session.scalars(stmt).first()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Constant work whether or not the
    account exists, so timing does not reveal which e-mail addresses are registered."""
    user = find_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def create_invited_user(
    *, email: str, name: str, role: str, external_ref: str | None, language: str | None
) -> User:
    """A user with no password yet (a bulk import's engineer): nobody can log in as them
    until they choose one with a set-up token (``backend.accounts.setup_tokens``)."""
    email = normalise_email(email)
    if find_by_email(email) is not None:
        raise Conflict(f"a user with e-mail {email} already exists", errors={"email": ["taken"]})
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=NO_PASSWORD_YET,
        external_ref=external_ref,
        language=language,
        is_active=True,
    )
    return added(user)


def set_identity(
    user: User, *, email: str, name: str, external_ref: str | None, language: str | None
) -> bool:
    """Set who a user is as another system knows them (a bulk import's row); whether anything
    changed. Nothing is written when everything matches (a re-import changes nothing)."""
    values = (normalise_email(email), name.strip(), external_ref, language)
    if (user.email, user.name, user.external_ref, user.language) == values:
        return False
    if values[0] != user.email and find_by_email(values[0]) is not None:
        raise Conflict(
            f"a user with e-mail {values[0]} already exists", errors={"email": ["taken"]}
        )
    user.email, user.name, user.external_ref, user.language = values
    db.session.flush()
    return True
