"""Authenticate before parsing, for every API operation that is not public.

flask-smorest parses and validates a body (``@blp.arguments``) in decorators that run before
a view's ``@require_*`` decorator: an anonymous caller got 422 with the schema's details, and
up to ``MAX_CONTENT_LENGTH`` of multipart was read, before the 401. One ``before_request``
fixes the order for all views: it runs before any view decorator, and for every operation of
a flask-smorest blueprint whose OpenAPI doc does not say ``security=[]`` it verifies the
token (and loads the user, cached for ``current_user``). Public is opt-in and visible in the
OpenAPI document; a new operation is protected by default. Routes outside the API blueprints
(static files of the PWA, health probes, the spec itself) are not operations and pass.

An ``X-API-Key`` header instead of a token is checked here too (``backend.api.key_auth``):
the operation's document says whether keys may call it and with which scope.

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
from backend.api.key_auth import authenticate_key, sent_key
from backend.api.key_scopes import required_scope
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


Requirement = tuple[str | None, frozenset[str], str | None]


def _requirement(app: Flask, endpoint: str | None, method: str) -> Requirement:
    """(token kind, roles, API-key scope) an operation requires; kind None: public or not an
    operation; scope None: API keys may not call it. Cached per app: the answer depends only
    on the code."""
    if endpoint is None or method == "OPTIONS":
        return None, frozenset(), None
    cache: dict[tuple[str, str], Requirement] = app.extensions.setdefault(_CACHE, {})
    key = (endpoint, method)
    if key not in cache:
        fn = operation_function(app, endpoint, method)
        if fn is None:
            cache[key] = (None, frozenset(), None)
        else:
            doc = getattr(fn, "_apidoc", {}).get("manual_doc", {})
            public = "security" in doc and doc["security"] == []
            kind = None if public else getattr(fn, TOKEN_KIND_ATTR, "access")
            roles: frozenset[str] = getattr(fn, ROLES_ATTR, frozenset())
            blueprint = endpoint.rpartition(".")[0]
            scope = required_scope(blueprint, endpoint, method, roles) if kind else None
            cache[key] = (kind, roles, scope)
    return cache[key]


def token_kind(app: Flask, endpoint: str | None, method: str) -> str | None:
    """ "access", "refresh" or "any" token required; None: public (or not an operation)."""
    return _requirement(app, endpoint, method)[0]


def key_scope(app: Flask, endpoint: str | None, method: str) -> str | None:
    """The API-key scope the operation needs (``key_scopes.required_scope``, the rule the
    document is derived from); None: keys may not call it."""
    return _requirement(app, endpoint, method)[2]


def authenticate_first() -> ResponseReturnValue | None:
    """Who (the token or API key) and then may they (the role or scope), both before any
    parsing: an engineer on a staff-only operation gets 403, not the schema's 422."""
    kind, roles, scope = _requirement(current_app, request.endpoint, request.method)
    key = sent_key() if kind is not None else None
    if key is not None:
        return authenticate_key(key, kind=kind or "", scope=scope)
    if kind == "access":
        check_roles(current_user(), roles)  # verifies the token, loads and caches the user
    elif kind is not None:
        verify_jwt_in_request(refresh=kind == "refresh", verify_type=kind != "any")
    return None


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
