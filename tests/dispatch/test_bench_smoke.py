"""The latency benchmark runs end to end at a tiny size (seed, KNN, assign, restore)."""

from __future__ import annotations

from backend.db import db
from bench.dispatch_latency import run
from tests.conftest import TEST_DATABASE_URL


def test_dispatch_latency_bench_tiny(app):
    before = db.engine
    result = run(
        True,
        samples=12,
        database_url=TEST_DATABASE_URL + "_bench",
        sizes={"engineers": 80, "regions": 16, "tickets": 400},
    )
    assert result["samples"] == 12 and result["assigned"] > 0
    assert result["assign_p50_ms"] > 0 and result["knn_p50_ms"] > 0
    assert result["knn_ratio"] == round(result["assign_p50_ms"] / result["knn_p50_ms"], 1)
    assert db.engine is before  # the suite's database binding is restored
