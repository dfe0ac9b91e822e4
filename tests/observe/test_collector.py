"""Scrape-time gauges against the real database and Redis: SLA counts, queue depth and age of
the oldest job, the sync horizon; a dead Redis leaves the database figures in the answer."""

from __future__ import annotations

import socket
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rq import Queue

from backend.db import db
from backend.jobs import QUEUES
from backend.observe.collector import RelayBacklog, StateCollector, relay_backlog
from backend.workorders.models import Ticket
from backend.workorders.states import OPEN_STATUSES

OPEN = [s.value for s in OPEN_STATUSES]


def _scrape(collector: StateCollector) -> dict[tuple[str, tuple], float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _in_test_transaction(session):
    return lambda: nullcontext(session.connection())


def test_sla_counts_only_open_flagged_tickets(session, make_ticket):
    tickets = [make_ticket() for _ in range(5)]
    states = ["at_risk", "at_risk", "breached", "ok", "breached"]
    for t, state in zip(tickets, states, strict=True):
        db.session.get(Ticket, t.id).sla_state = state
    db.session.get(Ticket, tickets[4].id).status = "closed"  # closed: not an operator's worry
    db.session.flush()
    got = _scrape(StateCollector(_in_test_transaction(session), None, QUEUES, OPEN))
    assert got[("fieldops_sla_tickets", (("state", "at_risk"),))] == 2
    assert got[("fieldops_sla_tickets", (("state", "breached"),))] == 1
    assert got[("fieldops_scrape_source_up", (("source", "database"),))] == 1
    assert got[("fieldops_sync_horizon_lag_xids", ())] >= 0
    assert got[("fieldops_sync_horizon_lag_seconds", ())] >= 0


def test_queue_depth_and_oldest_job_age(session, redis_client: Redis):
    q = Queue("low", connection=redis_client)
    first = q.enqueue("builtins.print", "one")
    q.enqueue("builtins.print", "two")
    # Backdate the head job: it has waited ten minutes.
    first.enqueued_at = datetime.now(UTC) - timedelta(minutes=10)
    first.save()
    got = _scrape(StateCollector(_in_test_transaction(session), redis_client, QUEUES, OPEN))
    assert got[("fieldops_queue_jobs", (("queue", "low"),))] == 2
    assert got[("fieldops_queue_jobs", (("queue", "high"),))] == 0
    assert 600 <= got[("fieldops_queue_oldest_job_age_seconds", (("queue", "low"),))] < 660
    assert got[("fieldops_queue_oldest_job_age_seconds", (("queue", "default"),))] == 0
    assert got[("fieldops_scrape_source_up", (("source", "redis"),))] == 1


def test_redis_down_still_reports_the_database(session):
    with socket.socket() as s:  # a port nobody listens on: Redis is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
    got = _scrape(StateCollector(_in_test_transaction(session), dead, QUEUES, OPEN))
    assert got[("fieldops_scrape_source_up", (("source", "redis"),))] == 0
    assert got[("fieldops_scrape_source_up", (("source", "database"),))] == 1
    assert ("fieldops_sla_tickets", (("state", "breached"),)) in got
    assert not any(name == "fieldops_queue_jobs" for name, _ in got)


def test_relay_backlog_counts_intents_not_yet_committed_and_dead_ones(session, redis_client):
    from backend.jobs import enqueue_after_commit
    from backend.jobs.models import JobOutbox
    from tests.jobs.sample_jobs import leave_mark

    assert relay_backlog(session.connection()) == RelayBacklog(0, 0.0, 0)
    first = enqueue_after_commit(leave_mark, "a")
    enqueue_after_commit(leave_mark, "b")
    session.flush()
    session.execute(
        JobOutbox.__table__.update()
        .where(JobOutbox.id == first)
        .values(created_at=datetime.now(UTC) - timedelta(minutes=5))
    )
    backlog = relay_backlog(session.connection())
    assert backlog.pending == 2 and backlog.dead == 0 and backlog.oldest_age_s >= 299
    session.execute(
        JobOutbox.__table__.update().where(JobOutbox.id == first).values(dead_at=datetime.now(UTC))
    )
    backlog = relay_backlog(session.connection())
    assert (backlog.pending, backlog.dead) == (1, 1) and backlog.oldest_age_s < 60
