"""A PostgreSQL primary and a streaming replica of the test's own (initdb, pg_basebackup -R),
on free ports under a temporary directory, for tests that need real replication. Started as
the ``postgres`` user when the tests run as root (the server refuses root); stopped and
removed when done. PostGIS comes from the installed server's extension directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.faults.conftest import free_port

BIN = (
    Path("/usr/lib/postgresql")
    / (
        sorted(os.listdir("/usr/lib/postgresql"), key=int)[-1]
        if Path("/usr/lib/postgresql").exists()
        else "15"
    )
    / "bin"
)


def _as_postgres(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    run = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120, **kw)  # type: ignore[call-overload]
    assert run.returncode == 0, f"{args[0]} failed:\n{run.stdout[-2000:]}{run.stderr[-2000:]}"
    return run


class Server:
    def __init__(self, datadir: Path, port: int) -> None:
        self.datadir = datadir
        self.port = port

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _as_postgres([str(BIN / "pg_ctl"), "-D", str(self.datadir), "-l",
                      str(self.datadir / "server.log"), "-w", "-t", "60", "start"])  # fmt: skip

    def stop(self) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, str(BIN / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate",
                        "-w", "stop"], capture_output=True, timeout=60)  # fmt: skip

    def sql(self, statement: str, database: str = "postgres") -> object:
        engine = create_engine(self.url(database), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                return conn.execute(text(statement)).scalar()
        finally:
            engine.dispose()


class ReplicatedCluster:
    """``primary`` streams to ``replica`` (hot standby). ``pause()``/``resume()`` stop and
    restart the replica's replay, as a replica that falls behind."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="fieldops-pgcluster-"))
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.primary = Server(self.root / "primary", free_port())
        self.replica = Server(self.root / "replica", free_port())
        _as_postgres([str(BIN / "initdb"), "-D", str(self.primary.datadir), "-A", "trust",
                      "-U", "postgres", "--no-sync"])  # fmt: skip
        with (self.primary.datadir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.primary.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\nwal_level = replica\n"
                "max_wal_senders = 4\nhot_standby = on\nfsync = off\n"
                "shared_buffers = 32MB\nwal_keep_size = 64MB\n"
            )
        self.primary.start()
        _as_postgres([str(BIN / "pg_basebackup"), "-h", "127.0.0.1",
                      "-p", str(self.primary.port), "-U", "postgres",
                      "-D", str(self.replica.datadir), "-R", "-X", "stream"])  # fmt: skip
        with (self.replica.datadir / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.replica.port}\n")
        self.replica.start()

    def pause(self) -> None:
        self.replica.sql("SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        self.replica.sql("SELECT pg_wal_replay_resume()")

    def caught_up(self, timeout: float = 30) -> None:
        """Wait until the replica has replayed everything the primary wrote so far."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
            if done:
                return
            time.sleep(0.1)
        raise AssertionError(f"the replica did not replay up to {target} in {timeout} s")

    def close(self) -> None:
        self.replica.stop()
        self.primary.stop()
        shutil.rmtree(self.root, ignore_errors=True)
