"""Background jobs: declared policies, ``enqueue_after_commit`` and the job boundary.

Side effects (push, thumbnails, auto-dispatch) must never run before the transaction that
caused them has committed: a worker would otherwise read rows that do not exist yet, or act on
a write that is later rolled back. Operations call ``enqueue_after_commit``.

With Redis configured the intent is durable: a ``job_outbox`` row is written in the caller's
transaction (so it commits, or rolls back, with its cause) and relayed to rq after the commit.
A relay that fails (Redis down) never fails the request: the row waits for the relay sweep.
Without ``REDIS_URL`` the same jobs run inline, in order, right after the boundary commits.

Job functions are decorated with ``@job(queue=..., timeout=..., retry=...)``: every job states
where it runs, how long it may take and how often rq retries it (an abandoned job, whose worker
died, is retried from the same budget). The wrapper provides an app context (the current one in
tests and inline mode, a process-wide app in a worker), commits once at the end, and rolls back
on error.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar, overload

from flask import Flask, has_app_context
from rq import Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.config import settings
from backend.db import db, within_transaction
from backend.extensions import redis_holder

log = logging.getLogger(__name__)

QUEUES = ("high", "default", "low")
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class JobPolicy:
    """Where a job runs, how long it may take, and rq's retry intervals (seconds); an empty
    ``retry`` means a failure is final (periodic jobs: the next run is the retry)."""

    queue: str = "default"
    timeout: int | None = None  # None: the app's JOB_TIMEOUT_S
    retry: tuple[int, ...] = (10, 60, 300)

    def __post_init__(self) -> None:
        if self.queue not in QUEUES:
            raise ValueError(f"unknown queue {self.queue!r}")


DEFAULT_POLICY = JobPolicy()


@dataclass
class PendingJob:
    func: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    queue: str
    job_id: str
    timeout: int
    retry: tuple[int, ...]
    delay: timedelta | None = None
    # The (sub)transaction that queued it: a rolled-back savepoint takes its jobs along.
    tx: Any = field(default=None, repr=False, compare=False)

    def rq_retry(self) -> Retry | None:
        return rq_retry(self.retry)


def rq_retry(intervals: Sequence[int]) -> Retry | None:
    """rq's retry for a policy's intervals (one retry per interval); None: no retry."""
    return Retry(max=len(intervals), interval=list(intervals)) if intervals else None


def policy_of(func: Callable[..., Any]) -> JobPolicy:
    return getattr(func, "job_policy", DEFAULT_POLICY)


def _pending(session: Session) -> list[PendingJob]:
    pending: list[PendingJob] = session.info.setdefault("fieldops_pending_jobs", [])
    return pending


def _ready(session: Session) -> list[PendingJob]:
    ready: list[PendingJob] = session.info.setdefault("fieldops_ready_jobs", [])
    return ready


def enqueue_after_commit(
    func: Callable[..., Any],
    *args: Any,
    queue: str | None = None,
    delay: timedelta | None = None,
    job_id: str | None = None,
    timeout: int | None = None,
    retry: tuple[int, ...] | None = None,
    **kwargs: Any,
) -> str:
    """Run ``func(*args, **kwargs)`` once the current transaction commits; returns the job id.
    ``queue``, ``timeout`` and ``retry`` override the job's declared policy. Arguments must be
    plain JSON values: they are stored in the outbox until rq has the job."""
    policy = policy_of(func)
    item = PendingJob(
        func,
        args,
        kwargs,
        queue=queue or policy.queue,
        job_id=job_id or uuid.uuid4().hex,
        timeout=timeout or policy.timeout or _default_timeout(),
        retry=policy.retry if retry is None else tuple(retry),
        delay=delay,
    )
    if item.queue not in QUEUES:
        raise ValueError(f"unknown queue {item.queue!r}")
    session = db.session()
    item.tx = session.get_nested_transaction() or session.get_transaction()
    if redis_holder.url is not None:
        from backend.jobs import outbox

        outbox.record(session, item)
    _pending(session).append(item)
    return item.job_id


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop("fieldops_pending_jobs", [])
    if not pending:
        return
    if redis_holder.url is None:
        # Inline mode: run once the boundary has finished committing (run_ready_jobs).
        _ready(session).extend(pending)
        return
    from backend.jobs import outbox

    # Never raises: the rows are committed, a failed hand-over is the sweep's to finish.
    outbox.relay(pending)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop("fieldops_pending_jobs", None)


@event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    """A savepoint rolled back (a sync mutation that failed, or a batch of them replayed one
    by one): its effects are gone, so the jobs it queued must not run either."""
    pending = session.info.get("fieldops_pending_jobs")
    if pending:
        session.info["fieldops_pending_jobs"] = [
            job for job in pending if not within_transaction(job.tx, previous_transaction)
        ]


def _default_timeout() -> int:
    if has_app_context():
        return settings().JOB_TIMEOUT_S
    return 300


def run_ready_jobs() -> None:
    """Inline mode: run jobs whose transaction has committed. Called by the boundaries."""
    session = db.session()
    ready = session.info.pop("fieldops_ready_jobs", [])
    for item in ready:
        try:
            item.func(*item.args, **item.kwargs)
        except Exception:  # an inline side effect must not fail the request that caused it
            log.exception("inline job %s failed", getattr(item.func, "__name__", item.func))


_worker_app: Flask | None = None


def _app() -> Flask:
    global _worker_app
    if _worker_app is None:
        from backend import create_app

        _worker_app = create_app()
    return _worker_app


@overload
def job(fn: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def job(
    *, queue: str = "default", timeout: int | None = None, retry: tuple[int, ...] = ...
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def job(
    fn: Callable[P, R] | None = None,
    /,
    *,
    queue: str = "default",
    timeout: int | None = None,
    retry: tuple[int, ...] = DEFAULT_POLICY.retry,
) -> Any:
    """Make ``fn`` a job with its policy: app context, one commit at the end, rollback on
    failure. A run of an outbox job whose row is gone (it already committed once, or its cause
    never did) does nothing."""
    policy = JobPolicy(queue=queue, timeout=timeout, retry=tuple(retry))

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if has_app_context():
                return _run_in_context(fn, *args, **kwargs)
            with _app().app_context():
                try:
                    return _run_in_context(fn, *args, **kwargs)
                finally:
                    db.discard_session()

        wrapper.job_policy = policy  # type: ignore[attr-defined]
        return wrapper

    return decorate(fn) if fn is not None else decorate


def _run_in_context(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    from backend.jobs import outbox

    outbox_id = outbox.current_outbox_id()
    with outbox.job_log_context():
        if outbox_id is not None and not outbox.is_pending(outbox_id):
            log.info("job %s already ran (or its cause rolled back): skipped", outbox_id)
            db.session.rollback()
            return None  # type: ignore[return-value]
        try:
            result = fn(*args, **kwargs)
            if outbox_id is not None and not outbox.finish(outbox_id):
                # Another run of the same job committed first: this one's effects go.
                log.warning("job %s finished twice: the second run is rolled back", outbox_id)
                db.session.rollback()
                return None  # type: ignore[return-value]
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        run_ready_jobs()
        return result
