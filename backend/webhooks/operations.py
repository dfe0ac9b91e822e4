"""Subscriptions, the events they hear, and the bookkeeping of deliveries (flush only).

An event becomes one ``WebhookDelivery`` per active subscription that asked for its type, and
one attempt job queued with ``enqueue_after_commit``: both in the transaction of the write that
caused the event, so the job outbox row (``backend.jobs.outbox``) commits exactly when the
event does, and a rolled-back write delivers nothing. The HTTP side is ``tasks.deliver``.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from backend.accounts.models import User
from backend.config import Config
from backend.db import added, db, get_or_404, utcnow
from backend.errors import Conflict, Invalid
from backend.extensions import redis_holder
from backend.jobs import enqueue_after_commit
from backend.notify.operations import notify
from backend.webhooks.delivery import Outcome, TargetRefused, parse_url, resolve
from backend.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

# The event types, with what each one means (docs/webhooks.md lists the same).
EVENT_TYPES: dict[str, str] = {
    "ticket.created": "a ticket was created (console, QR report, sync)",
    "ticket.status_changed": "a ticket's status changed (any transition or assignment)",
    "ticket.assigned": "a ticket was assigned or reassigned to an engineer",
    "ticket.sla_at_risk": "the SLA scan found a ticket at risk of missing its deadline",
    "ticket.sla_breached": "the SLA scan found a ticket past its deadline",
    "ticket.completed": "an engineer completed a ticket",
    "ticket.rated": "the customer rated the work (tracking page or sign-off)",
    "parts.consumed": "a part was used on a ticket",
    "conflict.raised": "a write could not simply be applied and awaits a dispatcher",
    "plan.applied": "a dispatcher applied a day plan (batch optimizer)",
    "automation.rule_matched": "an automation rule with a send_webhook action matched a ticket",
}
REDELIVER_ALL_MAX = 1000
SECRET_BYTES = 32


def new_secret() -> str:
    """``whsec_`` and base64 of 32 random bytes, as the Standard Webhooks spec describes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _event_types(values: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(values))
    unknown = [v for v in chosen if v not in EVENT_TYPES]
    if unknown:
        raise Invalid(
            f"unknown event types: {', '.join(unknown)}",
            errors={"event_types": [f"one of {', '.join(EVENT_TYPES)}"]},
        )
    if not chosen:
        raise Invalid("choose at least one event type", errors={"event_types": ["empty"]})
    return chosen


def check_target(url: str, cfg: Config) -> None:
    """Refuse a URL that is malformed or resolves to an address not allowed (422)."""
    try:
        parse_url(url)
        resolve(url, cfg.WEBHOOK_ALLOWED_NETWORKS)
    except TargetRefused as exc:
        raise Invalid(str(exc), errors={"url": [str(exc)]}) from None


def create_subscription(
    actor: User,
    *,
    url: str,
    event_types: Sequence[str],
    cfg: Config,
    description: str = "",
    active: bool = True,
) -> WebhookSubscription:
    types = _event_types(event_types)
    check_target(url, cfg)
    _forget_subscribers()
    return added(
        WebhookSubscription(
            id=uuid.uuid4(),
            url=url,
            description=description,
            event_types=types,
            active=active,
            secret=new_secret(),
            created_by_id=actor.id,
            consecutive_failures=0,
        )
    )


def update_subscription(
    sub: WebhookSubscription, changes: dict[str, Any], *, cfg: Config
) -> WebhookSubscription:
    """Change URL, event types, description or the active flag. Turning a subscription on
    starts its failure count afresh."""
    _forget_subscribers()
    if "event_types" in changes:
        sub.event_types = _event_types(changes["event_types"])
    if "url" in changes and changes["url"] != sub.url:
        check_target(changes["url"], cfg)
        sub.url = changes["url"]
    if "description" in changes:
        sub.description = changes["description"]
    if "active" in changes and changes["active"] != sub.active:
        sub.active = changes["active"]
        if sub.active:
            sub.consecutive_failures = 0
            sub.failing_since = None
            sub.disabled_at = None
            sub.disabled_reason = None
    db.session.flush()
    return sub


def delete_subscription(sub: WebhookSubscription) -> None:
    _forget_subscribers()
    db.session.delete(sub)
    db.session.flush()


def get_subscription(subscription_id: uuid.UUID) -> WebhookSubscription:
    return get_or_404(WebhookSubscription, subscription_id, label="webhook subscription")


def get_delivery(delivery_id: uuid.UUID) -> WebhookDelivery:
    return get_or_404(WebhookDelivery, delivery_id, label="webhook delivery")


def attempts_of(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(
        db.session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery.id)
            .order_by(WebhookAttempt.number, WebhookAttempt.at)
        )
    )


# -- events -> deliveries ---------------------------------------------------------------------

_SUBSCRIBERS = "fieldops_webhook_subscribers"


def _subscribers(event_type: str) -> list[uuid.UUID]:
    """Active subscriptions for ``event_type``; read once per transaction (a sync push of a
    thousand mutations must not query once per event), forgotten when it ends or a
    subscription changes."""
    session = db.session()
    cache: dict[str, list[uuid.UUID]] | None = session.info.get(_SUBSCRIBERS)
    if cache is None:
        cache = {}
        # No autoflush: the hook runs in the middle of an operation, which flushes when it
        # chooses (a flush here would move a version check, or a constraint, to this query).
        with db.session.no_autoflush:
            rows = db.session.execute(
                select(WebhookSubscription.id, WebhookSubscription.event_types).where(
                    WebhookSubscription.active.is_(True)
                )
            ).all()
        for sub_id, types in rows:
            for t in types:
                cache.setdefault(t, []).append(sub_id)
        session.info[_SUBSCRIBERS] = cache
    return list(cache.get(event_type, []))


def _forget_subscribers() -> None:
    db.session().info.pop(_SUBSCRIBERS, None)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_SUBSCRIBERS, None)


def _plain(value: Any) -> Any:
    """JSON values only (ids, times and decimals as text)."""
    return json.loads(json.dumps(value, default=str))


def emit(event_type: str, data: dict[str, Any], *, at: datetime | None = None) -> int:
    """Queue ``event_type`` for every active subscription that wants it; returns how many.
    Inside the caller's transaction (hooks call it): rows and job intents, no I/O."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    targets = _subscribers(event_type)
    if not targets:
        return 0
    now = at or utcnow()
    payload = {"type": event_type, "timestamp": now.isoformat(), "data": _plain(data)}
    from backend.webhooks.tasks import deliver

    for sub_id in targets:
        delivery = WebhookDelivery(
            id=uuid.uuid4(),
            subscription_id=sub_id,
            event_type=event_type,
            payload=payload,
            created_at=now,
            status="pending",
            attempts=0,
            job_seq=1,
            retry_from=now,
            next_attempt_at=now,
        )
        db.session.add(delivery)
        enqueue_after_commit(deliver, str(delivery.id), 1)
    return len(targets)


# -- redelivery -------------------------------------------------------------------------------


def _queue_again(delivery: WebhookDelivery, now: datetime) -> None:
    from backend.webhooks.tasks import deliver

    delivery.status = "pending"
    delivery.job_seq += 1
    delivery.retry_from = now
    delivery.next_attempt_at = now
    delivery.finished_at = None
    delivery.claimed_at = None
    enqueue_after_commit(deliver, str(delivery.id), delivery.job_seq)


def redeliver(delivery: WebhookDelivery, *, now: datetime | None = None) -> WebhookDelivery:
    """Send a finished delivery again now, with a fresh retry window (same ``webhook-id``)."""
    sub = db.session.get(WebhookSubscription, delivery.subscription_id)
    if sub is None or not sub.active:
        raise Conflict("the subscription is disabled; enable it before redelivering")
    if delivery.status in ("pending", "sending"):
        raise Conflict(f"delivery {delivery.id} is still {delivery.status}")
    _queue_again(delivery, now or utcnow())
    db.session.flush()
    return delivery


def redeliver_failed(sub: WebhookSubscription, *, now: datetime | None = None) -> int:
    """Queue every failed delivery of ``sub`` again (at most ``REDELIVER_ALL_MAX`` a call,
    oldest first); returns how many."""
    if not sub.active:
        raise Conflict("the subscription is disabled; enable it before redelivering")
    now = now or utcnow()
    rows = list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == sub.id, WebhookDelivery.status == "failed")
            .order_by(WebhookDelivery.created_at)
            .limit(REDELIVER_ALL_MAX)
            .with_for_update(skip_locked=True)
        )
    )
    for delivery in rows:
        _queue_again(delivery, now)
    db.session.flush()
    return len(rows)


# -- attempts ---------------------------------------------------------------------------------


def backoff(attempt: int, cfg: Config, *, rand: random.Random | None = None) -> timedelta:
    """Wait after failed attempt number ``attempt`` (1-based): BASE x 2^(attempt-1), at most
    MAX_INTERVAL, then "equal jitter" (a random point in its upper half), so many targets
    that failed together do not all come back in the same second."""
    r = rand or random
    full = min(
        cfg.WEBHOOK_RETRY_MAX_INTERVAL_S, cfg.WEBHOOK_RETRY_BASE_S * 2 ** min(attempt - 1, 40)
    )
    return timedelta(seconds=full / 2 + r.uniform(0, full / 2))


@dataclass(frozen=True)
class Claimed:
    delivery_id: uuid.UUID
    attempt: int
    url: str
    secret: str
    body: dict[str, Any]


def record_attempt(
    claimed: Claimed, outcome: Outcome, *, cfg: Config, at: datetime, now: datetime
) -> str:
    """Log the attempt, settle the delivery (succeeded, retry later, or failed once the retry
    window is spent), keep the subscription's failure run and disable it when that run is
    sustained. Flush only; returns the delivery's new status."""
    delivery = db.session.get(WebhookDelivery, claimed.delivery_id, with_for_update=True)
    if delivery is None:  # its subscription was deleted meanwhile
        return "gone"
    db.session.add(
        WebhookAttempt(
            id=uuid.uuid4(),
            delivery_id=delivery.id,
            number=claimed.attempt,
            at=at,
            ok=outcome.ok,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
        )
    )
    delivery.attempts = claimed.attempt
    delivery.claimed_at = None
    delivery.last_status_code = outcome.status_code
    delivery.last_latency_ms = outcome.latency_ms
    delivery.last_response = outcome.excerpt
    delivery.last_error = outcome.error
    if outcome.ok:
        delivery.status = "succeeded"
        delivery.finished_at = now
        delivery.next_attempt_at = None
        db.session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == delivery.subscription_id)
            .values(consecutive_failures=0, failing_since=None, last_success_at=now)
        )
        db.session.flush()
        return delivery.status
    wait = backoff(claimed.attempt, cfg)
    window_end = delivery.retry_from + timedelta(seconds=cfg.WEBHOOK_RETRY_WINDOW_S)
    # Without Redis, jobs run inline at once and cannot wait: no retries then.
    if redis_holder.url is not None and now + wait <= window_end:
        from backend.webhooks.tasks import deliver

        delivery.status = "pending"
        delivery.job_seq += 1
        delivery.next_attempt_at = now + wait
        enqueue_after_commit(deliver, str(delivery.id), delivery.job_seq, delay=wait)
    else:
        delivery.status = "failed"
        delivery.finished_at = now
        delivery.next_attempt_at = None
    _count_failure(delivery.subscription_id, at=at, now=now, cfg=cfg)
    db.session.flush()
    return delivery.status


def _count_failure(sub_id: uuid.UUID, *, at: datetime, now: datetime, cfg: Config) -> None:
    """One more failure in the subscription's run (one atomic UPDATE: parallel attempts of
    the same target count each); disable it, once, when the run is sustained."""
    row = db.session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == sub_id)
        .values(
            consecutive_failures=WebhookSubscription.consecutive_failures + 1,
            failing_since=func.coalesce(WebhookSubscription.failing_since, at),
        )
        .returning(WebhookSubscription.consecutive_failures, WebhookSubscription.failing_since)
    ).first()
    if row is None:
        return
    failures, since = row[0], row[1] or at
    sustained = now - since >= timedelta(seconds=cfg.WEBHOOK_DISABLE_AFTER_S)
    if failures < cfg.WEBHOOK_DISABLE_MIN_FAILURES or not sustained:
        return
    reason = (
        f"{failures} attempts in a row failed since {since:%Y-%m-%d %H:%M} UTC"
        f" (disabled after {cfg.WEBHOOK_DISABLE_AFTER_S / 3600:g} h of failures)"
    )
    disabled = db.session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == sub_id, WebhookSubscription.active.is_(True))
        .values(active=False, disabled_at=now, disabled_reason=reason)
        .returning(WebhookSubscription.url)
    ).first()
    _forget_subscribers()
    if disabled is None:  # already off (another attempt disabled it first, or an admin did)
        return
    notify(
        kind="webhook_disabled",
        role="admin",
        title="Webhook disabled after sustained failure",
        body=f"{disabled[0]}: {reason}",
        data={"subscription_id": str(sub_id), "failures": failures},
    )


def give_up_disabled(delivery_id: uuid.UUID, *, now: datetime) -> None:
    """An attempt whose subscription was turned off is not sent: the delivery fails and waits
    for a redelivery once the subscription is on again."""
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(
            status="failed",
            finished_at=now,
            next_attempt_at=None,
            claimed_at=None,
            last_error="subscription disabled: not sent",
        )
    )
    db.session.flush()
