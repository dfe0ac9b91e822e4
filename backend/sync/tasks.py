"""Change-log retention: a daily job deletes log rows (tombstones included) older than
``SYNC_RETENTION_DAYS`` (env ``FIELDOPS_SYNC_RETENTION_DAYS``, default 30). A phone whose
cursor falls into the purged part gets ``reset: true`` and a fresh snapshot, so retention only
bounds the table; it never loses data.

Scheduling: ``fieldops worker`` calls ``start_purge_chain()``; each run re-enqueues itself a
day later on the low queue. Job ids are derived from the day, so the chains several workers
(or restarts) start collapse onto one scheduled purge per day.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app

from backend.db import db
from backend.jobs import enqueue_after_commit, job
from backend.sync import changelog

DEFAULT_RETENTION_DAYS = 30


def retention() -> timedelta:
    raw = current_app.config.get("SYNC_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    try:
        days = float(raw)
    except (TypeError, ValueError):
        days = DEFAULT_RETENTION_DAYS
    return timedelta(days=max(days, 0))


@job
def purge_change_log(reschedule: bool = False) -> int:
    deleted = changelog.purge(db.session(), retention())
    if reschedule:
        enqueue_after_commit(
            purge_change_log,
            reschedule=True,
            queue="low",
            delay=timedelta(days=1),
            job_id=_day_job_id(time.time() + _DAY_S),
        )
    return deleted


_DAY_S = 86_400


def _day_job_id(at: float) -> str:
    return f"fieldops-sync-purge-{int(at // _DAY_S)}"


def start_purge_chain() -> str | None:
    """Queue today's purge (and so the daily chain) unless a worker already did."""
    from rq import Queue
    from rq.job import Job

    from backend.extensions import redis_holder

    client = redis_holder.client
    if client is None:
        return None
    job_id = _day_job_id(time.time())
    if not Job.exists(job_id, connection=client):
        Queue("low", connection=client).enqueue(purge_change_log, reschedule=True, job_id=job_id)
    return job_id
