"""Hook registrations of the notify feature (imported at start-up by ``backend.models``):
assignments create a notification for the engineer, and every notification gets its push
outbox rows, all inside the transaction that caused them."""

from __future__ import annotations

from backend.notify import operations
from backend.notify.push import notify_assignee, outbox_for
from backend.workorders import hooks

hooks.register(hooks.after_assign, notify_assignee)
hooks.register(operations.on_notification, outbox_for)
