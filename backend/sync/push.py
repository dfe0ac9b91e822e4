"""Idempotent push (docs/sync-protocol.md): each mutation isolated (``apply.py``: one bad mutation
never sinks the batch nor leaves partial effects), its id and result stored in the same transaction
as its effects, so a retried batch answers ``duplicate`` and changes nothing. Per-mutation problems
are answered with 200 and a status; only "nothing was processed" (auth, malformed envelope, newer
schema, database down) is a non-2xx answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from backend import pgtext
from backend.accounts.models import User
from backend.db import db, utcnow
from backend.errors import Conflict
from backend.sync import SERVER_SCHEMA_VERSION
from backend.sync.apply import run_batch
from backend.sync.models import SyncClient, SyncConflict, SyncMutation
from backend.sync.registry import MutationOutcome

SYNC_MUTATIONS = cast(Table, SyncMutation.__table__)


class SchemaTooNew(Conflict):
    kind = "schema_too_new"


def check_schema_version(schema_version: int) -> None:
    if schema_version > SERVER_SCHEMA_VERSION:
        raise SchemaTooNew(
            f"this app speaks sync schema {schema_version}, the server only knows "
            f"{SERVER_SCHEMA_VERSION}; keep your changes on the device and retry later",
            server_schema_version=SERVER_SCHEMA_VERSION,
            retry=True,
        )


def push(
    user: User, client_id: str, schema_version: int, mutations: list[dict[str, Any]]
) -> dict[str, Any]:
    check_schema_version(schema_version)
    ids = [m["id"] for m in mutations]
    stored: dict[uuid.UUID, SyncMutation | Remembered] = {
        row.id: row
        for row in db.session.scalars(select(SyncMutation).where(SyncMutation.id.in_(ids)))
    }
    results: list[dict[str, Any]] = []
    new_rows: list[dict[str, Any]] = []
    outcomes = run_batch(user, client_id, schema_version, mutations, set(stored))
    kinds = _conflict_kinds(outcomes)
    for m, outcome in zip(mutations, outcomes, strict=True):
        if outcome is None:  # already stored, or earlier in this batch
            results.append(_duplicate(stored[m["id"]], user))
            continue
        result = _result(m["id"], outcome, kinds)
        results.append(result)
        row = {
            "id": m["id"],
            "user_id": user.id,
            "client_id": client_id,
            "name": pgtext.scrub(str(m["name"]))[:60],
            "status": outcome.status,
            "result": result,
            "args": _json_safe(m.get("args") or {}),  # refused text kept as U+FFFD
            "created_at": utcnow(),
        }
        new_rows.append(row)
        stored[m["id"]] = Remembered(m["id"], user.id, outcome.status, result)
    last = mutations[-1]["id"] if mutations else None
    try:
        db.session.flush()
        if new_rows:
            # Plain rows in one multi-row INSERT: the ORM would build, track and flush an
            # object per mutation that nothing reads again in this request.
            db.session.connection().execute(insert(SYNC_MUTATIONS), new_rows)
    except IntegrityError as exc:
        # The same mutation ids were pushed concurrently (a retry racing the original): the
        # other request won; roll back and let the client retry, which answers duplicate.
        raise Conflict(
            "these mutations are being processed by another request; retry the batch",
            retry=True,
        ) from exc
    acknowledged = _remember_client(user, client_id, schema_version, last)
    return {
        "last_mutation_id": str(acknowledged) if acknowledged else None,
        "server_schema_version": SERVER_SCHEMA_VERSION,
        "results": results,
    }


SYNC_CLIENTS = cast(Table, SyncClient.__table__)


def _remember_client(
    user: User, client_id: str, schema_version: int, last: uuid.UUID | None
) -> uuid.UUID | None:
    """Record the device's schema and its last processed mutation (with this transaction's
    id: see ``SyncClient.last_mutation_xid``) in one upsert, answering the device's last
    mutation id. One statement instead of the ORM's read, write and re-read of the row (the
    xid, set by the database, expired it)."""
    c = SYNC_CLIENTS.c
    new = pg_insert(SYNC_CLIENTS).values(
        user_id=user.id,
        client_id=client_id,
        schema_version=schema_version,
        last_mutation_id=last,
        last_mutation_xid=func.pg_current_xact_id() if last is not None else None,
        updated_at=utcnow(),
    )
    changed = {"schema_version": new.excluded.schema_version, "updated_at": new.excluded.updated_at}
    if last is not None:  # an empty push keeps the device's last mutation
        changed["last_mutation_id"] = new.excluded.last_mutation_id
        changed["last_mutation_xid"] = new.excluded.last_mutation_xid
    stmt = new.on_conflict_do_update(
        index_elements=[c.user_id, c.client_id], set_=changed
    ).returning(c.last_mutation_id)
    acknowledged: uuid.UUID | None = db.session.connection().execute(stmt).scalar_one()
    return acknowledged


@dataclass(frozen=True)
class Remembered:
    """A mutation processed earlier in this batch, as a later repeat of its id needs it."""

    id: uuid.UUID
    user_id: uuid.UUID
    status: str
    result: dict[str, Any]


def _duplicate(previous: SyncMutation | Remembered, user: User) -> dict[str, Any]:
    if previous.user_id != user.id:
        return {
            "id": str(previous.id),
            "status": "rejected",
            "error": "this mutation id was already used by another account; use a new UUID",
        }
    stored = dict(previous.result or {})
    return {
        **stored,
        "id": str(previous.id),
        "status": "duplicate",
        "original_status": previous.status,
    }


def _conflict_kinds(outcomes: list[MutationOutcome | None]) -> dict[uuid.UUID, str]:
    """The kind of each conflict this push recorded (one query, only when there are any)."""
    ids = [o.conflict_id for o in outcomes if o is not None and o.conflict_id is not None]
    if not ids:
        return {}
    rows = db.session.execute(
        select(SyncConflict.id, SyncConflict.kind).where(SyncConflict.id.in_(ids))
    )
    return {row.id: row.kind for row in rows}


def _result(
    mutation_id: uuid.UUID, outcome: MutationOutcome, kinds: dict[uuid.UUID, str]
) -> dict[str, Any]:
    """The answer for one mutation. A conflict's ``data.kind`` is its record's code, as a
    refusal's is (apply.py): the phone says it in the engineer's language before the pull
    brings the record (its English ``error`` is for logs and support)."""
    result: dict[str, Any] = {"id": str(mutation_id), "status": outcome.status}
    data = dict(outcome.data)
    if outcome.conflict_id is not None:
        result["conflict_id"] = str(outcome.conflict_id)
        if outcome.conflict_id in kinds:
            data.setdefault("kind", kinds[outcome.conflict_id])
    if outcome.error:
        result["error"] = pgtext.scrub(outcome.error)
    if outcome.entity_version is not None:
        result["entity_version"] = outcome.entity_version
    if data:
        result["data"] = _json_safe(data)
    return result


def _json_safe(value: Any) -> Any:
    """JSON for a JSONB column: plain types, and what PostgreSQL cannot store (``pgtext``:
    U+0000, lone surrogates) replaced by U+FFFD."""
    from backend.sync.entities import plain

    value = plain(value)
    if isinstance(value, str):
        return pgtext.scrub(value)
    if isinstance(value, dict):
        return {_json_safe(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value
