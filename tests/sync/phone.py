"""A simulated engineer phone: confirmed state, an outbox, a cursor. Used by the HTTP tests
and the property tests; it applies pulls exactly as docs/sync-protocol.md tells clients to."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from backend.db import db
from backend.sync.entities import entities, scope_clause, serialize_many

Transport = Callable[[str, dict[str, Any]], dict[str, Any]]


class Phone:
    def __init__(self, user_id: uuid.UUID, client_id: str | None = None) -> None:
        self.user_id = user_id
        self.client_id = client_id or f"phone-{user_id}"
        self.confirmed: dict[str, dict[str, dict[str, Any]]] = {}
        self.cursor: str | None = None
        self.outbox: list[dict[str, Any]] = []
        self.results: dict[str, dict[str, Any]] = {}

    # --- pull -----------------------------------------------------------------------------
    def apply(self, page: dict[str, Any]) -> None:
        if page["reset"]:
            self.confirmed = {}
        for name, change in page["changes"].items():
            coll = self.confirmed.setdefault(name, {})
            for rid in change["removes"]:
                coll.pop(rid, None)
                if name == "tickets":
                    self._drop_children(rid, page["ticket_scoped"])
            for rec in change["upserts"]:
                coll[rec["id"]] = rec
        self.cursor = page["cursor"]

    def _drop_children(self, ticket_id: str, scoped: list[str]) -> None:
        for name, coll in self.confirmed.items():
            if name not in scoped:
                continue
            for rid in [k for k, v in coll.items() if v.get("ticket_id") == ticket_id]:
                coll.pop(rid)

    def pull_all(self, fetch: Callable[[str | None, int], dict[str, Any]], limit: int = 100):
        pages = 0
        while True:
            page = fetch(self.cursor, limit)
            self.apply(page)
            pages += 1
            if not page["has_more"]:
                return pages
            assert pages < 10_000, "pull never finished"

    def ids(self, name: str) -> set[str]:
        return set(self.confirmed.get(name, {}))

    # --- push -----------------------------------------------------------------------------
    def queue(self, name: str, **args: Any) -> str:
        mid = str(uuid.uuid4())
        self.outbox.append({"id": mid, "name": name, "args": _json(args)})
        return mid

    def envelope(self, n: int | None = None) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "schema_version": 1,
            "mutations": list(self.outbox[: n or len(self.outbox)]),
        }

    def acknowledge(self, response: dict[str, Any]) -> None:
        done = {r["id"] for r in response["results"]}
        for r in response["results"]:
            self.results[r["id"]] = r
        self.outbox = [m for m in self.outbox if m["id"] not in done]


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def server_view(user_id: uuid.UUID) -> dict[str, dict[str, dict[str, Any]]]:
    """What the server says this engineer's phone should hold, serialized like pull."""
    view: dict[str, dict[str, dict[str, Any]]] = {}
    for name, ent in entities().items():
        cls: Any = ent.cls
        rows = db.session.scalars(select(cls).where(scope_clause(ent, user_id)))
        view[name] = {str(row["id"]): row for row in serialize_many(list(rows))}
    return view


def confirmed_view(phone: Phone) -> dict[str, dict[str, dict[str, Any]]]:
    return {name: dict(phone.confirmed.get(name, {})) for name in entities()}
