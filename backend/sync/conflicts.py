"""Conflict records: an engineer's write the server could not simply apply. Both values, the
base version, the mutation, the actor and the resolution are kept, so nothing an engineer did
vanishes, and a dispatcher decides what wins."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from backend.accounts.models import User
from backend.db import added, db, utcnow
from backend.errors import Conflict, Invalid, NotAllowed, NotFound
from backend.hooks import run
from backend.sync.entities import plain
from backend.sync.models import RESOLUTIONS, SyncConflict
from backend.sync.registry import MUTATIONS
from backend.workorders.models import Ticket

# Hook point (``backend.hooks``): called with each new conflict inside the transaction that
# records it (webhooks announce it).
on_conflict: list[Callable[[SyncConflict], Any]] = []


def record_conflict(
    *,
    actor: User | None,
    kind: str,
    message: str,
    entity: str,
    entity_id: uuid.UUID | None = None,
    ticket_id: uuid.UUID | None = None,
    mine: dict[str, Any] | None = None,
    theirs: dict[str, Any] | None = None,
    base_version: int | None = None,
    mutation_id: uuid.UUID | None = None,
    mutation_name: str | None = None,
    occurred_at: datetime | None = None,
) -> SyncConflict:
    if ticket_id is not None and db.session.get(Ticket, ticket_id) is None:
        ticket_id = None
    conflict = SyncConflict(
        id=uuid.uuid4(),
        ticket_id=ticket_id,
        entity=entity,
        entity_id=entity_id,
        kind=kind,
        message=message,
        mutation_id=mutation_id,
        mutation_name=mutation_name,
        actor_id=actor.id if actor else None,
        mine=plain(mine or {}),
        theirs=plain(theirs or {}),
        base_version=base_version,
        occurred_at=occurred_at,
    )
    added(conflict)
    run(on_conflict, conflict)
    return conflict


def conflicts_query(
    *, status: str = "open", ticket_id: uuid.UUID | None = None, actor_id: uuid.UUID | None = None
) -> Select[Any]:
    stmt = select(SyncConflict)
    if status == "open":
        stmt = stmt.where(SyncConflict.resolution.is_(None))
    elif status == "resolved":
        stmt = stmt.where(SyncConflict.resolution.is_not(None))
    if ticket_id is not None:
        stmt = stmt.where(SyncConflict.ticket_id == ticket_id)
    if actor_id is not None:
        stmt = stmt.where(SyncConflict.actor_id == actor_id)
    return stmt.order_by(SyncConflict.created_at.desc(), SyncConflict.id)


def get_conflict(conflict_id: uuid.UUID) -> SyncConflict:
    conflict = db.session.get(SyncConflict, conflict_id)
    if conflict is None:
        raise NotFound(f"conflict {conflict_id} not found")
    return conflict


def resolve_conflict(
    conflict: SyncConflict,
    *,
    actor: User,
    resolution: str,
    note: str | None,
    sla_policy: dict[str, tuple[float, float]],
) -> SyncConflict:
    """Record the dispatcher's decision. ``apply_engineer`` re-applies the engineer's value
    through the normal operation (field edits only: a status change is taken on the ticket)."""
    if not actor.is_staff:
        raise NotAllowed("only a dispatcher or admin may resolve conflicts")
    if resolution not in RESOLUTIONS:
        raise Invalid(
            f"unknown resolution {resolution!r}",
            errors={"resolution": [f"one of {', '.join(RESOLUTIONS)}"]},
        )
    if conflict.resolution is not None:
        raise Conflict(
            f"conflict {conflict.id} was already resolved ({conflict.resolution})",
            resolution=conflict.resolution,
        )
    if resolution == "apply_engineer":
        _apply_engineer(conflict, actor, sla_policy)
    conflict.resolution = resolution
    conflict.resolution_note = note
    conflict.resolved_by_id = actor.id
    conflict.resolved_at = utcnow()
    db.session.flush()
    return conflict


def _apply_engineer(
    conflict: SyncConflict, actor: User, sla_policy: dict[str, tuple[float, float]]
) -> None:
    """The mutation that recorded the conflict re-applies the engineer's values (its
    ``reapply``); only field edits have one."""
    spec = MUTATIONS.get(conflict.mutation_name or "")
    if spec is not None and spec.reapply is not None and spec.reapply(conflict, actor, sla_policy):
        return
    raise Invalid(
        f"apply_engineer only applies field edits (ticket.update, note.edit), not "
        f"{conflict.mutation_name or conflict.kind}; act on the ticket, then use keep_server "
        "or acknowledged",
        errors={"resolution": ["not applicable to this conflict"]},
    )
