"""Who is calling, and may they? Views use these; operations receive the ``User`` object."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import g, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request

from backend.accounts.models import Role, User
from backend.db import db
from backend.errors import NotAllowed

F = TypeVar("F", bound=Callable[..., Any])

# Which token an operation takes; the API's auth gate reads it (default "access").
TOKEN_KIND_ATTR = "_fieldops_token_kind"


def takes_token(kind: str) -> Callable[[F], F]:
    """Mark an operation that takes a "refresh" token, or "any" (access or refresh), instead
    of an access token. Put it outermost so no wrapper hides it."""
    if kind not in {"access", "refresh", "any"}:
        raise ValueError(f"unknown token kind {kind!r}")

    def deco(fn: F) -> F:
        setattr(fn, TOKEN_KIND_ATTR, kind)
        return fn

    return deco


class Unauthenticated(Exception):
    """Valid-looking token for a user who no longer exists or was deactivated."""


def current_user() -> User:
    """The authenticated user of this request (JWT verified, account active)."""
    # Cached per request, not just per app context: an app context pushed around several
    # requests (tests, CLI) must not hand one request's user to the next.
    cached: User | None = g.get("fieldops_user")
    if cached is not None and g.get("fieldops_user_environ") is request.environ:
        return cached
    verify_jwt_in_request()
    try:
        user_id = uuid.UUID(str(get_jwt_identity()))
    except ValueError as exc:
        raise Unauthenticated("token subject is not a user id") from exc
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("account not found or disabled")
    g.fieldops_user = user
    g.fieldops_user_environ = request.environ
    return user


ROLES_ATTR = "_fieldops_roles"


# Set by the API's auth gate (to the request's environ) when an API key's scopes allow the
# operation; a service account passes the role check only then.
KEY_APPROVED = "fieldops_key_approved"


def check_roles(user: User, allowed: frozenset[str]) -> None:
    """The one role check: ``allowed`` empty means any logged-in user. A service account
    has no role of its own: the gate checked its key's scopes for this very operation."""
    if user.is_service:
        if g.get(KEY_APPROVED) is not request.environ:
            raise NotAllowed("API keys may not do this")
        return
    if allowed and user.role not in allowed:
        raise NotAllowed(
            f"this action needs the role {' or '.join(sorted(allowed))}; you are {user.role}"
        )


def require_roles(*roles: Role | str) -> Callable[[F], F]:
    """Decorator: the caller must be logged in with one of ``roles`` (any role if none).
    The roles are also left on the function (``ROLES_ATTR``; decorators stacked on top copy
    it), so the auth gate refuses a wrong role before any body is parsed."""
    allowed = frozenset(str(r) for r in roles)

    def deco(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check_roles(current_user(), allowed)
            return fn(*args, **kwargs)

        setattr(wrapper, ROLES_ATTR, allowed)
        return wrapper  # type: ignore[return-value]

    return deco


require_login = require_roles()
require_staff = require_roles(Role.ADMIN, Role.DISPATCHER)
require_admin = require_roles(Role.ADMIN)


def ensure_role(user: User, roles: Iterable[str]) -> None:
    if user.role not in set(roles):
        raise NotAllowed(f"role {user.role} may not do this")
