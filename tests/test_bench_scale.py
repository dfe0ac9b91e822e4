"""Smoke test of ``bench/scale.py`` (the capacity model's per-node figures) at a tiny size: it
seeds, measures every operation and the worker, sizes the model and ends with its RESULT line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_REDIS_URL, scratch_database_url

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_bench_scale_tiny_run(redis_client):
    redis_client.flushdb()  # the suite's own Redis database: the bench drains what it queues
    proc = subprocess.run(
        [sys.executable, "bench/scale.py", "--tickets", "300", "--ops", "5",
         "--database-url", scratch_database_url("scale"), "--redis-url", TEST_REDIS_URL],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=dict(os.environ),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = proc.stdout.strip().splitlines()[-1]
    assert line.startswith("RESULT scale "), line
    figures = dict(part.split("=", 1) for part in line.split()[2:])
    for key in ("create_ms", "push6_ms", "pull_ms", "jobs_per_s", "api_cores", "primary_tps"):
        assert float(figures[key]) > 0, (key, line)
    assert float(figures["writes_create"]) == 1.0  # one transaction writes a new ticket
    assert "model:" in proc.stdout
