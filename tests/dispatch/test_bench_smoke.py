"""The latency benchmark runs end to end at a tiny size (seed, KNN, assign) in its own process,
as it does from the command line (an in-process run would re-bind the suite's app holders)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import scratch_database_url

ROOT = Path(__file__).resolve().parents[2]


def test_dispatch_latency_bench_tiny():
    proc = subprocess.run(
        [
            sys.executable,
            "bench/dispatch_latency.py",
            "--tiny",
            "--samples",
            "12",
            "--database-url",
            scratch_database_url("bench"),  # dropped when the session ends
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT dispatch_latency ")
    fields = dict(kv.split("=") for kv in last.split()[2:])
    assert float(fields["assign_p50_ms"]) > 0 and float(fields["knn_p50_ms"]) > 0
    ratio = float(fields["assign_p50_ms"]) / float(fields["knn_p50_ms"])
    assert abs(float(fields["knn_ratio"]) - ratio) <= 0.1 * ratio + 0.1
    assert int(fields["engineers"]) == 80 and int(fields["tickets"]) == 400
