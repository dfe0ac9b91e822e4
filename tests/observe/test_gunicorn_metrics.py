"""A real gunicorn (infra/gunicorn.conf.py, 2 workers): the scrape adds up both workers'
counts, access log lines are JSON carrying the request id, and with Redis down the scrape
still answers 200 with what it can read."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import TEST_REDIS_URL
from tests.procs import GunicornServer as Server
from tests.procs import free_port as _free_port
from tests.procs import serve_gunicorn as _start


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory) -> Iterator[Server]:
    yield from _start(database_url, TEST_REDIS_URL, tmp_path_factory.mktemp("gunicorn"))


def _worker_pids(metrics_dir: Path) -> set[str]:
    return {p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("histogram_*.db")}


def test_scrape_adds_up_both_workers(server: Server):
    sent = 0
    with ThreadPoolExecutor(8) as pool:
        while len(_worker_pids(server.metrics_dir)) < 2 or sent < 40:
            assert sent < 2000, "one worker answered everything"
            codes = list(pool.map(lambda _: server.get("/healthz")[0], range(8)))
            assert codes == [200] * 8
            sent += 8
    status, _, headers = server.get("/api/v1/tickets", {"X-Request-ID": "gunicorn-probe-1"})
    assert status == 401 and headers["X-Request-ID"] == "gunicorn-probe-1"
    pids = _worker_pids(server.metrics_dir)
    assert len(pids) == 2
    for _ in range(3):  # whichever worker answers the scrape, it reports both workers' counts
        got = server.samples()
        key = (("endpoint", "/healthz"), ("method", "GET"), ("status", "200"))
        # +1: the readiness probe of the fixture
        assert got[("fieldops_http_request_duration_seconds_count", key)] == sent + 1
        rule = (("endpoint", "/api/v1/tickets"), ("method", "GET"), ("status", "401"))
        assert got[("fieldops_http_request_duration_seconds_count", rule)] == 1
        assert got[("fieldops_scrape_source_up", (("source", "redis"),))] == 1
        assert got[("fieldops_scrape_source_up", (("source", "database"),))] == 1


def test_access_log_is_json_with_the_request_id(server: Server):
    assert server.get("/healthz", {"X-Request-ID": "access-log-probe"})[0] == 200
    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(x) for x in server.out.read_text().splitlines() if x.strip()]
        access = [x for x in lines if x["request_id"] == "access-log-probe"]
        if access or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert access, lines[-5:]
    line = access[0]
    assert line["logger"] == "gunicorn.access" and line["status"] == 200
    assert line["path"] == "/healthz" and line["duration_ms"] >= 0
    assert {"time", "level", "message"} <= set(line)
    assert all({"time", "level", "logger", "message", "request_id"} <= set(x) for x in lines)


def test_redis_down_scrape_still_answers(database_url, tmp_path):
    dead = f"redis://127.0.0.1:{_free_port()}/15"
    for server in _start(database_url, dead, tmp_path):
        got = server.samples()
        assert got[("fieldops_scrape_source_up", (("source", "redis"),))] == 0
        assert got[("fieldops_scrape_source_up", (("source", "database"),))] == 1
        assert ("fieldops_sla_tickets", (("state", "at_risk"),)) in got
