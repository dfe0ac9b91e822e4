"""The fault suite's real processes: its own redis-server (to kill and restart), gunicorn
serving the app, and ``fieldops worker`` (to ``kill -9``), on a committed database of their
own (``<test database>_faults``), dropped at the end.

Everything binds to 127.0.0.1 on free ports; every process is stopped when its fixture ends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from backend.migrate import create_database, drop_database, upgrade
from tests.conftest import scratch_database_url
from tests.procs import Proc, free_port, start_worker, wait_for

ROOT = Path(__file__).resolve().parents[2]
SECRET = "faults-secret-key-with-enough-entropy-0123456789abcdef"
ADMIN = ("admin@faults.test", "faults-admin-password")


def scratch_url(suffix: str) -> str:
    return scratch_database_url(suffix)


class RedisServer:
    """A redis-server of the test's own, on one port, that can be killed and started again
    (with no data kept, like the machines' Redis)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        from redis import Redis

        client = Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)

        def up() -> bool:
            try:
                return bool(client.ping())
            except Exception:
                return False

        wait_for(up, 10, "redis-server to answer")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


class Stack:
    """The processes of one fault test and the ways to reach them."""

    def __init__(self, tmp: Path, db_url: str, redis: RedisServer, **extra_env: str) -> None:
        self.tmp = tmp
        self.db_url = db_url
        self.redis = redis
        self.env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "REDIS_URL": redis.url,
            "SECRET_KEY": SECRET,
            "MEDIA_ROOT": str(tmp / "media"),
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        self.procs: list[Proc] = []
        self.base = ""
        self.engine: Engine = create_engine(db_url)

    def cli(self, *args: str) -> str:
        run = subprocess.run(
            [sys.executable, "-m", "backend.cli", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
        return run.stdout

    def serve(self, workers: int = 2) -> str:
        port = free_port()
        proc = Proc(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--timeout", "60", "backend.wsgi:app"],
            self.env, self.tmp / "gunicorn.log",
        )  # fmt: skip
        self.procs.append(proc)
        self.base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert proc.proc.poll() is None, "gunicorn exited:\n" + proc.tail()
            try:
                return requests.get(self.base + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_for(up, 60, "gunicorn to answer")
        return self.base

    def worker(self, name: str = "worker", listening: float | None = None) -> Proc:
        proc = start_worker(self.env, self.tmp / f"{name}.log", listening=listening)
        self.procs.append(proc)
        return proc

    def sql(self, statement: str, **params: Any) -> Any:
        with self.engine.begin() as conn:
            return conn.execute(text(statement), params).scalar()

    def login(self, email: str, password: str) -> dict[str, str]:
        res = requests.post(
            self.base + "/api/v1/auth/login", json={"email": email, "password": password},
            timeout=10,
        )  # fmt: skip
        assert res.status_code == 200, res.text
        return {"Authorization": f"Bearer {res.json()['access_token']}"}

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        self.engine.dispose()


@pytest.fixture()
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture()
def migrated_db() -> Iterator[str]:
    url = scratch_url("faults")
    create_database(url, drop_first=True)
    upgrade(url)
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture()
def stack(tmp_path: Path, migrated_db: str, redis_server: RedisServer) -> Iterator[Stack]:
    s = Stack(tmp_path, migrated_db, redis_server)
    s.cli("create-user", "--email", ADMIN[0], "--password", ADMIN[1], "--role", "admin",
          "--name", "Fault Admin")  # fmt: skip
    try:
        yield s
    finally:
        s.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The whole fault suite is slow (real processes, timeouts to wait out): CI runs it."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)
