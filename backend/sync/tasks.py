"""Change-log retention: a daily job deletes log rows (tombstones included) older than
``SYNC_RETENTION_DAYS`` (env ``FIELDOPS_SYNC_RETENTION_DAYS``, default 30). A phone whose
cursor falls into the purged part gets ``reset: true`` and a fresh snapshot, so retention only
bounds the table; it never loses data.

Scheduling: declared ``@periodic`` (every ``SYNC_PURGE_INTERVAL_S``, a day by default); the
scheduler enqueues it once per interval for all workers.
"""

from __future__ import annotations

from datetime import timedelta

from backend.config import settings
from backend.db import db
from backend.jobs import job, periodic
from backend.sync import changelog


def retention() -> timedelta:
    return timedelta(days=max(settings().SYNC_RETENTION_DAYS, 0))


@periodic(every="SYNC_PURGE_INTERVAL_S", default=86_400)
@job(queue="low", timeout=1800, retry=())
def purge_change_log() -> int:
    return changelog.purge(db.session(), retention())
