"""automation's wiring (imported at start-up by ``backend.models``): it hears every line of a
ticket's audit trail and queues the rule runs after commit (``engine.on_ticket_event``)."""

from __future__ import annotations

from backend.automation.engine import on_ticket_event
from backend.hooks import register
from backend.workorders import hooks as ticket_hooks

register(ticket_hooks.on_event, on_ticket_event)
