"""Conflict records for close-out evidence that could not simply be applied (a second
signature; parts or a signature sent offline for a job that was reassigned or cancelled
meanwhile). They go through the sync feature's ``record_conflict`` so dispatchers resolve
every conflict in one place and it syncs back to the engineer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from backend.accounts.models import User
from backend.sync.conflicts import record_conflict as sync_record


def record_conflict(
    *,
    actor: User,
    ticket_id: uuid.UUID | None,
    entity: str,
    entity_id: uuid.UUID | None,
    kind: str,
    message: str,
    mine: dict[str, Any],
    theirs: dict[str, Any],
    mutation_id: uuid.UUID | None = None,
    mutation_name: str | None = None,
    occurred_at: datetime | None = None,
) -> uuid.UUID:
    conflict = sync_record(
        actor=actor,
        kind=kind,
        message=message,
        entity=entity,
        entity_id=entity_id,
        ticket_id=ticket_id,
        mine=mine,
        theirs=theirs,
        mutation_id=mutation_id,
        mutation_name=mutation_name,
        occurred_at=occurred_at,
    )
    return conflict.id
