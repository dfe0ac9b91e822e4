"""Issue #20 §3 — more than one process needs Redis. Without ``REDIS_URL`` each gunicorn worker
counts rate limits alone (an operator measured 55 public reports through two instances before
the first 429, against 10 with Redis). Several workers without it refuse to start, saying why;
one worker starts, and ``/readyz`` says its limits are per process."""

from __future__ import annotations

import sys

import requests

from tests.faults.conftest import Proc, Stack, free_port, wait_for


def _gunicorn(stack: Stack, workers: int, name: str, **env: str) -> tuple[Proc, str]:
    port = free_port()
    environ = {k: v for k, v in stack.env.items() if k != "REDIS_URL"} | env
    proc = Proc(
        [sys.executable, "-m", "gunicorn", "-c", "python:backend.observe.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "backend.wsgi:app"],
        environ, stack.tmp / f"{name}.log",
    )  # fmt: skip
    stack.procs.append(proc)
    return proc, f"http://127.0.0.1:{port}"


def _ready(base: str) -> dict | None:
    try:
        res = requests.get(f"{base}/readyz", timeout=2)
    except requests.RequestException:
        return None
    return res.json() if res.status_code == 200 else None


def test_several_workers_without_redis_refuse_to_start(stack: Stack) -> None:
    proc, _ = _gunicorn(stack, 2, "refused")
    code = wait_for(lambda: proc.proc.poll() is not None, 60, "gunicorn to refuse")
    assert code and proc.proc.returncode != 0
    assert "refusing to start 2 workers without REDIS_URL" in proc.tail(), proc.tail()


def test_one_worker_without_redis_says_its_limits_are_per_process(stack: Stack) -> None:
    _, alone = _gunicorn(stack, 1, "alone")
    ready = wait_for(lambda: _ready(alone), 60, "one worker without Redis to be ready")
    assert ready["checks"]["rate_limits"] == "per process", ready


def test_several_workers_with_redis_share_their_limits(stack: Stack) -> None:
    _, shared = _gunicorn(stack, 2, "shared", REDIS_URL=stack.redis.url)
    ready = wait_for(lambda: _ready(shared), 60, "two workers with Redis to be ready")
    assert ready["checks"]["rate_limits"] == "shared", ready


def test_per_process_limits_can_be_accepted_knowingly(stack: Stack) -> None:
    _, accepted = _gunicorn(stack, 2, "accepted", FIELDOPS_RATELIMIT_PER_PROCESS_OK="1")
    ready = wait_for(lambda: _ready(accepted), 60, "two workers told per-process is fine")
    assert ready["checks"]["rate_limits"] == "per process", ready
