"""A real gunicorn (infra/gunicorn.conf.py, 2 workers): the scrape adds up both workers'
counts, access log lines are JSON carrying the request id, and with Redis down the scrape
still answers 200 with what it can read."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_REDIS_URL

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port: int, proc: subprocess.Popen, out: Path, metrics_dir: Path) -> None:
        self.port, self.proc, self.out, self.metrics_dir = port, proc, out, metrics_dir

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request("GET", path, headers={"Connection": "close", **(headers or {})})
            res = conn.getresponse()
            return res.status, res.read(), dict(res.getheaders())
        finally:
            conn.close()

    def samples(self) -> dict[tuple[str, tuple], float]:
        status, body, _ = self.get("/metrics")
        assert status == 200, body[:500]
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples
        }


def _start(database_url: str, redis_url: str, tmp: Path) -> Iterator[Server]:
    port = _free_port()
    metrics_dir = tmp / "prom"
    metrics_dir.mkdir()
    out = tmp / "gunicorn.out"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "gunicorn-metrics-test-secret-0123456789abcdef",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    cmd = [sys.executable, "-m", "gunicorn", "-c", "infra/gunicorn.conf.py"]
    cmd += ["--no-control-socket", "backend.wsgi:app"]
    with out.open("wb") as sink:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    server = Server(port, proc, out, metrics_dir)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if server.get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, out.read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.3)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=30)


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
