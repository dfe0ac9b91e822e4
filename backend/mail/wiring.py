"""Hook registrations of the email feature (imported at start-up by ``backend.models``):
the customer's status emails on a ticket's audit events, staff emails beside push on
every notification, and the invitation with a set-password link when an account without a
password gets one (an imported engineer). All run inside the caller's transaction: rows and
job intents, no I/O."""

from __future__ import annotations

from backend.accounts import setup_tokens
from backend.hooks import register
from backend.mail import outbound
from backend.notify import operations as notify_ops
from backend.workorders import hooks as ticket_hooks

register(ticket_hooks.on_event, outbound.on_ticket_event)
register(notify_ops.on_notification, outbound.on_notification)
register(setup_tokens.on_issued, outbound.on_setup_link)
