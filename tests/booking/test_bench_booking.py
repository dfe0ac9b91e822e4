"""Smoke test of ``bench/booking.py`` at a tiny size: it runs, its offer agrees with the
minute scan, and it ends with the RESULT line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_booking_runs_and_reports():
    out = subprocess.run(
        [sys.executable, "bench/booking.py", "--quick", "--engineers", "3", "--planned", "4"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT booking offers_ms=")
    assert "engineers=3" in last and "slots=" in last
