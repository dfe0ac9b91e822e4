"""Small helpers shared by the benchmarks: a seeded RNG, percentiles, free ports, a timer and
the final ``RESULT <name> key=value ...`` line."""

from __future__ import annotations

import http.client
import math
import os
import random
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

DEFAULT_SEED = 20261122


def rng(seed: int = DEFAULT_SEED) -> random.Random:
    return random.Random(seed)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); what "p99" means in the RESULT lines."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t[0]`` is the elapsed wall time in seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def fmt(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def result_line(name: str, **figures: float | int) -> str:
    line = "RESULT " + name + " " + " ".join(f"{k}={fmt(v)}" for k, v in figures.items())
    print(line, flush=True)
    return line


# --- databases ---------------------------------------------------------------------------------

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/fieldops"
# Written as the database's comment when a benchmark creates it: a benchmark drops (to
# re-create) only a database that carries it, never one it did not create.
BENCH_MARK = "fieldops benchmark scratch database"


def bench_database_url(kind: str, environ: dict[str, str] | None = None) -> str:
    """The database a benchmark works in: ``<name>_bench_<kind>``, where ``<name>`` is the
    database of ``BENCH_DATABASE_URL`` if set (the one override for every benchmark), else of
    ``DATABASE_URL`` (so a developer's benchmarks sit beside their own database)."""
    import os

    from sqlalchemy.engine import make_url

    env = os.environ if environ is None else environ
    base = env.get("BENCH_DATABASE_URL") or env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    for prefix in ("postgres://", "postgresql://"):
        if base.startswith(prefix):
            base = "postgresql+psycopg://" + base[len(prefix) :]
    url = make_url(base)
    return url.set(database=f"{url.database}_bench_{kind}").render_as_string(hide_password=False)


def database_mark(url: str) -> str | None:
    """The comment of the database in ``url``; None if it has none; "" if it does not exist."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"))
    try:
        with admin.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                    " WHERE datname = :n"
                ),
                {"n": target.database},
            ).first()
    finally:
        admin.dispose()
    return "" if row is None else row[0]


def mark_database(url: str) -> None:
    """Record that a benchmark created this database (see ``recreate_database``)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = str(target.database).replace('"', '""')
            conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{BENCH_MARK}'"))
    finally:
        admin.dispose()


def check_ours(url: str) -> None:
    """Refuse (SystemExit) to touch an existing database no benchmark created."""
    from sqlalchemy.engine import make_url

    mark = database_mark(url)
    if mark not in ("", BENCH_MARK):
        name = make_url(url).database
        raise SystemExit(
            f"database {name!r} exists and was not created by a fieldops benchmark; refusing to "
            "drop it. Pass another --database-url, or set BENCH_DATABASE_URL to a base name "
            "whose _bench_* databases are free."
        )


def recreate_database(url: str) -> None:
    """Drop (only if a benchmark created it) and create the database, migrated and marked."""
    from backend.migrate import create_database, upgrade

    check_ours(url)
    create_database(url, drop_first=True)
    mark_database(url)
    upgrade(url)


def process_cpu_s(pid: int, *, children: bool = True, itself: bool = True) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and/or its direct children (for
    gunicorn: master and workers), read from /proc: lets a bench tell "the stack is slow" from
    "the machine is busy" (other load inflates wall time, not CPU time)."""
    return sum(process_cpu_split_s(pid, children=children, itself=itself))


def process_cpu_split_s(
    pid: int, *, children: bool = True, itself: bool = True
) -> tuple[float, float]:
    """``process_cpu_s`` as (user, system) seconds: system is the kernel's share (sockets to
    the clients, PostgreSQL and Redis), which no Python change in the server reaches directly."""
    ticks = os.sysconf("SC_CLK_TCK")
    user = system = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if (itself and int(entry.name) == pid) or (children and int(fields[1]) == pid):
            user += int(fields[11])  # utime
            system += int(fields[12])  # stime
    return user / ticks, system / ticks


def pids_cpu_s(pids: Iterable[int]) -> float:
    """CPU seconds (user + system) used so far by these processes (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wait_healthy(port: int, seconds: float, proc: subprocess.Popen | None = None) -> bool:
    """Poll ``/healthz`` on 127.0.0.1:``port`` until it answers 200 (True), ``seconds`` pass
    or ``proc`` exits (False)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.2)
    return False
