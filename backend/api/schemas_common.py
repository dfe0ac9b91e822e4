"""Pieces every REST blueprint shares: a Blueprint whose 422 answers carry a readable
``message``, the JSON body size limit, pagination of a ``select()``, ETag/If-Match helpers,
and ``operation``, the one decorator that documents a view's input, answer and errors.

This module exposes no ``blp``, so API discovery registers nothing from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar, cast

import marshmallow as ma
from flask import Response, request
from flask_smorest import Blueprint
from flask_smorest.pagination import PaginationParameters
from flask_smorest.utils import resolve_schema_instance
from sqlalchemy import ColumnElement, Executable, Select, func, select
from webargs.flaskparser import FlaskParser, abort

from backend import pgtext
from backend.accounts.permissions import ROLES_ATTR, TOKEN_KIND_ATTR
from backend.api.contract import ErrorSchema
from backend.api.key_auth import API_KEY_SCHEME, SCOPE_DOC
from backend.api.key_scopes import required_scope
from backend.config import MAX_URL_BYTES, settings
from backend.db import db
from backend.errors import Invalid, TooLarge
from backend.spreadsheet import CSV_TYPE, XLSX_TYPE

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
# An operation API keys may call too: either scheme (the key's scope is ``x-api-key-scope``).
BEARER_OR_KEY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {API_KEY_SCHEME: []}]
_View = TypeVar("_View", bound=Callable[..., Any])
# The documented body of an answer that is not JSON (a view returning a ``Response``): bytes
# (PNG, SVG, PDF, a photo) or an HTML page. Given as the response schema, so the document
# states the media type with a schema (flask-smorest drops a content type without one).
BINARY: dict[str, str] = {"type": "string", "format": "binary"}
HTML: dict[str, str] = {"type": "string"}
# Largest page number: page x page_size (at most 100) must stay far inside a bigint offset.
MAX_PAGE = 10_000_000


def _flatten(messages: Any, prefix: str = "") -> Iterable[str]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            # webargs nests by location ("json", "query"); that is noise for a person reading.
            name = (
                "" if key in {"json", "query", "headers", "form", "files"} and not prefix else key
            )
            path = f"{prefix}.{name}" if prefix and name else (name or prefix)
            yield from _flatten(value, str(path))
    elif isinstance(messages, list | tuple):
        for item in messages:
            yield from _flatten(item, prefix)
    else:
        yield f"{prefix}: {messages}" if prefix else str(messages)


def summarise(messages: Any) -> str:
    """``{"json": {"area": ["ring is not closed"]}}`` -> ``"area: ring is not closed"``."""
    parts = list(_flatten(messages))
    return "; ".join(parts) if parts else "invalid input"


# Sync push answers per mutation (docs/sync-protocol.md): unstorable text in one mutation must
# reject only that one, not the batch, or the phone would resend the same batch forever. It checks
# itself (``backend.sync.apply``), with the same rule.
_TEXT_CHECKED_BY_HANDLER = frozenset({"/api/v1/sync/push"})


def _refuse_unstorable(data: Any, location: str) -> None:
    why = pgtext.problem(data)
    if why:
        message = f"{pgtext.RULE}: {why}"
        abort(422, messages={location: {"_schema": [message]}}, message=message)


class _Parser(FlaskParser):
    """webargs' parser, plus a one-line ``message`` naming each offending field, so clients
    that only show ``message`` still tell the user what to fix, and a refusal of text
    PostgreSQL cannot store (``backend.pgtext``: NUL, lone surrogates) in a JSON body or a
    form, which would otherwise fail in the database as a 500 (paths and query strings:
    ``refuse_unstorable_url``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._instances: dict[type[ma.Schema], ma.Schema] = {}

    def _get_schema(self, argmap: Any, req: Any) -> ma.Schema:
        """One instance per schema class, made on first use. webargs instantiates a class
        argmap on every request, and building a schema deep-copies its declared fields: that
        was a tenth of the CPU of a small request. Loading keeps no state on the instance
        (marshmallow's context is a context variable), so threads can share it."""
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._instances.get(argmap)
            if schema is None:
                schema = self._instances[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    def load_json(self, req: Any, schema: ma.Schema) -> Any:
        data = super().load_json(req, schema)
        if req.path not in _TEXT_CHECKED_BY_HANDLER:
            _refuse_unstorable(data, "json")
        return data

    def load_form(self, req: Any, schema: ma.Schema) -> Any:
        _refuse_unstorable(dict(req.form.lists()), "form")
        return super().load_form(req, schema)

    def handle_error(
        self,
        error: ma.ValidationError,
        req: Any,
        schema: ma.Schema,
        *,
        error_status_code: int | None,
        error_headers: Any,
    ) -> NoReturn:
        abort(
            error_status_code or self.DEFAULT_VALIDATION_STATUS,
            exc=error,
            messages=error.messages,
            message=summarise(error.messages),
            schema=schema,
            headers=error_headers,
        )


class ApiBlueprint(Blueprint):
    """flask-smorest Blueprint with readable validation messages and the JSON size limit
    (``max_json_bytes`` for a blueprint whose bodies are documented to be larger, such as
    the sync push; otherwise ``MAX_JSON_BYTES``), whose OpenAPI document says what the auth
    gate and the argument parser do (``derive_operation_doc``)."""

    ARGUMENTS_PARSER = _Parser()
    PAGINATION_ARGUMENTS_PARSER = _Parser()

    def __init__(self, *args: Any, max_json_bytes: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(lambda: limit_json_body(max_json_bytes))
        self.record_once(_install_url_guard)

    def paginate(self, *args: Any, **kwargs: Any) -> Any:
        """flask-smorest's pagination with a largest ``page`` (documented), so the row offset
        always fits PostgreSQL's bigint: ``page=10**30`` is a 422, not a 500."""
        decorate = super().paginate(*args, **kwargs)

        def decorator(func: Any) -> Any:
            wrapper = decorate(func)
            params = wrapper._apidoc["pagination"]["parameters"]["schema"]
            page = params._declared_fields["page"]
            params._declared_fields["page"] = ma.fields.Integer(
                load_default=page.load_default, validate=ma.validate.Range(min=1, max=MAX_PAGE)
            )
            return wrapper

        return decorator

    def _store_endpoint_docs(
        self, endpoint: str, obj: Any, parameters: Any, tags: Any, **options: Any
    ) -> None:
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        for method, doc in self._docs[endpoint].items():
            if method == "parameters":
                continue
            fn = getattr(obj, method) if isinstance(obj, type) else obj
            derive_operation_doc(self, doc, fn, f"{self.name}.{endpoint}", method.upper())


# One description per error answer, for the errors a view lists (``document_errors``) and the
# ones derived from the gate and the parser (``derive_operation_doc``: 401, 403, 413, 414, 422).
ERROR_DESCRIPTIONS = {
    400: "Malformed request (e.g. invalid JSON)",
    401: "Missing, invalid or expired token",
    403: "Your role may not do this",
    404: "No such record (or not visible to you)",
    409: "Conflict with the current state",
    412: "If-Match names a version that is no longer current",
    413: "Request body too large",
    414: f"URL too long: path and query string at most {MAX_URL_BYTES} bytes (`limit_bytes`)",
    415: "Unsupported file type",
    422: "Invalid input; `errors` names each field",
    429: "Too many requests; see Retry-After",
}

_BODY_LOCATIONS = frozenset({"json", "form", "files"})


def derived_error_codes(doc: dict[str, Any], fn: Any) -> list[int]:
    """The error answers an operation gives by construction: 401 unless public, 403 when it
    names roles (``require_roles``) or takes API keys (a key without its scope; 429 for a
    key over its rate limit), 422 when it
    parses arguments, 413 when one is a body,
    414 when one is in the query string (``request_guards.MAX_URL_BYTES``: any URL may be too
    long, but only a query string is one a client fills with data)."""
    codes = []
    if doc.get("manual_doc", {}).get("security") != []:
        codes.append(401)
        takes_keys = SCOPE_DOC in doc.get("manual_doc", {})
        if getattr(fn, ROLES_ATTR, None) or takes_keys:
            codes.append(403)
        if takes_keys:
            codes.append(429)  # the key's rate limit
    locations = {p.get("in", "json") for p in doc.get("arguments", {}).get("parameters", [])}
    if locations & _BODY_LOCATIONS:
        codes.append(413)
    if "query" in locations:
        codes.append(414)
    if locations:
        codes.append(422)
    return codes


def derive_operation_doc(
    blp: Blueprint, doc: dict[str, Any], fn: Any, endpoint: str = "", method: str = "GET"
) -> None:
    """Complete one operation's document from the rules that govern it, so the two cannot
    drift: the auth gate protects every operation not documented ``security=[]``
    (``backend.api.auth_gate``), so such an operation is documented with the bearer scheme,
    and with the API-key scheme and the scope a key needs where keys are accepted
    (``key_scopes.required_scope``, which the gate applies); and the error answers of
    ``derived_error_codes`` are listed with the error schema."""
    manual = doc.setdefault("manual_doc", {})
    if manual.get("security") != []:
        scope = required_scope(blp.name, endpoint, method, getattr(fn, ROLES_ATTR, frozenset()))
        if scope is not None and getattr(fn, TOKEN_KIND_ATTR, "access") == "access":
            manual.setdefault("security", BEARER_OR_KEY)
            manual[SCOPE_DOC] = scope
    manual.setdefault("security", BEARER)
    responses = doc.setdefault("response", {}).setdefault("responses", {})
    for code in derived_error_codes(doc, fn):
        if code not in responses:
            responses[code] = [_error_doc(blp, ERROR_DESCRIPTIONS[code])]


def _error_doc(blp: Blueprint, description: str) -> dict[str, Any]:
    schema = blp._make_doc_response_schema(resolve_schema_instance(ErrorSchema))
    return {"schema": schema, "description": description, "content_type": None}


def refuse_unstorable_url() -> None:
    """Path parameters and query strings reach queries too (``/r/<qr_token>``, ``?q=``): a
    NUL in one (``%00``) is a 422, not a database error. (Lone surrogates cannot arrive this
    way: the URL decoder turns invalid UTF-8 into U+FFFD.)"""
    why = pgtext.problem(request.view_args or {}) or pgtext.problem(dict(request.args.lists()))
    if why:
        raise Invalid(f"{pgtext.RULE}: {why}", errors={"url": [why]})


def _install_url_guard(state: Any) -> None:
    """Once per app, for every route (the public pages and media blueprints too)."""
    hooks = state.app.before_request_funcs.setdefault(None, [])
    if refuse_unstorable_url not in hooks:
        hooks.insert(0, refuse_unstorable_url)


def limit_json_body(limit: int | None = None) -> None:
    """JSON bodies are small (``MAX_JSON_BYTES``, or ``limit``); the app-wide
    ``MAX_CONTENT_LENGTH`` is sized for photo uploads. Refuse early when the length is
    declared, and cap reading when not."""
    if request.method in {"GET", "HEAD", "OPTIONS", "DELETE"} or request.mimetype.startswith(
        "multipart/"
    ):
        return
    if limit is None:
        limit = settings().MAX_JSON_BYTES
    length = request.content_length
    if length is not None and length > limit:
        raise TooLarge(
            f"request body is {length} bytes; JSON requests may be at most {limit} bytes",
            limit_bytes=limit,
        )
    request.max_content_length = limit


def _count(stmt: Select[Any], pagination: PaginationParameters) -> None:
    """The total for X-Pagination (flask-smorest's paginate decorator writes the header)."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pagination.item_count = int(total or 0)


def paginate(
    stmt: Select[Any],
    pagination: PaginationParameters,
    *,
    build: Callable[[dict[str, Any]], Any] | None = None,
) -> list[Any]:
    """One page of ``stmt`` (which must be ordered), recording the total for X-Pagination.
    ``stmt`` selects entities, or columns: then ``build`` makes each row (a dict by column
    name) the answer's object."""
    _count(stmt, pagination)
    page = stmt.limit(pagination.page_size).offset(pagination.first_item)
    if build is not None:
        result = db.session.execute(page)
        keys = tuple(result.keys())
        return [build(dict(zip(keys, row, strict=True))) for row in result]
    return list(db.session.scalars(page).unique())


def paginate_json(
    stmt: Select[Any],
    pagination: PaginationParameters,
    key: ColumnElement[Any],
    page_json: Callable[[list[Any]], Executable],
) -> Response:
    """One page of ``stmt`` (which must be ordered) as a JSON array whose items PostgreSQL
    writes: ``stmt``'s ``key`` values of the page, then ``page_json(keys)`` (one JSON text per
    key, in the keys' order). Records the total for X-Pagination as ``paginate`` does;
    flask-smorest passes a ``Response`` through without dumping it, and the operation's schema
    still documents the items."""
    _count(stmt, pagination)
    page = stmt.with_only_columns(key).limit(pagination.page_size).offset(pagination.first_item)
    keys = list(db.session.scalars(page))
    items = db.session.scalars(page_json(keys)) if keys else ()
    return Response("[" + ",".join(items) + "]", mimetype="application/json")


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


ETAG_HEADER = {"ETag": {"description": 'The record\'s version, quoted: `"3"`', "schema": {}}}

_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def if_match_version() -> int | None:
    """The version an ``If-Match`` header names (``"3"``, ``W/"3"`` or ``3``), or None."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    match = _IF_MATCH.match(raw)
    if not match:
        raise Invalid(
            f'If-Match must be a version in quotes such as "3", got {raw!r}',
            errors={"If-Match": ["expected a quoted version number"]},
        )
    return int(match.group(1))


def document_errors(blp: Blueprint, *codes: int) -> Any:
    """Stack ``@blp.alt_response`` for each error code (documentation of the error shape)."""

    def deco(fn: Any) -> Any:
        for code in reversed(codes):
            fn = blp.alt_response(code, description=ERROR_DESCRIPTIONS[code], schema=ErrorSchema)(
                fn
            )
        return fn

    return deco


def operation(
    blp: Blueprint,
    status: int,
    schema: Any = None,
    *,
    body: Any = None,
    query: Any = None,
    errors: Iterable[int] = (),
    paginate: bool = False,
    **response: Any,
) -> Callable[[_View], _View]:
    """A view's whole contract in one decorator, the same every view spells out: its input
    (``body`` a JSON body schema, ``query`` a query-string schema), its answer (``status``,
    ``schema`` and ``response``'s ``headers``, ``content_type`` or ``description``), whether it
    is paginated, and the error answers its own logic gives (``errors``, see
    ``document_errors``). It applies ``@blp.arguments``, ``@blp.response``, ``@blp.paginate()``
    and ``@document_errors`` in the order views always stacked them, so the OpenAPI document
    is the one they made; the access decorator (``require_login``...) stays under it, on the
    view, where a reader looks for it."""
    codes = tuple(errors)

    def deco(fn: _View) -> _View:
        view: Any = document_errors(blp, *codes)(fn)
        if paginate:
            view = blp.paginate()(view)
        view = blp.response(status, schema, **response)(view)
        if query is not None:
            view = blp.arguments(query, location="query")(view)
        if body is not None:
            view = blp.arguments(body)(view)
        return cast(_View, view)

    return deco


def spreadsheet_response(description: str) -> dict[str, Any]:
    """The documented 200 of an export: CSV or XLSX bytes, named by Content-Disposition."""
    return {
        "description": f"{description}; Content-Disposition names the file",
        "content": {
            CSV_TYPE: {"schema": {"type": "string"}},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
        "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
    }
