"""Periodic jobs come from rq's cron scheduler, declared by their features, once per interval
however many workers run a scheduler, and a Redis outage never ends the schedule."""

from __future__ import annotations

import threading
import time

from redis import Redis
from rq import Queue

from backend.jobs.scheduler import Scheduler

EXPECTED = {
    "backend.jobs.tasks.relay_sweep": 15,
    "backend.maintenance.tasks.generate_tickets": 600,
    "backend.reports.tasks.catch_up_rollups": 30,
    "backend.sync.tasks.purge_change_log": 86_400,
    "backend.webhooks.tasks.recover_stale_claims": 300,
    "backend.workorders.tasks.sla_scan": 7,
}


def _queued(redis_client: Redis) -> list[str]:
    return sorted(
        job.func_name
        for name in ("high", "default", "low")
        for job in Queue(name, connection=redis_client).jobs
    )


def test_features_declare_their_periodic_jobs(app, redis_client):
    config = {**app.config, "SLA_SCAN_INTERVAL_S": 7}
    scheduler = Scheduler(redis_client, config)
    assert scheduler.intervals == EXPECTED


def test_one_run_per_interval_across_schedulers(app, session, redis_client):
    first = Scheduler(redis_client, app.config)
    second = Scheduler(redis_client, app.config)  # another worker's
    assert sorted(first.tick()) == sorted(EXPECTED)
    assert second.tick() == []  # the same slots are taken
    assert first.tick() == []  # not due again yet
    assert _queued(redis_client) == sorted(EXPECTED)
    sweep = Queue("high", connection=redis_client).jobs[0]
    assert sweep.timeout == 60  # the job's declared policy


def test_scheduler_outlives_redis_being_away(app):
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    scheduler = Scheduler(dead, app.config)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
    thread.start()
    time.sleep(1.5)
    assert thread.is_alive()  # rq's own CronScheduler.start() would have died here
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
