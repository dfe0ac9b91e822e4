"""Authenticate before parsing, for every API operation that is not public.

flask-smorest parses and validates a body (``@blp.arguments``) in decorators that run before
a view's ``@require_*`` decorator: an anonymous caller got 422 with the schema's details, and
up to ``MAX_CONTENT_LENGTH`` of multipart was read, before the 401. One ``before_request``
fixes the order for all views: it runs before any view decorator, and for every operation of
a flask-smorest blueprint whose OpenAPI doc does not say ``security=[]`` it verifies the
token (and loads the user, cached for ``current_user``). Public is opt-in and visible in the
OpenAPI document; a new operation is protected by default. Routes outside the API blueprints
(static files of the PWA, health probes, the spec itself) are not operations and pass.

It also registers the JWT checks every token must pass: an ``exp`` claim and a live session
(``backend.accounts.sessions``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request
from flask.typing import ResponseReturnValue
from flask_jwt_extended import verify_jwt_in_request
from flask_smorest import Blueprint as SmorestBlueprint

from backend.accounts import sessions
from backend.accounts.permissions import ROLES_ATTR, TOKEN_KIND_ATTR, check_roles, current_user
from backend.api import error_response
from backend.extensions import jwt

_CACHE = "fieldops_auth_gate"


def operation_function(app: Flask, endpoint: str, method: str) -> Callable[..., Any] | None:
    """The function that serves ``method`` at ``endpoint`` (the MethodView method, or the
    view function), or None if the endpoint is not an operation of an API blueprint."""
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    if not isinstance(blueprint, SmorestBlueprint):
        return None
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return view
    name = "get" if method == "HEAD" else method.lower()
    return getattr(view_class, name, None)


Requirement = tuple[str | None, frozenset[str]]


def _requirement(app: Flask, endpoint: str | None, method: str) -> Requirement:
    """(token kind, roles) an operation requires; kind None: public or not an operation.
    Cached per app: the answer depends only on the code."""
    if endpoint is None or method == "OPTIONS":
        return None, frozenset()
    cache: dict[tuple[str, str], Requirement] = app.extensions.setdefault(_CACHE, {})
    key = (endpoint, method)
    if key not in cache:
        fn = operation_function(app, endpoint, method)
        if fn is None:
            cache[key] = (None, frozenset())
        else:
            doc = getattr(fn, "_apidoc", {}).get("manual_doc", {})
            public = "security" in doc and doc["security"] == []
            kind = None if public else getattr(fn, TOKEN_KIND_ATTR, "access")
            cache[key] = (kind, getattr(fn, ROLES_ATTR, frozenset()))
    return cache[key]


def token_kind(app: Flask, endpoint: str | None, method: str) -> str | None:
    """ "access", "refresh" or "any" token required; None: public (or not an operation)."""
    return _requirement(app, endpoint, method)[0]


def authenticate_first() -> None:
    """Who (the token) and then may they (the role), both before any parsing: an engineer
    on a staff-only operation gets 403, not the schema's 422."""
    kind, roles = _requirement(current_app, request.endpoint, request.method)
    if kind == "access":
        check_roles(current_user(), roles)  # verifies the token, loads and caches the user
    elif kind is not None:
        verify_jwt_in_request(refresh=kind == "refresh", verify_type=kind != "any")


def _token_is_revoked(header: dict[str, Any], payload: dict[str, Any]) -> bool:
    user = sessions.active_user(payload.get("fam"), payload.get("sub"))
    g.fieldops_token_user = user  # held for the request: current_user's lookup is then free
    return user is None


def _token_must_expire(header: dict[str, Any], payload: dict[str, Any]) -> bool:
    return "exp" in payload


def _token_refused(header: dict[str, Any], payload: dict[str, Any]) -> ResponseReturnValue:
    return error_response(401, "token without expiry refused; log in again")


def install_auth_gate(app: Flask) -> None:
    app.before_request(authenticate_first)
    jwt.token_in_blocklist_loader(_token_is_revoked)
    jwt.token_verification_loader(_token_must_expire)
    jwt.token_verification_failed_loader(_token_refused)
