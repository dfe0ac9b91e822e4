"""Per-node figures for the capacity model (docs/capacity.md), measured on this machine.

What one operation costs the API process (CPU ms, in-process through the Flask test client, so
no HTTP server is counted), the PostgreSQL backends that served it (CPU ms, read from /proc for
the backends connected to the bench database) and the primary (transactions), for: a ticket
created, a ticket list page read, a push of 6 mutations, an incremental pull page, a snapshot
pull page; and how many jobs a second one rq worker runs (auto-dispatch, the job each new
ticket brings). ``/healthz`` is measured the same way as the baseline of the same run: ratios
to it survive a noisy machine. From these the model sizes a company with 100,000 tickets a day
and 10,000 engineers syncing every 5 minutes, printed with its assumptions.

    python bench/scale.py [--quick] [--tickets N] [--redis-url URL]

Uses its own database (``<DATABASE_URL's name>_bench_scale``, see bench/common.py) and Redis DB
14 unless ``--redis-url``; refuses to drain a Redis queue it did not fill. Ends with
``RESULT scale ...``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from bench.api import AREA, SECRET, log, seed, server_cpu_s, start_server, token_for
from bench.common import (
    bench_database_url,
    free_port,
    pids_cpu_s,
    recreate_database,
    result_line,
    rng,
)

ROOT = Path(__file__).resolve().parent.parent
QUEUES = ("high", "default", "low")

# The company the model sizes (docs/capacity.md explains each assumption).
TICKETS_PER_DAY = 100_000
PEAK_HOUR_SHARE = 0.15  # of a day's tickets arrive in its busiest hour
ENGINEERS = 10_000
SYNC_EVERY_S = 300
PUSH_SHARE = 0.5  # of sync cycles that carry mutations (6 each)
DISPATCHERS = ENGINEERS // 20
LIST_EVERY_S = 30
TARGET_UTILISATION = 0.6  # of a core, to keep p99 low


@dataclass
class Cost:
    """Per operation: CPU of the API process and of PostgreSQL, transactions committed (and of
    those, the ones that wrote), statements sent, and wall time."""

    app_ms: float
    db_ms: float
    commits: float
    writes: float
    statements: float
    wall_ms: float


class TransactionCounter:
    """Transactions the app committed on its engine, and how many of them wrote: counted where
    they happen, since the server's own counters (pg_stat_database) reach the view seconds
    late and the cluster's xid and WAL counters include everyone else's work."""

    def __init__(self, engine: Engine) -> None:
        self.commits = self.writes = self.statements = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        self.statements += 1
        if statement.lstrip()[:6].upper() in {"INSERT", "UPDATE", "DELETE"}:
            conn.info["fieldops_bench_wrote"] = True

    def _commit(self, conn: Any) -> None:
        self.commits += 1
        if conn.info.pop("fieldops_bench_wrote", False):
            self.writes += 1

    def snapshot(self) -> tuple[int, int, int]:
        return self.commits, self.writes, self.statements


class Meter:
    """CPU of this process and of the PostgreSQL backends on the bench database, and its
    transaction count. Read from the ``postgres`` database, so the meter's own queries count
    for nothing."""

    def __init__(self, url: str) -> None:
        self.database = make_url(url).database
        self.engine: Engine = create_engine(
            make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )

    def _backends_cpu_s(self) -> float:
        with self.engine.connect() as conn:
            pids = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": self.database}
            ).scalars()
            return pids_cpu_s(list(pids))

    def measure(self, fn: Callable[[int], Any], n: int, counter: TransactionCounter) -> Cost:
        fn(-1)  # warm: connections open, caches filled
        db0, (c0, w0, s0) = self._backends_cpu_s(), counter.snapshot()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for i in range(n):
            fn(i)
        cpu1, wall1 = time.process_time(), time.perf_counter()
        db1, (c1, w1, s1) = self._backends_cpu_s(), counter.snapshot()
        return Cost(
            app_ms=(cpu1 - cpu0) * 1000 / n,
            db_ms=(db1 - db0) * 1000 / n,
            commits=(c1 - c0) / n,
            writes=(w1 - w0) / n,
            statements=(s1 - s0) / n,
            wall_ms=(wall1 - wall0) * 1000 / n,
        )


def _check(res: Any, status: int = 200) -> Any:
    assert res.status_code == status, (res.status_code, res.get_data(as_text=True)[:300])
    return res.get_json(silent=True)


def _queued(redis: Redis) -> int:
    return sum(int(redis.llen(f"rq:queue:{q}")) for q in QUEUES)


def _ran(redis: Redis) -> tuple[int, int]:
    """Jobs rq finished, and jobs that failed, so far (its registries keep them a while)."""
    from rq import Queue
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    queues = [Queue(q, connection=redis) for q in QUEUES]
    return (
        sum(FinishedJobRegistry(queue=q).count for q in queues),
        sum(FailedJobRegistry(queue=q).count for q in queues),
    )


def _burst_worker(url: str, redis_url: str) -> float:
    """Wall seconds for ``fieldops worker --burst`` to drain the queues."""
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": SECRET}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "backend.cli", "worker", "--burst", "--no-scheduler"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def http_overhead_ms(url: str, redis_url: str, headers: dict[str, str], n: int) -> float:
    """Server CPU per request that serving over HTTP adds (gunicorn, as the bench runs it):
    the same small authenticated read (``/api/v1/me``) through gunicorn, minus in-process."""
    import http.client

    port = free_port()
    server = start_server(url, port, redis_url)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def get() -> None:
            conn.request("GET", "/api/v1/me", headers=headers)
            res = conn.getresponse()
            res.read()
            assert res.status == 200, res.status

        for _ in range(20):
            get()
        before = server_cpu_s(server.pid)
        for _ in range(n):
            get()
        return (server_cpu_s(server.pid) - before) * 1000 / n
    finally:
        server.terminate()
        server.wait(timeout=30)


def model(
    c: dict[str, Cost], jobs_per_s: float, jobs_per_create: float, http_ms: float
) -> dict[str, float]:
    """The company above, sized from one node's figures (docs/capacity.md)."""
    creates = TICKETS_PER_DAY * PEAK_HOUR_SHARE / 3600
    pulls = ENGINEERS / SYNC_EVERY_S
    pushes = pulls * PUSH_SHARE
    lists = DISPATCHERS / LIST_EVERY_S
    rates = {"create": creates, "pull": pulls, "push6": pushes, "list": lists}

    def total(attr: str) -> float:
        return sum(rate * getattr(c[op], attr) for op, rate in rates.items())

    writes = total("writes")
    return {
        "req_s": sum(rates.values()),
        "api_cores": (total("app_ms") + http_ms * sum(rates.values())) / 1000 / TARGET_UTILISATION,
        "db_cores": total("db_ms") / 1000 / TARGET_UTILISATION,
        "primary_tps": writes,
        "all_tps": total("commits"),
        # Little's law: transactions in flight = rate x time each holds a connection.
        "db_connections": total("wall_ms") / 1000,
        "workers": creates * jobs_per_create / max(jobs_per_s, 1e-9) / TARGET_UTILISATION,
    }


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer operations (CI smoke)")
    ap.add_argument("--tickets", type=int, default=None, help="tickets seeded (default 20000)")
    ap.add_argument("--ops", type=int, default=None, help="operations per figure")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    ap.add_argument("--database-url", default=None, help="default: <DATABASE_URL>_bench_scale")
    ap.add_argument("--seed", type=int, default=20261203)
    args = ap.parse_args(argv)
    n_tickets = args.tickets or (3000 if args.quick else 20_000)
    n = args.ops or (40 if args.quick else 300)
    r = rng(args.seed)

    url = args.database_url or bench_database_url("scale")
    redis = Redis.from_url(args.redis_url)
    if _queued(redis):
        raise SystemExit(
            f"{args.redis_url} has queued rq jobs this bench did not make; use another"
        )
    log(f"seeding {n_tickets} tickets into {make_url(url).database}")
    recreate_database(url)
    ids = seed(url, n_tickets, args.seed)

    engine = create_engine(url)
    with engine.connect() as conn:
        engineer_id, ticket_id = conn.execute(
            text(
                "SELECT assignee_id, id FROM tickets WHERE assignee_id IS NOT NULL"
                " AND status NOT IN ('completed', 'closed', 'cancelled') LIMIT 1"
            )
        ).one()
    engine.dispose()
    # Tokens first: each is made by an app of its own, and the last app made owns the
    # process-wide engine and settings the measured app must use.
    staff = {"Authorization": f"Bearer {token_for(ids['dispatcher_id'], url)}"}
    phone = {"Authorization": f"Bearer {token_for(str(engineer_id), url)}"}
    from backend import create_app
    from backend.config import Config
    from backend.db import db

    app = create_app(
        Config(DATABASE_URL=url, REDIS_URL=args.redis_url, SECRET_KEY=SECRET, AUTO_DISPATCH=True,
               MEDIA_ROOT=str(ROOT / "var" / "bench-scale-media")),
        RATELIMIT_ENABLED=False,
    )  # fmt: skip
    counter = TransactionCounter(db.engine)
    client = app.test_client()
    meter = Meter(url)
    home = {"type": "Point", "coordinates": [13.40, 52.52]}
    shift = {"timezone": "UTC", "days": list(range(7)), "start": "00:00", "end": "00:00"}
    for uid in [engineer_id]:
        _check(client.post("/api/v1/engineers", headers=staff, json={
            "user_id": str(uid), "skills": [], "region_ids": ids["region_ids"], "home": home,
            "shift": shift}), 201)  # fmt: skip

    def healthz(_: int) -> None:
        _check(client.get("/healthz"))

    def create(_: int) -> None:
        lon, lat = r.uniform(AREA[0], AREA[2]), r.uniform(AREA[1], AREA[3])
        _check(client.post("/api/v1/tickets", headers=staff, json={
            "title": "scale bench fault", "priority": r.choice(["P2", "P3", "P4"]),
            "location": {"type": "Point", "coordinates": [lon, lat]}}), 201)  # fmt: skip

    def list_page(_: int) -> None:
        status = r.choice(["new", "assigned", "in_progress"])
        _check(client.get("/api/v1/tickets", headers=staff,
                          query_string={"status": status, "page_size": 50}))  # fmt: skip

    def push6(_: int) -> None:
        muts = [{"id": str(uuid.uuid4()), "name": "note.add", "args": {
            "id": str(uuid.uuid4()), "ticket_id": str(ticket_id), "body": "bench note"}}
            for _ in range(6)]  # fmt: skip
        body = {"client_id": "bench-phone", "schema_version": 1, "mutations": muts}
        _check(client.post("/api/v1/sync/push", headers=phone, json=body))

    cursor: dict[str, str | None] = {"at": None}

    def pull(_: int) -> None:
        query = {"limit": 500, "client_id": "bench-phone"}
        query |= {"cursor": cursor["at"]} if cursor["at"] else {}
        page = _check(client.get("/api/v1/sync/pull", headers=phone, query_string=query))
        cursor["at"] = page["cursor"]

    def snapshot(_: int) -> None:
        _check(client.get("/api/v1/sync/pull", headers=phone, query_string={"limit": 500}))

    while True:  # bring the cursor up to date: from here on pulls are incremental
        query = {"limit": 500} | ({"cursor": cursor["at"]} if cursor["at"] else {})
        page = _check(client.get("/api/v1/sync/pull", headers=phone, query_string=query))
        cursor["at"] = page["cursor"]
        if not page["has_more"]:
            break

    costs: dict[str, Cost] = {}
    for name, fn, count in (
        ("healthz", healthz, n), ("create", create, n), ("list", list_page, n),
        ("push6", push6, n), ("pull", pull, n), ("snapshot", snapshot, max(5, n // 10)),
    ):  # fmt: skip
        if name == "create":
            queued_before = _queued(redis)
        costs[name] = meter.measure(fn, count, counter)
        if name == "create":
            jobs = _queued(redis) - queued_before
        c = costs[name]
        log(f"{name:9s} app {c.app_ms:7.2f} ms  db {c.db_ms:6.2f} ms  commits {c.commits:4.2f}"
            f" (writing {c.writes:4.2f})  statements {c.statements:5.1f}"
            f"  wall {c.wall_ms:7.2f} ms")  # fmt: skip
    done0, failed0 = _ran(redis)
    drain = _burst_worker(url, args.redis_url)
    done1, failed1 = _ran(redis)
    startup = _burst_worker(url, args.redis_url)  # nothing queued: start-up and exit only
    ran = done1 - done0  # the auto-dispatches and the notifications they sent
    jobs_per_s = ran / max(drain - startup, 1e-3)
    log(f"worker: {ran} jobs ({jobs} queued by the creates) in {drain:.2f} s, {startup:.2f} s"
        f" of it start-up: {jobs_per_s:.1f} jobs/s")  # fmt: skip
    if _queued(redis) or failed1 > failed0:
        raise SystemExit(f"the worker left {_queued(redis)} queued, {failed1 - failed0} failed")
    jobs_per_create = ran / (n + 1)

    me = meter.measure(lambda _: _check(client.get("/api/v1/me", headers=staff)), n, counter)
    http_ms = max(0.0, http_overhead_ms(url, args.redis_url, staff, n * 3) - me.app_ms)
    log(f"serving over HTTP (gunicorn) adds {http_ms:.2f} ms of CPU per request")
    m = model(costs, jobs_per_s, jobs_per_create, http_ms)
    log(
        f"model: {TICKETS_PER_DAY} tickets/day ({PEAK_HOUR_SHARE:.0%} in the peak hour), "
        f"{ENGINEERS} engineers syncing every {SYNC_EVERY_S} s, {DISPATCHERS} dispatchers "
        f"listing every {LIST_EVERY_S} s -> {m['req_s']:.0f} requests/s: API {m['api_cores']:.1f}"
        f" cores, PostgreSQL {m['db_cores']:.1f} cores, primary {m['primary_tps']:.0f} write"
        f" transactions/s ({m['all_tps']:.0f} in all), ~{m['db_connections']:.1f} connections in"
        f" use, {m['workers']:.1f} workers"
    )
    base = costs["healthz"].app_ms
    return result_line(
        "scale",
        healthz_ms=base,
        create_ms=costs["create"].app_ms,
        list_ms=costs["list"].app_ms,
        push6_ms=costs["push6"].app_ms,
        pull_ms=costs["pull"].app_ms,
        snapshot_ms=costs["snapshot"].app_ms,
        create_x=costs["create"].app_ms / base,
        pull_x=costs["pull"].app_ms / base,
        db_create_ms=costs["create"].db_ms,
        db_list_ms=costs["list"].db_ms,
        db_push6_ms=costs["push6"].db_ms,
        db_pull_ms=costs["pull"].db_ms,
        writes_create=costs["create"].writes,
        writes_push6=costs["push6"].writes,
        stmts_create=costs["create"].statements,
        stmts_push6=costs["push6"].statements,
        stmts_pull=costs["pull"].statements,
        http_ms=http_ms,
        jobs_per_s=jobs_per_s,
        api_cores=m["api_cores"],
        db_cores=m["db_cores"],
        primary_tps=m["primary_tps"],
        workers=m["workers"],
    )


if __name__ == "__main__":
    main()
