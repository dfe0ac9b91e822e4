"""Background jobs: rq queues, ``enqueue_after_commit`` and the job boundary.

Side effects (push, thumbnails, auto-dispatch) must never run before the transaction that
caused them has committed: a worker would otherwise read rows that do not exist yet, or act on
a write that is later rolled back. Operations call ``enqueue_after_commit``; the jobs are held
on the session and handed to rq when the session commits (and dropped on rollback).

Without ``REDIS_URL`` the same jobs run inline, in order, right after the boundary commits.

Job functions are decorated with ``@job``: the wrapper provides an app context (the current
one in tests and inline mode, a process-wide app in a worker), commits once at the end, and
rolls back on error.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from flask import Flask, current_app, has_app_context
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.db import db, within_transaction
from backend.extensions import redis_holder

log = logging.getLogger(__name__)

QUEUES = ("high", "default", "low")
P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class PendingJob:
    func: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    queue: str = "default"
    delay: timedelta | None = None
    job_id: str | None = None
    timeout: int | None = None
    retry: Retry | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The (sub)transaction that queued it: a rolled-back savepoint takes its jobs along.
    tx: Any = field(default=None, repr=False, compare=False)


def _pending(session: Session) -> list[PendingJob]:
    return session.info.setdefault("fieldops_pending_jobs", [])


def _ready(session: Session) -> list[PendingJob]:
    return session.info.setdefault("fieldops_ready_jobs", [])


def enqueue_after_commit(
    func: Callable[..., Any],
    *args: Any,
    queue: str = "default",
    delay: timedelta | None = None,
    job_id: str | None = None,
    timeout: int | None = None,
    retry: Retry | None = None,
    **kwargs: Any,
) -> None:
    """Queue ``func(*args, **kwargs)`` to run once the current transaction commits."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    session = db.session()
    tx = session.get_nested_transaction() or session.get_transaction()
    _pending(session).append(
        PendingJob(func, args, kwargs, queue, delay, job_id, timeout, retry, tx=tx)
    )


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop("fieldops_pending_jobs", [])
    if not pending:
        return
    client = redis_holder.client
    if client is None:
        # Inline mode: run once the boundary has finished committing (run_ready_jobs).
        _ready(session).extend(pending)
        return
    for item in pending:
        _to_rq(client, item)


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


def _to_rq(client: Any, item: PendingJob) -> None:
    q = Queue(item.queue, connection=client)
    opts: dict[str, Any] = {
        "job_id": item.job_id,
        "job_timeout": item.timeout or _default_timeout(),
        "retry": item.retry,
    }
    if item.delay is not None:
        q.enqueue_in(item.delay, item.func, *item.args, **item.kwargs, **opts)
    else:
        q.enqueue(item.func, *item.args, **item.kwargs, **opts)


def _default_timeout() -> int:
    if has_app_context():
        return int(current_app.config.get("JOB_TIMEOUT_S", 300))
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


def enqueue_now(func: Callable[..., Any], *args: Any, queue: str = "default", **kwargs: Any):
    """Enqueue outside any transaction (CLI, scheduler). Runs inline without Redis."""
    client = redis_holder.client
    if client is None:
        return func(*args, **kwargs)
    return Queue(queue, connection=client).enqueue(func, *args, **kwargs)


_worker_app: Flask | None = None


def _app() -> Flask:
    global _worker_app
    if _worker_app is None:
        from backend import create_app

        _worker_app = create_app()
    return _worker_app


def job(fn: Callable[P, R]) -> Callable[P, R]:
    """Make ``fn`` a job: app context, one commit at the end, rollback on failure."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if has_app_context():
            return _run_in_context(fn, *args, **kwargs)
        with _app().app_context():
            try:
                return _run_in_context(fn, *args, **kwargs)
            finally:
                db.session.remove()

    return wrapper


def _run_in_context(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    try:
        result = fn(*args, **kwargs)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    run_ready_jobs()
    return result


def queue(name: str = "default") -> Queue:
    client = redis_holder.client
    if client is None:
        raise RuntimeError("REDIS_URL is not configured")
    return Queue(name, connection=client)
