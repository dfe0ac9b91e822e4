"""Gauges read from PostgreSQL and Redis when Prometheus scrapes (a custom collector).

Why at scrape time: a queue's depth or the number of breached tickets is state, not an event;
reading it when asked is exact, costs nothing between scrapes, and cannot drift between
gunicorn workers. Each source is read with short timeouts and reported on its own
(``fieldops_scrape_source_up{source=...}``): with Redis down the scrape still answers, with the
database figures, and says Redis is down.

Cost per scrape: one connection, four small queries (the SLA count uses the status index; the
horizon reads two system views), and two Redis round trips for all queues together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis import Redis
from sqlalchemy import text
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

STATEMENT_TIMEOUT_MS = 2000
REDIS_TIMEOUT_S = 1.0

# Open tickets flagged by the SLA scan (``backend.workorders.sla_scan``), by state.
SLA_SQL = text(
    "SELECT sla_state, count(*) FROM tickets"
    " WHERE status = ANY(:open) AND sla_state IN ('at_risk', 'breached') GROUP BY sla_state"
)
# How far the sync pull horizon (``pg_snapshot_xmin``, backend/sync/changelog.py) trails the
# newest transaction id: in xids, and in seconds as the age of the oldest transaction that
# holds an xid (the one pinning the horizon; pulls see nothing committed after it started).
HORIZON_SQL = text(
    "SELECT (pg_snapshot_xmax(s)::text::numeric - pg_snapshot_xmin(s)::text::numeric),"
    " (SELECT coalesce(extract(epoch FROM clock_timestamp() - min(xact_start)), 0)"
    "  FROM pg_stat_activity WHERE backend_xid IS NOT NULL)"
    " FROM pg_current_snapshot() AS s"
)


@dataclass(frozen=True)
class RelayBacklog:
    pending: int
    oldest_age_s: float
    dead: int


def relay_backlog(conn: Connection) -> RelayBacklog | None:
    """The job outbox (``backend/jobs``): intents whose job has not committed its result yet
    (queued, running, or waiting for the relay sweep because Redis was away), the age of the
    oldest, and the intents rq gave up on (``dead_at``). A growing oldest age means jobs are
    not getting through; dead ones need an operator."""
    row = conn.execute(
        text(
            "SELECT count(*) FILTER (WHERE dead_at IS NULL),"
            " coalesce(extract(epoch FROM clock_timestamp()"
            " - min(created_at) FILTER (WHERE dead_at IS NULL)), 0),"
            " count(*) FILTER (WHERE dead_at IS NOT NULL)"
            " FROM job_outbox"
        )
    ).one()
    return RelayBacklog(int(row[0]), float(row[1]), int(row[2]))


class StateCollector(Collector):
    """Database and Redis gauges, computed on each ``collect()``. ``connect`` gives a
    connection (the engine's ``connect``; a test passes its own transaction's connection)."""

    def __init__(
        self,
        connect: Callable[[], AbstractContextManager[Connection]] | None,
        redis: Redis | None,
        queues: Sequence[str],
        open_statuses: Sequence[str],
    ) -> None:
        self.connect = connect
        self.redis = redis
        self.queues = tuple(queues)
        self.open_statuses = list(open_statuses)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        start = perf_counter()
        up = GaugeMetricFamily(
            "fieldops_scrape_source_up",
            "1 if the source answered this scrape, 0 if not (its gauges are then missing).",
            labels=("source",),
        )
        db_ok = yield from self._database()
        up.add_metric(("database",), 1.0 if db_ok else 0.0)
        if self.redis is not None:
            redis_ok = yield from self._redis()
            up.add_metric(("redis",), 1.0 if redis_ok else 0.0)
        yield up
        yield GaugeMetricFamily(
            "fieldops_scrape_collect_seconds",
            "Time this scrape spent reading PostgreSQL and Redis.",
            value=perf_counter() - start,
        )

    # --- PostgreSQL ---------------------------------------------------------------------------

    def _database(self) -> Generator[GaugeMetricFamily, None, bool]:
        if self.connect is None:
            return False
        try:
            with (
                self.connect() as conn,
                conn.begin_nested() if conn.in_transaction() else conn.begin(),
            ):
                conn.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
                sla: dict[str, int] = dict(
                    conn.execute(SLA_SQL, {"open": self.open_statuses}).all()
                )
                lag_xids, lag_s = conn.execute(HORIZON_SQL).one()
                relay = relay_backlog(conn)
        except Exception as exc:  # the scrape reports what it can; the log says why
            log.warning("metrics: database unavailable: %s", exc.__class__.__name__)
            return False
        g = GaugeMetricFamily(
            "fieldops_sla_tickets",
            "Open tickets whose SLA is at risk or breached (as last marked by the SLA scan).",
            labels=("state",),
        )
        for state in ("at_risk", "breached"):
            g.add_metric((state,), float(sla.get(state, 0)))
        yield g
        yield GaugeMetricFamily(
            "fieldops_sync_horizon_lag_xids",
            "Transaction ids between the sync pull horizon (pg_snapshot_xmin) and the newest.",
            value=float(lag_xids),
        )
        yield GaugeMetricFamily(
            "fieldops_sync_horizon_lag_seconds",
            "Age of the oldest transaction holding an xid: pulls cannot see changes newer "
            "than its start until it ends.",
            value=float(lag_s),
        )
        if relay is not None:
            yield GaugeMetricFamily(
                "fieldops_relay_backlog_jobs",
                "Job intents in the outbox whose job has not committed yet.",
                value=float(relay.pending),
            )
            yield GaugeMetricFamily(
                "fieldops_relay_backlog_oldest_seconds",
                "Age of the oldest job intent in the outbox whose job has not committed yet.",
                value=relay.oldest_age_s,
            )
            yield GaugeMetricFamily(
                "fieldops_relay_dead_jobs",
                "Job intents rq gave up on (retries spent), kept in the outbox for operators.",
                value=float(relay.dead),
            )
        return True

    # --- Redis --------------------------------------------------------------------------------

    def _redis(self) -> Generator[GaugeMetricFamily, None, bool]:
        from rq import Queue
        from rq.job import Job
        from rq.utils import str_to_date

        assert self.redis is not None
        try:
            keys = [Queue(name, connection=self.redis) for name in self.queues]
            pipe = self.redis.pipeline(transaction=False)
            for q in keys:
                pipe.llen(q.key)
                pipe.lindex(q.key, 0)
                pipe.zcard(q.failed_job_registry.key)
            raw: list[Any] = pipe.execute()
            heads = [raw[i * 3 + 1] for i in range(len(keys))]
            pipe = self.redis.pipeline(transaction=False)
            for head in heads:
                pipe.hget(Job.key_for(head.decode()), "enqueued_at") if head else pipe.echo("")
            stamps: list[Any] = pipe.execute()
        except Exception as exc:
            log.warning("metrics: redis unavailable: %s", exc.__class__.__name__)
            return False
        now = datetime.now(UTC)
        depth = GaugeMetricFamily(
            "fieldops_queue_jobs", "Jobs waiting in an rq queue.", labels=("queue",)
        )
        age = GaugeMetricFamily(
            "fieldops_queue_oldest_job_age_seconds",
            "How long the job at the head of an rq queue has waited (0 when empty).",
            labels=("queue",),
        )
        failed = GaugeMetricFamily(
            "fieldops_queue_failed_jobs",
            "Jobs in an rq queue's failed registry.",
            labels=("queue",),
        )
        for i, name in enumerate(self.queues):
            depth.add_metric((name,), float(raw[i * 3]))
            failed.add_metric((name,), float(raw[i * 3 + 2]))
            waited = 0.0
            if stamps[i]:
                enqueued = str_to_date(stamps[i])
                if enqueued.tzinfo is None:
                    enqueued = enqueued.replace(tzinfo=UTC)
                waited = max(0.0, (now - enqueued).total_seconds())
            age.add_metric((name,), waited)
        yield depth
        yield age
        yield failed
        return True
