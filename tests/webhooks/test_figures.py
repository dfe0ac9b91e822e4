"""The figures of docs/webhooks.md ("Figures"): what an event costs the write that causes it,
and how fast one worker delivers to a local receiver. Printed (``-s``), with loose bounds so a
regression by an order of magnitude fails; the machine is shared, so no tight ones.

    .venv/bin/python -m pytest -q -s tests/webhooks/test_figures.py
"""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import select

from backend.db import db
from backend.geo import Location
from backend.webhooks.models import WebhookAttempt, WebhookDelivery
from backend.workorders.operations import create_ticket

pytestmark = pytest.mark.slow
N = 200


def _create(app, n: int) -> float:
    """ms per ticket created and committed (one transaction each, as a request does)."""
    started = time.perf_counter()
    for i in range(n):
        create_ticket(
            actor=None,
            title=f"Figure {i}",
            priority="P3",
            location=Location(13.4, 52.5),
            sla_policy=app.config["SLA_POLICY"],
        )
        db.session.commit()
    return (time.perf_counter() - started) * 1000 / n


def test_event_cost_on_the_write_and_delivery_rate(app, subscribe, receiver, run_jobs):
    _create(app, 20)  # warm up
    for d in db.session.scalars(select(WebhookDelivery)):
        db.session.delete(d)
    db.session.commit()
    bare = _create(app, N)
    for _ in range(3):
        subscribe("ticket.created")
    with_subs = _create(app, N)
    assert len(list(db.session.scalars(select(WebhookDelivery)))) == 3 * N

    started = time.perf_counter()
    run_jobs()
    elapsed = time.perf_counter() - started
    # The receiver verifies with the last subscription's secret: its third of them.
    assert len(receiver.received) == 3 * N and len(receiver.verified()) == N
    assert {d.status for d in db.session.scalars(select(WebhookDelivery))} == {"succeeded"}
    latencies = sorted(db.session.scalars(select(WebhookAttempt.latency_ms)))
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    rate = 3 * N / elapsed
    print(
        f"\nFIGURES create: {bare:.2f} ms/ticket without subscriptions, {with_subs:.2f} ms with 3"
        f" (+{(with_subs - bare) / 3:.2f} ms per delivery queued); one worker (in process):"
        f" {rate:.0f} deliveries/s; attempt latency p50 {p50} ms, p95 {p95} ms"
    )
    assert with_subs - bare < 3 * 20
    assert rate > 5
