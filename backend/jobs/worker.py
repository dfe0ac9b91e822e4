"""The rq worker fieldops runs: an abandoned job (its worker killed) runs again in seconds.

rq notices an abandoned job when its heartbeat entry in the started registry expires and the
next registry maintenance runs. By default that is a 30 s heartbeat plus 60 s of slack, checked
every 10 minutes: a killed worker's job waited about 11 minutes. Here the heartbeat is every
5 s with 10 s of slack, and maintenance runs every 10 s, so a job whose worker died is retried
(from its declared retry budget) within about 25 s, by any live worker.
"""

from __future__ import annotations

from typing import Any

from rq import Worker
from rq.job import Job

HEARTBEAT_S = 5
SLACK_S = 10
MAINTENANCE_S = 10


class FieldopsWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("job_monitoring_interval", HEARTBEAT_S)
        kwargs.setdefault("maintenance_interval", MAINTENANCE_S)
        super().__init__(*args, **kwargs)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        interval = float(self.job_monitoring_interval)
        if job.timeout and job.timeout > 0:
            interval = min(job.timeout - working_time, interval)
        return int(max(interval, 1)) + SLACK_S
