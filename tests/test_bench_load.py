"""bench/load.py end to end at a tiny size: its own database (dropped after), gunicorn with 2
workers, an rq worker, locust; it must end with a well-formed RESULT line and no errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL

ROOT = Path(__file__).resolve().parents[1]

# A real gunicorn, worker and locust run of about a minute: CI runs it (infra/test.sh).
pytestmark = pytest.mark.slow


def test_load_bench_tiny_run_is_well_formed():
    url = TEST_DATABASE_URL + "_load"
    env = {**os.environ, "REDIS_URL": TEST_REDIS_URL}
    proc = subprocess.run(
        [sys.executable, "bench/load.py", "--tiny", "--tickets", "200", "--database-url", url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "rate limits for this run" in proc.stdout  # the bench says what it configured
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT load "), last
    fields = dict(kv.split("=") for kv in last.split()[2:])
    assert {"rps", "p99_ms", "cpu_ms_per_req", "errors"} <= set(fields)
    assert int(fields["errors"]) == 0, proc.stdout[-3000:]
    assert int(fields["requests"]) > 0 and float(fields["rps"]) > 0
    assert float(fields["cpu_ms_per_req"]) > 0 and float(fields["p99_ms"]) > 0
    admin = create_engine(make_url(url).set(database="postgres"))
    with admin.connect() as conn:  # it dropped the database it created
        left = conn.scalar(
            text("SELECT count(*) FROM pg_database WHERE datname = :n"),
            {"n": make_url(url).database},
        )
    admin.dispose()
    assert left == 0
