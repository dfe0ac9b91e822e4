"""The attempt job: one rq job per delivery attempt.

Three steps, never a transaction open across the HTTP call (a lock or an open transaction
held while a slow target answers would hold back every engineer's sync pull, the horizon
being cluster-wide):

1. claim: mark the delivery ``sending`` in a short transaction of its own and commit. A job
   whose ``seq`` is no longer the delivery's (a redelivery replaced it) or that finds the
   delivery already claimed does nothing; a claim older than ``CLAIM_STALE`` was left by a
   worker that died mid-send and is taken over (at least once, never silently lost).
2. send: resolve and check the target (SSRF), sign, POST; no database.
3. record: log the attempt and settle the delivery in another short transaction; a failed
   attempt queues the next one (through the outbox, with its backoff as the delay) in that
   same transaction.

The job's own rq retries (``retry``) only cover the job failing (a database that went
away); the target's failures are the delivery's retry schedule (``operations.backoff``).
A job that died between its claim and its record (killed, timed out, its rq retries spent)
leaves the delivery ``sending``: the periodic ``recover_stale_claims`` queues such a delivery
again once its claim is older than ``CLAIM_STALE`` (the target may then get it twice, with
the same ``webhook-id``: at least once, never silently lost).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from backend.config import settings
from backend.db import db, utcnow
from backend.jobs import enqueue_after_commit, job, periodic
from backend.webhooks.delivery import Outcome, TargetRefused, body_of, resolve, send
from backend.webhooks.models import WebhookDelivery, WebhookSubscription, msg_id
from backend.webhooks.operations import Claimed, give_up_disabled, record_attempt

# connect (at most 30 s) + read (at most 60 s) bound one send; the rest is two short
# transactions.
ATTEMPT_TIMEOUT_S = 120
CLAIM_STALE = timedelta(seconds=2 * ATTEMPT_TIMEOUT_S)


def _claim(delivery_id: uuid.UUID, seq: int) -> Claimed | None:
    now = utcnow()
    row = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.job_seq == seq,
            or_(
                WebhookDelivery.status == "pending",
                and_(
                    WebhookDelivery.status == "sending",
                    WebhookDelivery.claimed_at < now - CLAIM_STALE,
                ),
            ),
        )
        .values(status="sending", claimed_at=now)
        .returning(
            WebhookDelivery.subscription_id, WebhookDelivery.attempts, WebhookDelivery.payload
        )
    ).first()
    if row is None:
        db.session.commit()
        return None
    sub_id, attempts, payload = row
    sub = db.session.execute(
        select(
            WebhookSubscription.url, WebhookSubscription.secret, WebhookSubscription.active
        ).where(WebhookSubscription.id == sub_id)
    ).first()
    if sub is None or not sub.active:
        give_up_disabled(delivery_id, now=now)
        db.session.commit()
        return None
    db.session.commit()
    return Claimed(delivery_id, attempts + 1, sub.url, sub.secret, payload)


@job(queue="default", timeout=ATTEMPT_TIMEOUT_S, retry=(30, 300))
def deliver(delivery_id: str, seq: int) -> str:
    """Attempt delivery ``delivery_id`` (the attempt job ``seq`` of it); returns its status."""
    cfg = settings()
    claimed = _claim(uuid.UUID(delivery_id), seq)
    if claimed is None:
        return "skipped"
    at = utcnow()
    try:
        target = resolve(claimed.url, cfg.WEBHOOK_ALLOWED_NETWORKS)
    except TargetRefused as exc:
        outcome = Outcome(False, None, 0, None, f"refused: {exc}")
    else:
        outcome = send(
            target,
            msg_id=msg_id(claimed.delivery_id),
            at=at,
            body=body_of(claimed.body),
            secret=claimed.secret,
            connect_timeout=cfg.WEBHOOK_CONNECT_TIMEOUT_S,
            read_timeout=cfg.WEBHOOK_READ_TIMEOUT_S,
        )
    status = record_attempt(claimed, outcome, cfg=cfg, at=at, now=utcnow())
    db.session.commit()
    return status


RECOVER_BATCH = 500


@periodic(every=300)
@job(queue="low", timeout=60, retry=())
def recover_stale_claims() -> int:
    """Queue again the deliveries whose attempt job died after claiming them; returns how
    many."""
    rows = list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(
                WebhookDelivery.status == "sending",
                WebhookDelivery.claimed_at < utcnow() - CLAIM_STALE,
            )
            .order_by(WebhookDelivery.claimed_at)
            .limit(RECOVER_BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    for delivery in rows:
        delivery.status = "pending"
        delivery.claimed_at = None
        delivery.job_seq += 1
        delivery.next_attempt_at = utcnow()
        enqueue_after_commit(deliver, str(delivery.id), delivery.job_seq)
    db.session.flush()
    return len(rows)
