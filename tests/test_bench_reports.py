"""Smoke test of ``bench/reports.py`` at a tiny size: it generates, builds the
rollups, measures the Insights screen against the raw tables (whose answers must be equal) and
the catch-up, and ends with the RESULT line (a subprocess: the bench builds its own app against
its own database)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import scratch_database_url

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_bench_reports_quick_run():
    bench_db = scratch_database_url("bench")  # dropped when the session ends
    proc = subprocess.run(
        [
            sys.executable,
            "bench/reports.py",
            "--tickets",
            "3000",
            "--engineers",
            "20",
            "--customers",
            "100",
            "--repeat",
            "2",
            "--raw-repeat",
            "1",
            "--catchup-rounds",
            "1",
            "--database-url",
            bench_db,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT reports p95_ms=")
    figures = dict(kv.split("=") for kv in last.split()[2:])
    assert float(figures["p95_ms"]) > 0 and float(figures["catchup_ms_per_10k"]) > 0
    assert figures["mismatches"] == "0", proc.stdout[-3000:]
