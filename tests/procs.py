"""Real processes for the tests that need them (the fault suite, the browser tests of queued
plans): free ports, waiting on a condition, a child process in its own process group, a
``fieldops worker``, and what ``/proc`` says about a worker's process tree.

Shared so the fault suite and the e2e suite start, watch and stop a worker the same way: a
test that says "the plan's processes are gone and nothing burns the worker's CPU" means the
same thing wherever it is said.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.common import pids_cpu_s

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


class Proc:
    """A child process in its own process group (so ``kill -9`` takes its children too)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill9(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()
        self._out.close()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start_worker(env: dict[str, str], log: Path, *, listening: float | None = None) -> Proc:
    """``fieldops worker`` (with its periodic scheduler, as deployed) in a process group of its
    own; with ``listening``, wait that many seconds at most until it takes jobs."""
    proc = Proc([sys.executable, "-m", "backend.cli", "worker"], env, log)
    if listening is not None:

        def up() -> bool:
            assert proc.proc.poll() is None, "the worker exited:\n" + proc.tail()
            text = proc.tail()
            return "Listening on" in text or "listening" in text

        wait_for(up, listening, "the worker to start")
    return proc


def children(pid: int) -> list[int]:
    """Every process below ``pid`` (a worker's work horse and the searches it forked)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        here = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == here]
        found += kids
        frontier += kids
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cpu_s(pids: set[int], window: float) -> float:
    """CPU seconds ``pids`` use over the next ``window`` seconds."""
    before = pids_cpu_s(pids)
    time.sleep(window)
    return pids_cpu_s(pids) - before


def plan_settled(worker_pid: int, busy: set[int], window: float = 2.0, most: float = 0.3) -> bool:
    """A stopped job's processes (``busy``: what ran under the worker beside its idle
    children) are gone, not just moved: none lives on outside the worker (orphaned to init),
    and nothing under the worker uses more than ``most`` CPU seconds in ``window`` (rq's own
    scheduler, forked at about the same time as a job, idles)."""
    under = set(children(worker_pid))
    orphans = [p for p in busy if p not in under and alive(p)]
    return not orphans and cpu_s(under, window) < most


class GunicornServer:
    """A gunicorn started by ``serve_gunicorn``: its port, process, output and metrics dir."""

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
        from prometheus_client.parser import text_string_to_metric_families

        status, body, _ = self.get("/metrics")
        assert status == 200, body[:500]
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples
        }


def serve_gunicorn(database_url: str, redis_url: str, tmp: Path) -> Iterator[GunicornServer]:
    """gunicorn as deployed (infra/gunicorn.conf.py, 2 workers) on a free port, until the
    generator is closed: for tests of what gunicorn itself does in front of the app."""
    port = free_port()
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
    server = GunicornServer(port, proc, out, metrics_dir)
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
