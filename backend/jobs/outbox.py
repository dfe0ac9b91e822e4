"""The outbox's life cycle: record with the write, relay after commit, sweep what was missed,
and let a job claim its row in the transaction of its result.

Delivery to rq is at least once (the sweep relays again what rq lost, rq requeues an abandoned
job); effects are exactly once, because a job deletes its row in the same transaction as its
result and a run that finds the row gone does nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from backend.db import db, utcnow
from backend.extensions import redis_holder
from backend.jobs.core import rq_retry
from backend.jobs.models import JobOutbox
from backend.logs import get_request_id, reset_request_id, set_request_id

if TYPE_CHECKING:
    from backend.jobs.core import PendingJob

log = logging.getLogger(__name__)

OUTBOX_META = "fieldops_outbox"
REQUEST_ID_META = "request_id"
# A row younger than this may still be on its way from the commit to rq.
SWEEP_GRACE = timedelta(seconds=10)
SWEEP_BATCH = 500
# A job relayed this often that still never ran to an end is given up (kept, marked dead):
# e.g. it kills its work-horse every time.
MAX_RELAYS = 5


def record(session: Session, item: PendingJob) -> None:
    """Write the durable intent in the caller's transaction (a savepoint that rolls back
    takes the row with it)."""
    session.add(
        JobOutbox(
            id=item.job_id,
            func=f"{item.func.__module__}.{item.func.__qualname__}",
            args=list(item.args),
            kwargs=dict(item.kwargs),
            queue=item.queue,
            timeout_s=item.timeout,
            retry_intervals=list(item.retry),
            run_at=utcnow() + item.delay if item.delay is not None else None,
            request_id=get_request_id(),
        )
    )


def relay(items: list[PendingJob]) -> int:
    """Hand committed jobs to rq; returns how many went. Never raises: what Redis refused
    stays in the outbox for the sweep."""
    client = redis_holder.client
    if client is None:
        return 0
    sent = 0
    request_id = get_request_id()
    for item in items:
        try:
            _enqueue(
                client,
                item.queue,
                item.func,
                item.args,
                item.kwargs,
                job_id=item.job_id,
                timeout=item.timeout,
                retry=item.rq_retry(),
                run_at=utcnow() + item.delay if item.delay is not None else None,
                request_id=request_id,
            )
            sent += 1
        except (RedisError, OSError) as exc:
            log.warning(
                "Redis refused job %s (%s); the outbox keeps it for the relay sweep",
                item.job_id,
                exc.__class__.__name__,
            )
            break  # Redis is down: the rest would fail the same way, slowly
    return sent


def _enqueue(
    client: Any,
    queue: str,
    func: Any,
    args: Any,
    kwargs: Any,
    *,
    job_id: str,
    timeout: int,
    retry: Retry | None,
    run_at: Any,
    request_id: str | None,
) -> None:
    q = Queue(queue, connection=client)
    meta = {OUTBOX_META: True, REQUEST_ID_META: request_id}
    opts: dict[str, Any] = {"job_id": job_id, "job_timeout": timeout, "retry": retry, "meta": meta}
    if run_at is not None and run_at > utcnow():
        q.enqueue_at(run_at, func, args=tuple(args), kwargs=dict(kwargs), **opts)
    else:
        q.enqueue(func, args=tuple(args), kwargs=dict(kwargs), **opts)


def current_outbox_id() -> str | None:
    """The outbox row of the rq job running now, if it came from the outbox."""
    current = get_current_job()
    if current is None or not (current.meta or {}).get(OUTBOX_META):
        return None
    return str(current.id)


@contextlib.contextmanager
def job_log_context() -> Iterator[None]:
    """Carry the id of the request that caused the job into the job's log lines."""
    current = get_current_job()
    if current is None:  # inline or a test: the caller's context already says who asked
        yield
        return
    request_id = (current.meta or {}).get(REQUEST_ID_META)
    token = set_request_id(request_id or f"job-{current.id}")
    try:
        yield
    finally:
        reset_request_id(token)


def is_pending(job_id: str) -> bool:
    return bool(db.session.scalar(select(exists().where(JobOutbox.id == job_id))))


def finish(job_id: str) -> bool:
    """Delete the row in the job's own transaction; False when a concurrent run of the same
    job committed first (the DELETE waits for it, then finds nothing)."""
    result = db.session.execute(delete(JobOutbox).where(JobOutbox.id == job_id))
    return bool(getattr(result, "rowcount", 0))


def _resolve(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def sweep(now: Any = None) -> dict[str, int]:
    """Relay every committed row that rq does not know (the relay after its commit failed, or
    Redis lost it in a restart); mark dead the rows whose job rq gave up on. Flush only."""
    client = redis_holder.client
    if client is None:
        return {"relayed": 0, "dead": 0, "waiting": 0}
    now = now or utcnow()
    rows = list(
        db.session.scalars(
            select(JobOutbox)
            .where(JobOutbox.dead_at.is_(None), JobOutbox.created_at < now - SWEEP_GRACE)
            .order_by(JobOutbox.created_at)
            .limit(SWEEP_BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    counts = {"relayed": 0, "dead": 0, "waiting": 0}
    for row in rows:
        try:
            job = Job.fetch(row.id, connection=client)
        except NoSuchJobError:
            job = None
        if job is not None:
            status = job.get_status(refresh=False)
            if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                row.dead_at = now
                row.last_error = _failure(job) or f"rq status {status}"
                counts["dead"] += 1
            else:
                counts["waiting"] += 1
            continue
        if row.relay_count >= MAX_RELAYS:
            row.dead_at = now
            row.last_error = f"relayed {row.relay_count} times without finishing"
            counts["dead"] += 1
            continue
        _enqueue(
            client,
            row.queue,
            _resolve(row.func),
            row.args,
            row.kwargs,
            job_id=row.id,
            timeout=row.timeout_s,
            retry=rq_retry(row.retry_intervals),
            run_at=row.run_at,
            request_id=row.request_id,
        )
        row.relay_count += 1
        row.relayed_at = now
        counts["relayed"] += 1
    db.session.flush()
    if counts["relayed"] or counts["dead"]:
        log.info("relay sweep: %s", counts)
    return counts


def _failure(job: Job) -> str | None:
    result = job.latest_result()
    lines = ((result.exc_string if result is not None else None) or "").strip().splitlines()
    return lines[-1][:500] if lines else None


def backlog() -> dict[str, float]:
    """Rows waiting for rq (live), their oldest age in seconds, and dead rows: for /metrics."""
    from sqlalchemy import func

    live, oldest = db.session.execute(
        select(func.count(), func.min(JobOutbox.created_at)).where(JobOutbox.dead_at.is_(None))
    ).one()
    dead = db.session.scalar(select(func.count()).where(JobOutbox.dead_at.is_not(None))) or 0
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return {"live": float(live or 0), "oldest_age_s": max(age, 0.0), "dead": float(dead)}
