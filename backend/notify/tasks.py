"""The push sender job: one rq job per outbox row.

One message per job keeps retries honest: a job that failed on a 5xx is re-run by rq (``Retry``
with the configured backoff) and only that message is attempted again - messages that already
went out are never re-sent. The job is idempotent: it claims a ``pending`` row by marking it
``sending`` in a short transaction of its own, calls FCM with no transaction open, and records
the outcome in another short transaction; a duplicate execution finds the claim and skips.

Outcomes: ``sent`` (FCM message id stored); ``failed`` with the token deleted on UNREGISTERED;
a transient error (5xx, quota, timeout, OAuth endpoint down) raises so rq retries, and when
no retry is left the row becomes ``failed`` with the last error.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from rq.job import get_current_job
from sqlalchemy import and_, or_, update

from backend.config import settings
from backend.db import db, utcnow
from backend.jobs import enqueue_after_commit, job
from backend.notify.fcm import sender_for
from backend.notify.models import PushMessage
from backend.notify.push import forget_token, retry_intervals

SEND_TIMEOUT_S = 60
# A ``sending`` claim older than this was left by a worker that died (or timed out) mid-send.
CLAIM_STALE = timedelta(seconds=2 * SEND_TIMEOUT_S)


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


def _claim(message_id: uuid.UUID, attempt: int) -> tuple[str, str, str, dict[str, Any]] | None:
    """Mark the message ``sending`` and commit: one short transaction, so no row lock is held
    while FCM is called (a lock held across the HTTP call held back every engineer's sync
    pull, the horizon being cluster-wide). A duplicate job finds it ``sending`` and skips;
    a claim older than ``CLAIM_STALE`` belongs to a worker that died mid-send, and is taken
    over (the push may then arrive twice: at least once, never silently lost)."""
    stale = utcnow() - CLAIM_STALE
    row = db.session.execute(
        update(PushMessage)
        .where(
            PushMessage.id == message_id,
            or_(
                PushMessage.status == "pending",
                and_(PushMessage.status == "sending", PushMessage.claimed_at < stale),
            ),
        )
        .values(status="sending", claimed_at=utcnow(), attempts=attempt)
        .returning(PushMessage.token, PushMessage.title, PushMessage.body, PushMessage.data)
    ).first()
    db.session.commit()
    return (row[0], row[1], row[2], row[3]) if row is not None else None


def _record(message_id: uuid.UUID, **values: Any) -> None:
    """Write the outcome of our claim (a short transaction of its own, committed by the job
    boundary or explicitly before a retry is raised)."""
    db.session.execute(
        update(PushMessage)
        .where(PushMessage.id == message_id, PushMessage.status == "sending")
        .values(**values)
    )


@job(queue="default", timeout=SEND_TIMEOUT_S, retry=(10, 60, 300))
def send_push(message_id: str) -> str:
    """Claim (commit), send with no transaction open, record the result (commit)."""
    mid = uuid.UUID(message_id)
    cfg = settings()
    sender = sender_for(cfg.FIREBASE_CREDENTIALS, cfg.FCM_ENDPOINT)
    if sender is None:
        db.session.execute(
            update(PushMessage)
            .where(PushMessage.id == mid, PushMessage.status == "pending")
            .values(status="unsent", last_error="FIREBASE_CREDENTIALS not configured")
        )
        return "unsent"
    attempt, will_retry = _attempt()
    claimed = _claim(mid, attempt)
    if claimed is None:
        return "skipped"
    token, title, body, data = claimed
    result = sender.send(token, title, body, data)  # no transaction open here
    if result.ok:
        _record(
            mid, status="sent", fcm_message_id=result.message_id, sent_at=utcnow(), last_error=None
        )
        return "sent"
    if result.unregistered:
        _record(mid, status="failed", last_error=result.error)
        forget_token(token)
        return "failed"
    if result.transient and will_retry:
        # Back to pending (committed now: the raise below rolls back), rq re-runs the job
        # after the backoff.
        _record(mid, status="pending", last_error=result.error)
        db.session.commit()
        raise TransientPushError(result.error or "transient FCM error")
    _record(mid, status="failed", last_error=result.error)
    return "failed"
