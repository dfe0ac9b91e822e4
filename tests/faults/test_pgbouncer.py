"""Issue #20 §1 — pooler-safe by default: fieldops behind PgBouncer in transaction pooling mode.

Tried by an operator: psycopg 3 prepares a statement after 5 runs, and behind a transaction
pooler the next transaction lands on another server connection, where the name is unknown or
means another client's statement; 387 of 2,755 requests failed in 20 s. The startup packet's
``options`` (our per-connection timeouts) is refused by PgBouncer outright, and
``fieldops db upgrade`` cannot create or migrate through it.

Here a real PgBouncer (Debian's 1.18, transaction mode, a server pool smaller than the clients so
their transactions share server connections) stands between gunicorn and PostgreSQL: migrations
go to ``DATABASE_DIRECT_URL``, requests through the pooler, and every request answers.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.migrate import drop_database
from tests.faults.conftest import (
    ADMIN,
    Proc,
    RedisServer,
    Stack,
    free_port,
    scratch_url,
    wait_for,
)

SPOT = {"type": "Point", "coordinates": [13.40, 52.52]}
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


class PgBouncer:
    """A PgBouncer of the test's own in transaction pooling mode, in front of the local server."""

    def __init__(self, server_port: int = 5432) -> None:
        assert Path(PGBOUNCER).exists(), "pgbouncer is not installed (infra/setup.sh installs it)"
        self.port = free_port()
        # Run as root it drops to "nobody", who must reach its files: not under pytest's
        # private temporary directory.
        self.workdir = workdir = Path(tempfile.mkdtemp(prefix="fieldops-pgbouncer-"))
        workdir.chmod(0o777)
        (workdir / "users.txt").write_text('"postgres" ""\n')
        self.ini = workdir / "pgbouncer.ini"
        self.ini.write_text(
            f"[databases]\n* = host=127.0.0.1 port={server_port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {workdir / 'users.txt'}\n"
            "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 200\n"
            f"logfile = {workdir / 'pgbouncer.log'}\n"
        )
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.proc = Proc([PGBOUNCER, *user, str(self.ini)], dict(os.environ), workdir / "out.log")
        wait_for(self._listening, 15, "pgbouncer to listen")

    def _listening(self) -> bool:
        assert self.proc.proc.poll() is None, "pgbouncer exited:\n" + self.proc.tail()
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def url(self, direct: str) -> str:
        return make_url(direct).set(host="127.0.0.1", port=self.port).render_as_string(False)

    def stop(self) -> None:
        self.proc.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@pytest.fixture()
def pooled(tmp_path: Path, redis_server: RedisServer) -> Iterator[Stack]:
    """gunicorn (2 workers x 2 threads) and the CLI with ``DATABASE_URL`` at PgBouncer and
    ``DATABASE_DIRECT_URL`` at PostgreSQL, on a database that does not exist yet."""
    direct = scratch_url("pooled")
    drop_database(direct)
    bouncer = PgBouncer()
    through = bouncer.url(direct)
    stack = Stack(tmp_path, direct, redis_server, DATABASE_DIRECT_URL=direct)
    stack.env["DATABASE_URL"] = through
    stack.env["GUNICORN_CMD_ARGS"] = "--threads 2"
    try:
        yield stack
    finally:
        stack.close()
        bouncer.stop()
        drop_database(direct)


def test_requests_through_a_transaction_pooler_all_answer(pooled: Stack) -> None:
    pooled.cli("db", "upgrade")  # creates and migrates through the direct URL
    pooled.cli("create-user", "--email", ADMIN[0], "--password", ADMIN[1], "--role", "admin",
               "--name", "Pooled Admin")  # fmt: skip
    base = pooled.serve(workers=2)
    headers = pooled.login(*ADMIN)

    def session(n: int) -> list[str]:
        """One client's day: its own tickets created, listed and read, many times over (well
        past psycopg's 5 runs before it would prepare a statement)."""
        failures = []
        for i in range(25):
            ticket = {"title": f"Pooled {n}-{i}", "priority": "P3", "location": SPOT}
            created = requests.post(
                f"{base}/api/v1/tickets", json=ticket, headers=headers, timeout=30
            )
            listed = requests.get(f"{base}/api/v1/tickets?limit=5", headers=headers, timeout=30)
            me = requests.get(f"{base}/api/v1/me", headers=headers, timeout=30)
            for res in (created, listed, me):
                if res.status_code >= 400:
                    failures.append(f"{res.request.method} {res.url}: {res.status_code} {res.text}")
        return failures

    with ThreadPoolExecutor(6) as pool:
        failures = [f for found in pool.map(session, range(6)) for f in found]
    assert not failures, f"{len(failures)} failed, e.g.:\n" + "\n".join(failures[:5])
    assert pooled.sql("SELECT count(*) FROM tickets") == 6 * 25

    # The per-connection timeouts reach pooled connections too: they are the database's own
    # defaults, set by `db upgrade`, since PgBouncer refuses them in the startup packet.
    engine = create_engine(pooled.env["DATABASE_URL"], connect_args={"prepare_threshold": None})
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SHOW statement_timeout")) == "30s"
            assert conn.scalar(text("SHOW idle_in_transaction_session_timeout")) != "0"
    finally:
        engine.dispose()
