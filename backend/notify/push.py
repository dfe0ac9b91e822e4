"""Push outbox: device tokens, and one ``PushMessage`` per device for every notification.

The outbox rows are written by the ``on_notification`` hook, i.e. inside the transaction that
created the notification (an assignment, an auto-dispatch flag), and the sender job is queued
with ``enqueue_after_commit``: a push exists if and only if its cause committed, and the phone
is never told about an assignment that was rolled back.

Without ``FIREBASE_CREDENTIALS`` the rows are written with status ``unsent`` and no job runs.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import has_app_context
from sqlalchemy import Select, delete, or_, select

from backend.accounts.models import User
from backend.config import settings
from backend.db import db, utcnow
from backend.errors import Invalid, NotFound
from backend.notify.models import DeviceToken, Notification, PushMessage

PLATFORMS = ("android", "ios", "web")
DEFAULT_RETRY_INTERVALS = (10, 60, 300)


def credentials_configured() -> bool:
    return has_app_context() and bool(settings().FIREBASE_CREDENTIALS)


def retry_intervals() -> list[int]:
    """Backoff between send attempts, seconds (``FIELDOPS_PUSH_RETRY_INTERVALS=10,60,300``)."""
    if not has_app_context():
        return list(DEFAULT_RETRY_INTERVALS)
    return list(settings().PUSH_RETRY_INTERVALS)


def register_device(user: User, *, token: str, platform: str) -> DeviceToken:
    """Register (or refresh) a device token for ``user``. A token identifies one app install,
    so if another account registered it before (shared phone, re-login) it moves to ``user``."""
    token = (token or "").strip()
    if not token:
        raise Invalid("token must not be empty", errors={"token": ["required"]})
    if platform not in PLATFORMS:
        raise Invalid(
            f"unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}",
            errors={"platform": [f"one of {', '.join(PLATFORMS)}"]},
        )
    device = db.session.scalars(
        select(DeviceToken).where(DeviceToken.token == token).with_for_update()
    ).first()
    if device is None:
        device = DeviceToken(id=uuid.uuid4(), user_id=user.id, token=token, platform=platform)
        db.session.add(device)
    else:
        device.user_id = user.id
        device.platform = platform
        device.last_seen_at = utcnow()
    db.session.flush()
    return device


def remove_device(user: User, device_id: uuid.UUID) -> None:
    device = db.session.get(DeviceToken, device_id)
    if device is None or device.user_id != user.id:
        raise NotFound(f"device {device_id} not found")
    db.session.delete(device)
    db.session.flush()


def forget_token(token: str) -> None:
    """FCM said the token is dead (app uninstalled, token rotated)."""
    db.session.execute(delete(DeviceToken).where(DeviceToken.token == token))


def _recipients(n: Notification) -> list[uuid.UUID]:
    if n.user_id is not None:
        return [n.user_id]
    stmt = select(User.id).where(User.role == n.role, User.is_active.is_(True))
    return list(db.session.scalars(stmt))


def outbox_for(n: Notification) -> list[PushMessage]:
    """``on_notification`` hook: one outbox row per device of each recipient.

    Runs inside other features' operations (often inside a sync savepoint), so it reads
    without autoflush and flushes only when it actually added rows: it never changes when
    the caller's pending objects reach the database."""
    with db.session.no_autoflush:
        users = _recipients(n)
        devices = (
            db.session.scalars(
                select(DeviceToken)
                .where(DeviceToken.user_id.in_(users))
                .order_by(DeviceToken.created_at)
            ).all()
            if users
            else []
        )
    if not devices:
        return []
    live = credentials_configured()
    data: dict[str, Any] = {
        **{k: str(v) for k, v in (n.data or {}).items()},
        "kind": n.kind,
        "notification_id": str(n.id),
    }
    if n.ticket_id:
        data["ticket_id"] = str(n.ticket_id)
    messages = [
        PushMessage(
            id=uuid.uuid4(),
            notification_id=n.id,
            device_id=d.id,
            user_id=d.user_id,
            token=d.token,
            title=n.title,
            body=n.body or "",
            data=data,
            status="pending" if live else "unsent",
            last_error=None if live else "FIREBASE_CREDENTIALS not configured",
        )
        for d in devices
    ]
    db.session.add_all(messages)
    db.session.flush()
    if live:
        from backend.notify.tasks import enqueue_send

        for m in messages:
            enqueue_send(m.id)
    return messages


def notifications_query(user: User) -> Select[Any]:
    """Notifications addressed to ``user`` or to their role, newest first."""
    return (
        select(Notification)
        .where(or_(Notification.user_id == user.id, Notification.role == user.role))
        .order_by(Notification.created_at.desc(), Notification.id)
    )
