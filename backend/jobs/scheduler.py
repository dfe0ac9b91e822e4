"""The scheduler process: rq's cron scheduler, made to survive a Redis outage and to share
the schedule with other schedulers.

rq's ``CronScheduler.start`` dies on the first Redis error and each instance enqueues on its
own clock. Here each interval is a slot of wall-clock time (``now // interval``) that one
scheduler claims in Redis (``SET NX``) before it enqueues, so several workers (each starting a
scheduler) run a periodic job once per slot; and a Redis error is logged and retried, so the
schedule resumes by itself when Redis is back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.cron import CronJob, CronScheduler
from rq.utils import now

from backend.config import settings
from backend.jobs.periodic import all_periodic

log = logging.getLogger(__name__)
SLOT_KEY = "fieldops:periodic:{name}:{slot}"
MAX_SLEEP_S = 5.0


class Scheduler:
    def __init__(self, connection: Redis, config: Mapping[str, Any]) -> None:
        self.connection = connection
        self.cron = CronScheduler(connection=connection, name=f"fieldops:{os.getpid()}")
        self.intervals: dict[str, int] = {}
        for entry in all_periodic():
            interval = entry.interval(config)
            policy = getattr(entry.func, "job_policy", None)
            cron_job = self.cron.register(
                entry.func,
                queue_name=policy.queue if policy else "low",
                interval=interval,
                job_timeout=(policy.timeout if policy else None) or settings(config).JOB_TIMEOUT_S,
                name=entry.name,
            )
            self.intervals[cron_job.name] = interval
        self._born = False

    @property
    def jobs(self) -> list[CronJob]:
        return self.cron.get_jobs()

    def _claim(self, cron_job: CronJob) -> bool:
        interval = self.intervals[cron_job.name]
        slot = int(time.time() // interval)
        key = SLOT_KEY.format(name=cron_job.name, slot=slot)
        return bool(self.connection.set(key, os.getpid(), nx=True, ex=interval))

    def tick(self) -> list[str]:
        """Enqueue what is due and not yet claimed by another scheduler; returns the names
        enqueued. Raises RedisError when Redis is down (nothing is marked as run then)."""
        if not self._born:
            self.cron.register_birth()
            self._born = True
        enqueued = []
        for cron_job in self.jobs:
            if not cron_job.should_run():
                continue
            if self._claim(cron_job):
                cron_job.enqueue(self.connection)
                enqueued.append(cron_job.name)
            cron_job.set_enqueue_time(now())
        self.cron.heartbeat()
        return enqueued

    def run(self, stop: threading.Event, parent_pid: int | None = None) -> None:
        """Tick until ``stop`` is set (or the parent process is gone)."""
        log.info("scheduler: %s", {name: f"every {s}s" for name, s in self.intervals.items()})
        while not stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                log.info("scheduler: the worker that started it is gone; stopping")
                break
            try:
                self.tick()
                pause = min(self.cron.calculate_sleep_interval(), MAX_SLEEP_S)
            except RedisError as exc:
                log.warning("scheduler: Redis unavailable (%s); retrying", exc.__class__.__name__)
                self._born = False
                pause = 1.0
            stop.wait(max(pause, 0.05))
        with contextlib.suppress(RedisError):
            self.cron.register_death()
