"""What one audit event is as an event type, and the ticket as the events show it: one
definition that webhooks (the payload) and automation (the rules' triggers) both read, so a
rule on ``ticket.assigned`` fires exactly when a subscriber to it is called."""

from __future__ import annotations

from typing import Any

from backend.workorders.models import Ticket, TicketEvent

# The event types a ticket's audit line can be (every other type has no ticket of its own).
TICKET_EVENT_TYPES = (
    "ticket.created",
    "ticket.status_changed",
    "ticket.assigned",
    "ticket.sla_at_risk",
    "ticket.sla_breached",
    "ticket.completed",
    "ticket.rated",
    "parts.consumed",
)


def event_types_of(event: TicketEvent) -> list[str]:
    """The webhook event types one audit event is."""
    action = event.action
    types: list[str] = []
    if action == "create":
        types.append("ticket.created")
    elif event.from_status != event.to_status:
        types.append("ticket.status_changed")
    if action in ("assign", "reassign"):
        types.append("ticket.assigned")
    if action == "complete":
        types.append("ticket.completed")
    if action == "sla_at_risk":
        types.append("ticket.sla_at_risk")
    if action == "sla_breached":
        types.append("ticket.sla_breached")
    if action == "rate" or (action == "signoff" and (event.data or {}).get("rating") is not None):
        types.append("ticket.rated")
    if action == "part_used":
        types.append("parts.consumed")
    return types


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        "sla_state": ticket.sla_state,
        "assignee_id": ticket.assignee_id,
        "site_id": ticket.site_id,
        "asset_id": ticket.asset_id,
        "respond_by": ticket.respond_by,
        "resolve_by": ticket.resolve_by,
        "rating": ticket.rating,
    }
