"""webhooks' wiring (imported at start-up by ``backend.models``): it listens on the hooks the
features below it declare, and turns what it hears into events (``operations.emit``).

- ``workorders.hooks.on_event``: every line of a ticket's audit trail. One place for the
  ticket events: created, status changed (any event whose status differs: transitions,
  assignments, unassignments), assigned, completed, SLA at risk / breached (the SLA scan's
  activities), rated (the tracking page's ``rate``, a sign-off with a rating) and parts
  consumed (``part_used``).
- ``sync.conflicts.on_conflict``: every conflict recorded (sync, sign-off, evidence).
- ``dispatch.optimize.ops.plan_applied``: an approved day plan applied.

All run inside the caller's transaction: delivery rows and job outbox rows, no I/O.
"""

from __future__ import annotations

from typing import Any

from backend.accounts.models import User
from backend.dispatch.optimize import ops as optimize_ops
from backend.hooks import register
from backend.sync import conflicts
from backend.sync.models import SyncConflict
from backend.webhooks.events import event_types_of, ticket_summary
from backend.webhooks.operations import emit
from backend.workorders import hooks as ticket_hooks
from backend.workorders.models import Ticket, TicketEvent


def on_ticket_event(ticket: Ticket, event: TicketEvent) -> None:
    types = event_types_of(event)
    if not types:
        return
    data = {
        "ticket": ticket_summary(ticket),
        "event": {
            "id": event.id,
            "action": event.action,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "actor_id": event.actor_id,
            "via": event.via,
            "reason": event.reason,
            "at": event.at,
            "occurred_at": event.occurred_at,
            "data": event.data or {},
        },
    }
    for event_type in types:
        emit(event_type, data, at=event.at)


def on_conflict(conflict: SyncConflict) -> None:
    emit(
        "conflict.raised",
        {
            "conflict": {
                "id": conflict.id,
                "kind": conflict.kind,
                "message": conflict.message,
                "entity": conflict.entity,
                "entity_id": conflict.entity_id,
                "ticket_id": conflict.ticket_id,
                "actor_id": conflict.actor_id,
                "mutation_name": conflict.mutation_name,
                "occurred_at": conflict.occurred_at,
            }
        },
    )


def on_plan_applied(outcome: dict[str, Any], actor: User) -> None:
    emit("plan.applied", {"plan": outcome, "actor_id": actor.id})


register(ticket_hooks.on_event, on_ticket_event)
register(conflicts.on_conflict, on_conflict)
register(optimize_ops.plan_applied, on_plan_applied)
