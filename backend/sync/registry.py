"""The mutation registry: sync push names -> domain operations.

Each feature registers its mutations here (in its ``wiring.py``), calling the same operation
its REST endpoint calls, so REST and offline sync share every rule. A handler receives the
parsed ``args`` and a ``MutationContext`` and returns a ``MutationOutcome``; raising a
``DomainError`` lets push map it onto ``rejected``/``conflict`` in one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from marshmallow import Schema

from backend.accounts.models import User

if TYPE_CHECKING:
    from backend.sync.models import SyncConflict


@dataclass(frozen=True)
class MutationContext:
    user: User
    mutation_id: uuid.UUID
    client_id: str
    schema_version: int
    occurred_at: datetime | None = None
    # What the mutation's ``prepare`` produced before the batch's transaction began writing
    # (a rendered and stored signature), or None: the handler then does that work itself.
    prepared: Any = None
    # What the mutation's ``prefetch`` read for its whole chunk of the batch, or None (a
    # mutation run alone, or one without prefetch): the handler then reads for itself.
    prefetched: Any = None


@dataclass
class MutationOutcome:
    status: str = "applied"  # applied | merged | conflict | rejected
    entity_version: int | None = None
    conflict_id: uuid.UUID | None = None
    error: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[dict[str, Any], MutationContext], MutationOutcome]
# Slow I/O a mutation needs (rendering, object storage), run on its validated args before the
# push writes anything: a transaction holding a transaction id holds back every engineer's
# pull (the horizon is cluster-wide), so nothing slow may run inside it.
Preparer = Callable[[dict[str, Any]], Any]
# A dispatcher's ``apply_engineer`` on a conflict this mutation recorded: re-apply the
# engineer's values (``conflict.mine``) through the normal operation as ``actor``, given the
# SLA policy; False when the conflict holds nothing that can be re-applied.
Reapplier = Callable[["SyncConflict", User, dict[str, tuple[float, float]]], bool]
# Reads for every mutation of one kind in a chunk of the batch at once (one query each
# instead of one per mutation), given their validated args; what it returns reaches each
# handler as ``ctx.prefetched``. Only a hint: a handler must be right without it.
Prefetcher = Callable[[list[dict[str, Any]]], Any]


@dataclass(frozen=True)
class Entity:
    """What a mutation writes, named on the conflict a refused one records: the synced
    collection and the argument holding the record's id (None: the mutation names none)."""

    name: str
    id_arg: str | None


# Most mutations act on a ticket or attach to one: a refusal is recorded against the ticket.
TICKET = Entity("tickets", "ticket_id")


@dataclass(frozen=True)
class Mutation:
    name: str
    schema: type[Schema]
    handler: Handler
    entity: Entity
    since_schema_version: int = 1
    prepare: Preparer | None = None
    reapply: Reapplier | None = None
    prefetch: Prefetcher | None = None
    batched: bool = False

    @cached_property
    def loader(self) -> Schema:
        """One schema instance per mutation, reused for every push: building a marshmallow
        schema deep-copies its declared fields, which cost more than loading the arguments
        (a push of 1,000 mutations built 1,000 of them). ``load`` keeps no state between
        calls, so sharing the instance is safe."""
        return self.schema()


MUTATIONS: dict[str, Mutation] = {}


def mutation(
    name: str,
    schema: type[Schema],
    *,
    entity: Entity,
    since_schema_version: int = 1,
    prepare: Preparer | None = None,
    reapply: Reapplier | None = None,
    prefetch: Prefetcher | None = None,
    batched: bool = False,
) -> Callable[[Handler], Handler]:
    """Decorator: register ``handler`` for mutation ``name`` (args validated by ``schema``;
    ``entity`` is what it writes, named on a conflict; ``prepare``, if given, does the
    mutation's slow I/O before the batch writes; ``reapply``, if given, carries out a
    dispatcher's ``apply_engineer`` on a conflict it recorded; ``prefetch``, if given, reads
    for all of a chunk's mutations of this kind at once; ``batched``: the handler only adds
    rows and answers without reading them back, so they are flushed with the rest of the
    chunk, in one statement per table, rather than after each mutation)."""

    def deco(handler: Handler) -> Handler:
        MUTATIONS[name] = Mutation(
            name,
            schema,
            handler,
            entity,
            since_schema_version,
            prepare,
            reapply,
            prefetch,
            batched,
        )
        return handler

    return deco
