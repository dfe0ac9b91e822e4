"""Smoke test of ``bench/imports.py`` at a tiny size: it generates the three workbooks,
imports them through the API (every row inserted), re-imports the assets (every row
unchanged), times a bare COPY of the same rows and ends with the RESULT line (a subprocess:
the bench builds its own app against its own database)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import scratch_database_url

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_bench_imports_quick_run():
    bench_db = scratch_database_url("bench")  # dropped when the session ends
    proc = subprocess.run(
        [sys.executable, "bench/imports.py", "--assets", "500", "--database-url", bench_db],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT imports seconds=")
    figures = dict(kv.split("=") for kv in last.split()[2:])
    assert float(figures["rows_per_s"]) > 0 and float(figures["copy_rows_per_s"]) > 0
    assert "all 500 unchanged" in proc.stdout
