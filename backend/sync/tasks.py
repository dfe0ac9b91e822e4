"""Change-log retention: a daily job deletes log rows (tombstones included) older than
``SYNC_RETENTION_DAYS`` (env ``FIELDOPS_SYNC_RETENTION_DAYS``, default 30). A phone whose
cursor falls into the purged part gets ``reset: true`` and a fresh snapshot, so retention only
bounds the table; it never loses data.

Scheduling: enqueue ``purge_change_log(reschedule=True)`` once (e.g. when a worker starts);
each run re-enqueues itself a day later on the low queue.
"""

from __future__ import annotations

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
    deleted = changelog.purge(db.session, retention())
    if reschedule:
        enqueue_after_commit(
            purge_change_log, reschedule=True, queue="low", delay=timedelta(days=1)
        )
    return deleted
