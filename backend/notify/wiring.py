"""Hook registrations of the notify feature (imported at start-up by ``backend.models``):
every notification gets its push outbox rows, inside the transaction that created it."""

from __future__ import annotations

from backend.hooks import register
from backend.notify import operations
from backend.notify.push import outbox_for

register(operations.on_notification, outbox_for)
