"""Record notifications. Push delivery is layered on top by the notify feature."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from backend.db import db
from backend.hooks import run
from backend.notify.models import Notification

# Hook point (``backend.hooks``): called with each new Notification inside the transaction
# (the push outbox plugs in here).
on_notification: list[Callable[[Notification], Any]] = []


def notify(
    *,
    kind: str,
    title: str,
    body: str = "",
    user_id: uuid.UUID | None = None,
    role: str | None = None,
    ticket_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> Notification:
    if (user_id is None) == (role is None):
        raise ValueError("a notification goes to exactly one user or one role")
    n = Notification(
        kind=kind,
        title=title,
        body=body,
        user_id=user_id,
        role=role,
        ticket_id=ticket_id,
        data=data or {},
    )
    db.session.add(n)
    db.session.flush()
    run(on_notification, n)
    return n
