"""Background jobs of the work-order core: the periodic SLA scan.

Scheduling: ``fieldops worker`` enqueues ``sla_scan(reschedule=True)`` at start; each run
re-enqueues itself with ``enqueue_in`` after ``SLA_SCAN_INTERVAL_S``. The next run's job id is
derived from its time slot, so several workers (each starting a chain) collapse onto one
scheduled job per slot instead of multiplying scans. Without Redis there is no scheduler;
``fieldops sla-scan`` (cron) runs one scan.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app

from backend.extensions import redis_holder
from backend.jobs import enqueue_after_commit, job
from backend.workorders.sla_scan import scan

log = logging.getLogger(__name__)
SLA_SCAN_QUEUE = "low"


def slot_job_id(interval_s: int, at: float | None = None) -> str:
    """The id of the scan scheduled for the slot after ``at``: equal for every worker."""
    at = time.time() if at is None else at
    return f"fieldops-sla-scan-{int((at + interval_s) // max(interval_s, 1))}"


@job
def sla_scan(reschedule: bool = False) -> dict[str, object]:
    cfg = current_app.config
    result = scan(at_risk_fraction=float(cfg.get("SLA_AT_RISK_FRACTION", 0.75)))
    if result.at_risk or result.breached or result.recovered:
        log.info("SLA scan: %s", result.as_dict())
    if reschedule and redis_holder.client is not None:
        interval = int(cfg.get("SLA_SCAN_INTERVAL_S", 60))
        enqueue_after_commit(
            sla_scan,
            reschedule=True,
            queue=SLA_SCAN_QUEUE,
            delay=timedelta(seconds=interval),
            job_id=slot_job_id(interval),
        )
    return result.as_dict()


def start_periodic_scan() -> str | None:
    """Queue the first scan of a chain now (called by ``fieldops worker``); returns its id."""
    from rq import Queue
    from rq.job import Job

    client = redis_holder.client
    if client is None:
        return None
    interval = int(current_app.config.get("SLA_SCAN_INTERVAL_S", 60))
    job_id = f"fieldops-sla-scan-start-{int(time.time() // max(interval, 1))}"
    if Job.exists(job_id, connection=client):  # another worker started this slot's chain
        return job_id
    Queue(SLA_SCAN_QUEUE, connection=client).enqueue(sla_scan, reschedule=True, job_id=job_id)
    return job_id
