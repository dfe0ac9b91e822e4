"""The rq worker logs JSON lines too (``fieldops worker`` configures it like the API)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import TEST_REDIS_URL


def test_worker_log_lines_are_json(database_url):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "SECRET_KEY": "worker-logs-test-secret-0123456789abcdef",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "backend.cli", "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [x for x in (proc.stdout + proc.stderr).splitlines() if x.strip()]
    assert lines, "the worker said nothing"
    parsed = [json.loads(x) for x in lines]  # every line is one JSON object
    assert any(p["logger"].startswith("rq.") for p in parsed)
    for p in parsed:
        assert {"time", "level", "logger", "message", "request_id"} <= set(p)
