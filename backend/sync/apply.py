"""Running a push's mutations: each one isolated, without paying a savepoint for each.

docs/sync-protocol.md asks that one bad mutation never sinks the batch nor leaves partial effects. A
savepoint per mutation gives exactly that, but costs two round trips and the ORM's nested
transaction bookkeeping per mutation, about a third of a push's time. So mutations run in
chunks, one savepoint per chunk:

- every mutation of the chunk succeeds (the common case): the chunk's savepoint is
  released, and each mutation's effects are what they would have been with its own;
- any mutation raises: the whole chunk is rolled back (its rows, its change-log rows, its
  queued jobs, its row locks) and the chunk is run again, each mutation in its own savepoint,
  which is the one-savepoint-per-mutation algorithm, failures turned into ``conflict`` or
  ``rejected`` results the same way. Nothing of the first attempt survives it.

The outcome of a batch is therefore the same as with one savepoint per mutation; a failing
mutation only costs the re-run of its chunk. Each mutation is flushed right after its handler
so a database refusal is raised by (and charged to) the mutation that caused it, except the
``batched`` kinds (they only add rows and answer without reading them back): their rows are
flushed together before the chunk's savepoint is released (one INSERT per table instead of
one per mutation), and a refusal there re-runs the chunk one mutation at a time as above.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from backend import pgtext
from backend.accounts.models import User
from backend.db import db
from backend.errors import Conflict, DomainError
from backend.sync.conflicts import record_conflict
from backend.sync.registry import MUTATIONS, Mutation, MutationContext, MutationOutcome

log = logging.getLogger(__name__)
# The refusal code of a mutation whose arguments do not load (the app names it, not the server).
ARGS = "invalid_args"

# Mutations per savepoint. Larger saves round trips; smaller bounds the re-run a failing
# mutation costs (at most CHUNK - 1 others run twice).
CHUNK = 25


@dataclass(frozen=True)
class Prepared:
    """A mutation whose arguments are valid, ready to run."""

    spec: Mutation
    args: dict[str, Any]
    ctx: MutationContext


# What a mutation of the batch becomes before anything runs: None for a repeated id (answered
# by the caller as a duplicate), an outcome already decided (rejected arguments), or Prepared.
Step = Prepared | MutationOutcome | None


def run_batch(
    user: User,
    client_id: str,
    schema_version: int,
    mutations: list[dict[str, Any]],
    known_ids: set[uuid.UUID],
) -> list[MutationOutcome | None]:
    """The outcome of each mutation, in order; None for one whose id is in ``known_ids`` or
    appeared earlier in the batch (the caller answers it as a duplicate)."""
    seen = set(known_ids)
    steps: list[Step] = []
    for m in mutations:
        if m["id"] in seen:
            steps.append(None)
            continue
        seen.add(m["id"])
        steps.append(prepare(user, client_id, schema_version, m))
    steps = [_slow_work(step) for step in steps]
    outcomes: list[MutationOutcome | None] = []
    for start in range(0, len(steps), CHUNK):
        outcomes.extend(_run_chunk(steps[start : start + CHUNK]))
    return outcomes


def prepare(user: User, client_id: str, schema_version: int, m: dict[str, Any]) -> Step:
    name = m["name"]
    spec = MUTATIONS.get(name) if isinstance(name, str) else None
    if spec is None:
        shown = pgtext.scrub(name)
        return _rejected(
            f"unknown mutation {shown!r}; this server knows {', '.join(sorted(MUTATIONS))}",
            kind="unknown_mutation",
        )
    if spec.since_schema_version > schema_version:
        return _rejected(
            f"{name} needs sync schema {spec.since_schema_version} or newer", kind="schema_too_old"
        )
    raw = m.get("args")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return _rejected(f"invalid arguments for {name}: args must be an object", kind=ARGS)
    why = pgtext.problem(raw)
    if why:
        # The database could not store it: refuse this one instead of failing the whole batch.
        return _rejected(f"invalid arguments for {name}: {why}; {pgtext.RULE}", kind=ARGS)
    try:
        args = spec.loader.load(raw)
    except ValidationError as exc:
        return _rejected(
            f"invalid arguments for {name}: {error_summary(exc.messages)}",
            kind=ARGS,
            fields=sorted(exc.messages) if isinstance(exc.messages, dict) else [],
        )
    ctx = MutationContext(
        user=user,
        mutation_id=m["id"],
        client_id=client_id,
        schema_version=schema_version,
        occurred_at=args.get("occurred_at"),
    )
    return Prepared(spec, args, ctx)


def _slow_work(step: Step) -> Step:
    """Run a mutation's ``prepare`` (rendering, storage) now, before the batch writes. If it
    fails the handler does the work itself and meets the same error, answered per mutation."""
    if not isinstance(step, Prepared) or step.spec.prepare is None:
        return step
    try:
        done = step.spec.prepare(step.args)
    except Exception:
        log.info("prepare of %s failed; its handler will retry it", step.spec.name, exc_info=True)
        return step
    return Prepared(step.spec, step.args, replace(step.ctx, prepared=done))


def _run_chunk(steps: list[Step]) -> list[MutationOutcome | None]:
    decided = [s for s in steps if not isinstance(s, Prepared)]
    if len(decided) == len(steps):
        return decided  # nothing to run: no savepoint
    savepoint = db.session.begin_nested()
    try:
        outcomes = [_run(s) for s in _prefetched(steps)]
        db.session.flush()  # the batched mutations' rows, inside the chunk's savepoint
        savepoint.commit()
        return outcomes
    except (OperationalError, InterfaceError):
        savepoint.rollback()
        raise  # the database is unreachable: nothing processed, the client retries the batch
    except Exception:
        savepoint.rollback()
    # A mutation of this chunk failed: nothing of the attempt is kept; run each one alone.
    return [run_isolated(s) if isinstance(s, Prepared) else s for s in steps]


def _prefetched(steps: list[Step]) -> list[Step]:
    """The chunk's steps, each with what its kind's ``prefetch`` read for all of them (inside
    the chunk's savepoint: if the chunk fails, the mutations rerun alone without it)."""
    by_kind: dict[str, list[Prepared]] = {}
    for s in steps:
        if isinstance(s, Prepared) and s.spec.prefetch is not None:
            by_kind.setdefault(s.spec.name, []).append(s)
    if not by_kind:
        return steps
    read = {
        name: group[0].spec.prefetch([p.args for p in group])  # type: ignore[misc]
        for name, group in by_kind.items()
    }
    return [
        Prepared(s.spec, s.args, replace(s.ctx, prefetched=read[s.spec.name]))
        if isinstance(s, Prepared) and s.spec.name in read
        else s
        for s in steps
    ]


def _run(step: Step) -> MutationOutcome | None:
    if not isinstance(step, Prepared):
        return step
    outcome = step.spec.handler(step.args, step.ctx)
    if not step.spec.batched:
        db.session.flush()
    return outcome


def run_isolated(step: Prepared) -> MutationOutcome:
    """One mutation in its own savepoint; what it raises becomes its conflict or rejection."""
    name, args, ctx = step.spec.name, step.args, step.ctx
    savepoint = db.session.begin_nested()
    try:
        outcome = step.spec.handler(args, ctx)
        savepoint.commit()
        return outcome
    except Conflict as exc:
        savepoint.rollback()
        return _conflict_from(exc.kind, exc.message, exc.extra, step)
    except StaleDataError:
        savepoint.rollback()
        msg = "the record changed while this mutation was applied"
        return _conflict_from("stale_version", msg, {}, step)
    except DomainError as exc:
        savepoint.rollback()
        return _rejected(exc.message, kind=exc.kind, **exc.errors)
    except (OperationalError, InterfaceError):
        savepoint.rollback()
        raise  # the database is unreachable: nothing processed, the client retries the batch
    except SQLAlchemyError as exc:
        savepoint.rollback()
        log.warning("sync mutation %s %s refused by the database: %s", name, ctx.mutation_id, exc)
        return _rejected(
            f"{name} was refused by the database: {exc.__class__.__name__}", kind="database_refused"
        )
    except Exception:
        savepoint.rollback()
        log.exception("sync mutation %s %s failed", name, ctx.mutation_id)
        return _rejected(
            f"{name} failed on the server; it is kept and support was told", kind="server_error"
        )


def _rejected(error: str, **data: Any) -> MutationOutcome:
    """A refused mutation. ``data`` carries the refusal's code as ``kind`` (the English
    ``error`` is for logs and support): the app says it in the engineer's language."""
    return MutationOutcome(status="rejected", error=error, data=data)


def _conflict_from(
    kind: str, message: str, extra: dict[str, Any], step: Prepared
) -> MutationOutcome:
    """A refused write is never dropped: the engineer's values become a conflict record,
    named by the entity the mutation declares it writes."""
    name, args, ctx, entity = step.spec.name, step.args, step.ctx, step.spec.entity
    ticket_id = args.get("ticket_id")
    entity_id = args.get(entity.id_arg) if entity.id_arg else None
    conflict = record_conflict(
        actor=ctx.user,
        kind=kind,
        message=message,
        entity=entity.name,
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


def error_summary(messages: Any) -> str:
    """Marshmallow's nested error messages as one line (``field: problem; ...``)."""
    if isinstance(messages, dict):
        return "; ".join(f"{k}: {error_summary(v)}" for k, v in messages.items())
    if isinstance(messages, list):
        return ", ".join(error_summary(v) for v in messages)
    return str(messages)
