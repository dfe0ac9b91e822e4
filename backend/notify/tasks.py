"""The push sender job: one rq job per outbox row.

One message per job keeps retries honest: a job that failed on a 5xx is re-run by rq (``Retry``
with the configured backoff) and only that message is attempted again - messages that already
went out are never re-sent. The job is idempotent: it acts only on a ``pending`` row (locked),
so a duplicate execution cannot send twice after the first one committed.

Outcomes: ``sent`` (FCM message id stored); ``failed`` with the token deleted on UNREGISTERED;
a transient error (5xx, quota, timeout, OAuth endpoint down) raises so rq retries, and when
no retry is left the row becomes ``failed`` with the last error.
"""

from __future__ import annotations

import uuid

from flask import current_app
from rq.job import get_current_job
from sqlalchemy import select

from backend.db import db, utcnow
from backend.jobs import enqueue_after_commit, job
from backend.notify.fcm import sender_for
from backend.notify.models import PushMessage
from backend.notify.push import forget_token, retry_intervals

SEND_TIMEOUT_S = 60


class TransientPushError(Exception):
    """FCM could not take the message now; rq retries the job with backoff."""


def enqueue_send(message_id: uuid.UUID) -> None:
    intervals = retry_intervals()
    enqueue_after_commit(
        send_push,
        str(message_id),
        queue="default",
        timeout=SEND_TIMEOUT_S,
        retry=tuple(intervals),
    )


def _attempt() -> tuple[int, bool]:
    """(this attempt's number, whether rq will retry after a failure)."""
    current = get_current_job()
    if current is None or current.retries_left is None:
        return 1, False
    total = len(current.retry_intervals or []) or 0
    return max(1, total - current.retries_left + 1), current.retries_left > 0


@job(queue="default", timeout=SEND_TIMEOUT_S, retry=(10, 60, 300))
def send_push(message_id: str) -> str:
    msg = db.session.scalars(
        select(PushMessage).where(PushMessage.id == uuid.UUID(message_id)).with_for_update()
    ).first()
    if msg is None or msg.status != "pending":
        return "skipped"
    sender = sender_for(
        current_app.config.get("FIREBASE_CREDENTIALS"), current_app.config.get("FCM_ENDPOINT")
    )
    if sender is None:
        msg.status, msg.last_error = "unsent", "FIREBASE_CREDENTIALS not configured"
        return msg.status
    attempt, will_retry = _attempt()
    result = sender.send(msg.token, msg.title, msg.body, msg.data)
    msg.attempts = attempt
    if result.ok:
        msg.status, msg.fcm_message_id, msg.sent_at = "sent", result.message_id, utcnow()
        msg.last_error = None
    elif result.unregistered:
        msg.status, msg.last_error = "failed", result.error
        forget_token(msg.token)
    elif result.transient and will_retry:
        # Rolls this attempt back (the row stays pending); rq re-runs the job after the backoff.
        raise TransientPushError(result.error or "transient FCM error")
    else:
        msg.status, msg.last_error = "failed", result.error
    db.session.flush()
    return msg.status
