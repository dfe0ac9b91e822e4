"""Idempotent push (SYNC.md): each mutation in its own savepoint, its id and result stored in
the same transaction as its effects, so a retried batch answers ``duplicate`` and changes
nothing. Per-mutation problems are answered with 200 and a status; only "nothing was
processed" (auth, malformed envelope, newer schema, database down) is a non-2xx answer."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from backend.accounts.models import User
from backend.db import db, utcnow
from backend.errors import Conflict, DomainError
from backend.sync import SERVER_SCHEMA_VERSION
from backend.sync.conflicts import record_conflict
from backend.sync.models import SyncClient, SyncMutation
from backend.sync.registry import MUTATIONS, MutationContext, MutationOutcome

log = logging.getLogger(__name__)


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
    stored = {
        row.id: row
        for row in db.session.scalars(select(SyncMutation).where(SyncMutation.id.in_(ids)))
    }
    results: list[dict[str, Any]] = []
    new_rows: list[SyncMutation] = []
    for m in mutations:
        previous = stored.get(m["id"])
        if previous is not None:
            results.append(_duplicate(previous, user))
            continue
        outcome = _run_one(user, client_id, schema_version, m)
        result = _result(m["id"], outcome)
        results.append(result)
        row = SyncMutation(
            id=m["id"],
            user_id=user.id,
            client_id=client_id,
            name=m["name"][:60],
            status=outcome.status,
            result=result,
            args=_json_safe(m.get("args") or {}),
            created_at=utcnow(),
        )
        new_rows.append(row)
        stored[m["id"]] = row
    last = mutations[-1]["id"] if mutations else None
    _remember_client(user, client_id, schema_version, last)
    db.session.add_all(new_rows)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # The same mutation ids were pushed concurrently (a retry racing the original): the
        # other request won; roll back and let the client retry, which answers duplicate.
        raise Conflict(
            "these mutations are being processed by another request; retry the batch",
            retry=True,
        ) from exc
    client = db.session.get(SyncClient, (user.id, client_id))
    return {
        "last_mutation_id": str(client.last_mutation_id)
        if client and client.last_mutation_id
        else None,
        "server_schema_version": SERVER_SCHEMA_VERSION,
        "results": results,
    }


def _remember_client(
    user: User, client_id: str, schema_version: int, last: uuid.UUID | None
) -> None:
    client = db.session.get(SyncClient, (user.id, client_id))
    if client is None:
        client = SyncClient(user_id=user.id, client_id=client_id)
        db.session.add(client)
    client.schema_version = schema_version
    if last is not None:
        client.last_mutation_id = last


def _duplicate(previous: SyncMutation, user: User) -> dict[str, Any]:
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


def _result(mutation_id: uuid.UUID, outcome: MutationOutcome) -> dict[str, Any]:
    result: dict[str, Any] = {"id": str(mutation_id), "status": outcome.status}
    if outcome.conflict_id is not None:
        result["conflict_id"] = str(outcome.conflict_id)
    if outcome.error:
        result["error"] = outcome.error
    if outcome.entity_version is not None:
        result["entity_version"] = outcome.entity_version
    if outcome.data:
        result["data"] = _json_safe(outcome.data)
    return result


def _rejected(error: str, **data: Any) -> MutationOutcome:
    return MutationOutcome(status="rejected", error=error, data=data)


def _run_one(user: User, client_id: str, schema_version: int, m: dict[str, Any]) -> MutationOutcome:
    name = m["name"]
    spec = MUTATIONS.get(name)
    if spec is None:
        return _rejected(
            f"unknown mutation {name!r}; this server knows {', '.join(sorted(MUTATIONS))}"
        )
    if spec.since_schema_version > schema_version:
        return _rejected(f"{name} needs sync schema {spec.since_schema_version} or newer")
    if _has_nul(m.get("args")):
        # PostgreSQL text cannot hold U+0000; say so instead of failing the whole batch.
        return _rejected(f"invalid arguments for {name}: text must not contain NUL (U+0000)")
    try:
        args = spec.schema().load(m.get("args") or {})
    except ValidationError as exc:
        return _rejected(f"invalid arguments for {name}: {_summary(exc.messages)}")
    ctx = MutationContext(
        user=user,
        mutation_id=m["id"],
        client_id=client_id,
        schema_version=schema_version,
        occurred_at=args.get("occurred_at"),
    )
    savepoint = db.session.begin_nested()
    try:
        outcome = spec.handler(args, ctx)
        savepoint.commit()
        return outcome
    except Conflict as exc:
        savepoint.rollback()
        return _conflict_from(exc.kind, exc.message, exc.extra, name, args, ctx)
    except StaleDataError:
        savepoint.rollback()
        msg = "the record changed while this mutation was applied"
        return _conflict_from("stale_version", msg, {}, name, args, ctx)
    except DomainError as exc:
        savepoint.rollback()
        return _rejected(exc.message, kind=exc.kind, **exc.errors)
    except (OperationalError, InterfaceError):
        savepoint.rollback()
        raise  # the database is unreachable: nothing processed, the client retries the batch
    except SQLAlchemyError as exc:
        savepoint.rollback()
        log.warning("sync mutation %s %s refused by the database: %s", name, m["id"], exc)
        return _rejected(f"{name} was refused by the database: {exc.__class__.__name__}")
    except Exception:
        savepoint.rollback()
        log.exception("sync mutation %s %s failed", name, m["id"])
        return _rejected(f"{name} failed on the server; it is kept and support was told")


def _conflict_from(
    kind: str,
    message: str,
    extra: dict[str, Any],
    name: str,
    args: dict[str, Any],
    ctx: MutationContext,
) -> MutationOutcome:
    """A refused write is never dropped: the engineer's values become a conflict record."""
    ticket_id = args.get("ticket_id")
    entity, entity_id = "tickets", ticket_id
    if name.startswith("note."):
        entity, entity_id = "notes", args.get("id")
    conflict = record_conflict(
        actor=ctx.user,
        kind=kind,
        message=message,
        entity=entity,
        entity_id=entity_id if isinstance(entity_id, uuid.UUID) else None,
        ticket_id=ticket_id if isinstance(ticket_id, uuid.UUID) else None,
        mine=args,
        theirs=extra,
        base_version=args.get("base_version"),
        mutation_id=ctx.mutation_id,
        mutation_name=name,
        occurred_at=ctx.occurred_at,
    )
    return MutationOutcome(status="conflict", conflict_id=conflict.id, error=message)


def _summary(messages: Any) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{k}: {_summary(v)}" for k, v in messages.items())
    if isinstance(messages, list):
        return ", ".join(_summary(v) for v in messages)
    return str(messages)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _json_safe(value: Any) -> Any:
    """JSON for a JSONB column: plain types, and U+0000 (which JSONB refuses) replaced."""
    from backend.sync.entities import plain

    value = plain(value)
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_json_safe(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value
