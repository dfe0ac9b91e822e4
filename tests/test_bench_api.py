"""Smoke test of ``bench/api.py`` at a tiny size: it seeds, serves, loads and ends with the
RESULT line (in a subprocess: the bench builds its own app against its own database)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.common import percentile
from tests.conftest import scratch_database_url

ROOT = Path(__file__).resolve().parent.parent


def test_percentile_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0


def test_bench_api_tiny_run():
    bench_db = scratch_database_url("bench")  # dropped when the session ends
    proc = subprocess.run(
        [
            sys.executable,
            "bench/api.py",
            "--tickets",
            "500",
            "--duration",
            "1",
            "--concurrency",
            "2",
            "--list-samples",
            "5",
            "--database-url",
            bench_db,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT api creates_per_s=")
    figures = dict(kv.split("=") for kv in last.split()[2:])
    assert float(figures["creates_per_s"]) > 0 and float(figures["list_p99_ms"]) > 0
    assert {"list_p50_ms", "sql_ratio"} <= set(figures)
