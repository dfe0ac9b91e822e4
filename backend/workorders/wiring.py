"""workorders' own wiring (imported at start-up by ``backend.models``): its sync mutations,
and its reactions to its own hooks.

- ``after_assign``: the engineer is told a job is theirs (assign and reassign), by a
  notification that gets its push rows in the same transaction. Notifications are a service
  below workorders (``notify``), so workorders calls it; notify never imports workorders.
"""

from __future__ import annotations

from backend.notify.operations import notify
from backend.workorders import hooks, sync_mutations
from backend.workorders.models import Ticket, TicketEvent

__all__ = ["notify_assignee", "sync_mutations"]


def notify_assignee(ticket: Ticket, event: TicketEvent) -> None:
    """``after_assign`` hook: tell the engineer a job is theirs (assign and reassign)."""
    if event.action not in ("assign", "reassign") or ticket.assignee_id is None:
        return
    notify(
        kind="ticket_assigned",
        title=f"New job {ticket.number} ({ticket.priority})",
        body=ticket.title,
        user_id=ticket.assignee_id,
        ticket_id=ticket.id,
        data={"priority": ticket.priority, "number": ticket.number},
    )


hooks.register(hooks.after_assign, notify_assignee)
