"""Plain records over REST, declared once: a collection whose POST creates one (with the caller
as the actor) and whose GET lists them a page at a time, and a record read by its id.

Customers, sites, assets, regions, skills, parts and stock locations are each exactly that,
and their views were the same three views written again: create with ``actor=current_user()``,
a paginated ``select()``, ``get_x(id)`` with its 404. ``collection`` and ``record`` build those
MethodViews (endpoint names, summaries and the OpenAPI document are what the hand-written
classes made) with ``operation`` and the access decorator each part names, so the rule "how a
plain record is created, listed and read" has one owner. A view that does more than that is
written out in its own module, as before.

This module exposes no ``blp``, so API discovery registers nothing from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import Select

from backend.accounts.permissions import current_user, require_staff
from backend.api.schemas_common import operation, paginate

View = Callable[..., Any]


@dataclass(frozen=True)
class Create:
    """POST: ``body`` is loaded and passed, with ``actor=current_user()``, to ``make``; the
    answer is 201 with the new record. ``errors``: what ``make`` itself refuses with."""

    body: Any
    make: Callable[..., Any]
    summary: str
    errors: tuple[int, ...] = ()
    access: Callable[[View], View] = require_staff


@dataclass(frozen=True)
class Listing:
    """GET: one page of ``rows(**query)``, an ordered ``select()``; ``query`` is the query
    string parsed by the ``query`` schema (its fields are ``rows``' keyword arguments), or
    nothing."""

    rows: Callable[..., Select[Any]]
    summary: str
    query: Any = None
    access: Callable[[View], View] = require_staff


def _documented(fn: View, summary: str | None) -> View:
    # flask-smorest reads the summary from the docstring when the route is registered, and
    # each decorator copies it from the function it wraps: set it before any of them.
    fn.__doc__ = summary
    return fn


def _create(blp: Blueprint, schema: Any, create: Create) -> View:
    def post(self: MethodView, args: dict[str, Any]) -> Any:
        return create.make(actor=current_user(), **args)

    view = create.access(_documented(post, create.summary))
    return operation(blp, 201, schema, body=create.body, errors=create.errors)(view)


def _listing(blp: Blueprint, schema: Any, listing: Listing) -> View:
    def get(self: MethodView, *args: Any, pagination_parameters: PaginationParameters) -> Any:
        query: dict[str, Any] = args[0] if args else {}
        return paginate(listing.rows(**query), pagination_parameters)

    view = listing.access(_documented(get, listing.summary))
    many = schema(many=True)
    return operation(blp, 200, many, query=listing.query, paginate=True)(view)


def collection(
    blp: Blueprint,
    rule: str,
    endpoint: str,
    schema: Any,
    *,
    create: Create,
    listing: Listing,
) -> None:
    """``rule`` answers POST (``create``) and GET (``listing``) with ``schema``; the view's
    endpoint is ``endpoint`` (the name a hand-written MethodView class had)."""
    methods = {"post": _create(blp, schema, create), "get": _listing(blp, schema, listing)}
    blp.route(rule, endpoint=endpoint)(type(endpoint, (MethodView,), methods))


def record(
    blp: Blueprint,
    rule: str,
    endpoint: str,
    schema: Any,
    read: Callable[[Any], Any],
    summary: str | None,
    *,
    access: Callable[[View], View] = require_staff,
) -> None:
    """GET on ``rule`` (one path variable, the record's id) answers ``read(id)`` with
    ``schema``, or 404 (``read`` raises ``NotFound``)."""

    def get(self: MethodView, **path: Any) -> Any:
        (record_id,) = path.values()
        return read(record_id)

    view = operation(blp, 200, schema, errors=(404,))(access(_documented(get, summary)))
    blp.route(rule, endpoint=endpoint)(type(endpoint, (MethodView,), {"get": view}))
