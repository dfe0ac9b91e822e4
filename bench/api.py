"""API benchmark: ticket creation over HTTP against gunicorn, and the filtered ticket list,
with 100,000 tickets in the database.

Steps (all seeded, into a dedicated database re-created each run, ``<name>_bench_api``, the
name from ``BENCH_DATABASE_URL`` or ``DATABASE_URL``; see ``bench.common.bench_database_url``):

1. Migrate, then bulk-load ``--tickets`` (100,000) tickets with COPY: random points over
   Berlin, routed to six overlapping regions, every status, P1-P4, 50 engineers. ANALYZE.
2. Baseline: the bare SQL INSERT of the same kind of ticket row (plus its audit event), one
   transaction per ticket like one request, from ``--concurrency`` threads.
3. Start gunicorn (2 workers, gthread) on a free port; a load generator (threads, keep-alive
   ``http.client``) POSTs ``/api/v1/tickets`` for ``--duration`` seconds (bounded count).
4. ``GET /api/v1/tickets?status=...&bbox=...`` with random neighbourhood-sized boxes: p50/p99.

``sql_ratio`` = SQL baseline rows/s / HTTP creates/s: the cost of the whole stack (parsing,
auth, routing with ST_Contains, audit, sync change log, hooks, serialization) per create.
Targets: creates_per_s >= 300, list_p99_ms <= 50.

    python bench/api.py [--quick] [--tickets N] [--duration S] [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.common import (  # noqa: E402
    bench_database_url,
    free_port,
    percentile,
    process_cpu_s,
    result_line,
    rng,
    wait_healthy,
)

SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
# Six overlapping Berlin regions (same shapes as the demo data).
REGIONS = [
    ("Mitte", (13.33, 52.49, 13.45, 52.55)),
    ("Nord", (13.30, 52.53, 13.50, 52.62)),
    ("Ost", (13.42, 52.48, 13.56, 52.56)),
    ("Sued", (13.33, 52.41, 13.50, 52.50)),
    ("West", (13.15, 52.47, 13.36, 52.56)),
    ("Suedwest", (13.18, 52.40, 13.36, 52.48)),
]
AREA = (13.10, 52.38, 13.62, 52.64)  # a little wider than the regions: some tickets unrouted
STATUS_MIX = [
    ("new", 15), ("assigned", 10), ("accepted", 5), ("en_route", 3), ("on_site", 2),
    ("in_progress", 5), ("on_hold", 2), ("completed", 20), ("closed", 33), ("cancelled", 5),
]  # fmt: skip
SLA_H = {"P1": (1, 4), "P2": (4, 8), "P3": (8, 24), "P4": (24, 72)}
COLUMNS = (
    "id", "title", "description", "priority", "status", "required_skills", "location",
    "region_ids", "assignee_id", "assigned_at", "source", "respond_by", "resolve_by",
    "responded_at", "resolved_at", "sla_state", "dispatch_flags", "rejected_by",
    "created_at", "updated_at", "version",
)  # fmt: skip


def log(msg: str) -> None:
    print(f"[bench api] {msg}", flush=True)


# --- database ------------------------------------------------------------------------------


def prepare_database(url: str) -> None:
    from bench.common import recreate_database

    recreate_database(url)


def _regions_for(lon: float, lat: float, region_ids: list[str]) -> list[str]:
    return [
        rid
        for rid, (_, (x0, y0, x1, y1)) in zip(region_ids, REGIONS, strict=True)
        if x0 < lon < x1 and y0 < lat < y1
    ]


def _arr(values: list[str]) -> str:
    return "{" + ",".join(values) + "}"


def seed(url: str, n_tickets: int, seed_value: int) -> dict[str, Any]:
    """Users, regions and ``n_tickets`` tickets (COPY). Returns ids the load needs."""
    from backend.accounts.passwords import hash_password

    r = rng(seed_value)
    engine = create_engine(url)
    now = datetime.now(UTC)
    pw = hash_password("bench-password")
    dispatcher_id = str(uuid.uuid4())
    engineers = [str(uuid.uuid4()) for _ in range(50)]
    region_ids = [str(uuid.uuid4()) for _ in REGIONS]
    with engine.begin() as conn:
        users = [(dispatcher_id, "dispatcher@bench.test", "Bench Dispatcher", "dispatcher")]
        users += [
            (e, f"eng{i}@bench.test", f"Engineer {i}", "engineer") for i, e in enumerate(engineers)
        ]
        conn.execute(
            text(
                "INSERT INTO users (id, email, name, role, password_hash, is_active, created_at, "
                "updated_at) VALUES (:id, :email, :name, :role, :pw, true, now(), now())"
            ),
            [{"id": u[0], "email": u[1], "name": u[2], "role": u[3], "pw": pw} for u in users],
        )
        for rid, (name, (x0, y0, x1, y1)) in zip(region_ids, REGIONS, strict=True):
            conn.execute(
                text(
                    "INSERT INTO regions (id, name, area, created_at, updated_at) VALUES "
                    "(:id, :name, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326), now(), now())"
                ),
                {"id": rid, "name": name, "x0": x0, "y0": y0, "x1": x1, "y1": y1},
            )
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    buf = io.StringIO()
    for i in range(n_tickets):
        lon, lat = r.uniform(AREA[0], AREA[2]), r.uniform(AREA[1], AREA[3])
        status = statuses[r.randrange(len(statuses))]
        priority = r.choice(("P1", "P2", "P3", "P3", "P4"))
        created = now - timedelta(minutes=r.uniform(10, 60 * 24 * 90))
        respond_h, resolve_h = SLA_H[priority]
        assigned = status not in {"new", "cancelled"}
        responded = status not in {"new", "assigned", "cancelled"}
        resolved = status in {"completed", "closed"}
        row = [
            str(uuid.UUID(int=r.getrandbits(128), version=4)),
            f"bulk {i} unit fault",
            "",
            priority,
            status,
            "{}",
            f"SRID=4326;POINT({lon:.6f} {lat:.6f})",
            _arr(_regions_for(lon, lat, region_ids)),
            engineers[r.randrange(len(engineers))] if assigned else "\\N",
            (created + timedelta(minutes=5)).isoformat() if assigned else "\\N",
            "staff",
            (created + timedelta(hours=respond_h)).isoformat(),
            (created + timedelta(hours=resolve_h)).isoformat(),
            (created + timedelta(minutes=20)).isoformat() if responded else "\\N",
            (created + timedelta(hours=2)).isoformat() if resolved else "\\N",
            "ok",
            "{}",
            "{}",
            created.isoformat(),
            created.isoformat(),
            "1",
        ]
        buf.write("\t".join(row) + "\n")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY tickets ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write(buf.getvalue())
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"dispatcher_id": dispatcher_id, "region_ids": region_ids}


# --- SQL baseline --------------------------------------------------------------------------

INSERT_TICKET = text(
    "INSERT INTO tickets (id, title, description, priority, status, required_skills, location, "
    "region_ids, source, respond_by, resolve_by, sla_state, dispatch_flags, rejected_by, "
    "created_at, updated_at, version, created_by_id) VALUES (:id, :title, '', :priority, 'new', "
    "'{}', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :regions, 'staff', :respond_by, "
    ":resolve_by, 'ok', '{}', '{}', :now, :now, 1, :actor)"
)
INSERT_EVENT = text(
    "INSERT INTO ticket_events (id, ticket_id, actor_id, action, from_status, to_status, at, via, "
    "data) VALUES (:eid, :id, :actor, 'create', NULL, 'new', :now, 'api', '{}')"
)


def sql_baseline(url: str, bodies: list[dict[str, Any]], actor: str, threads: int) -> float:
    """Rows/s for the same tickets inserted by bare SQL, one transaction each (regions
    computed in SQL with ST_Contains, as the operation does)."""
    engine = create_engine(url, pool_size=threads)
    chunks = [bodies[i::threads] for i in range(threads)]
    regions_sql = text(
        "SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM regions "
        "WHERE ST_Contains(area, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
    )

    def work(chunk: list[dict[str, Any]]) -> None:
        with engine.connect() as conn:
            for body in chunk:
                lon, lat = body["location"]["coordinates"]
                now = datetime.now(UTC)
                with conn.begin():
                    regions = conn.execute(regions_sql, {"lon": lon, "lat": lat}).scalar()
                    params = {
                        "id": uuid.uuid4(), "eid": uuid.uuid4(), "title": body["title"],
                        "priority": body["priority"], "lon": lon, "lat": lat,
                        "regions": regions, "respond_by": now + timedelta(hours=8),
                        "resolve_by": now + timedelta(hours=24), "now": now, "actor": actor,
                    }  # fmt: skip
                    conn.execute(INSERT_TICKET, params)
                    conn.execute(INSERT_EVENT, params)

    start = time.perf_counter()
    pool = [threading.Thread(target=work, args=(c,)) for c in chunks]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    engine.dispose()
    return len(bodies) / elapsed


# --- HTTP ----------------------------------------------------------------------------------


def token_for(user_id: str, url: str) -> str:
    from backend import create_app
    from backend.accounts.models import User
    from backend.accounts.sessions import start_session
    from backend.config import Config
    from backend.db import db, utcnow

    cfg = Config(DATABASE_URL=url, SECRET_KEY=SECRET, JWT_ACCESS_TOKEN_EXPIRES=timedelta(hours=2))
    app = create_app(cfg)
    with app.app_context():
        user = db.session.get(User, uuid.UUID(user_id))
        token = start_session(user, user_agent="bench", now=utcnow())["access_token"]
        db.session.commit()
        return token


def start_server(url: str, port: int, redis_url: str | None) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET}
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    cmd = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
        "--worker-class", "gthread", "--threads", "4", "--keep-alive", "30",
        "--log-level", "warning", "backend.wsgi:app",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=str(ROOT))
    if wait_healthy(port, 60):
        return proc
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


def server_cpu_s(master_pid: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's worker processes."""
    return process_cpu_s(master_pid, itself=False)


def make_bodies(n: int, seed_value: int) -> list[dict[str, Any]]:
    r = rng(seed_value + 1)
    return [
        {
            "title": f"http {i} chiller fault",
            "priority": r.choice(("P1", "P2", "P3", "P4")),
            "location": {
                "type": "Point",
                "coordinates": [round(r.uniform(13.2, 13.55), 6), round(r.uniform(52.42, 52.6), 6)],
            },
        }
        for i in range(n)
    ]


def load_creates(
    port: int, token: str, bodies: list[dict[str, Any]], threads: int, duration: float
) -> tuple[int, float, list[float], dict[int, int]]:
    """POST tickets from ``threads`` keep-alive clients until ``duration`` or the bodies run
    out. Returns (created, elapsed, latencies_ms, status counts)."""
    lock = threading.Lock()
    it = iter(bodies)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop_at = time.perf_counter() + duration
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop_at:
            with lock:
                body = next(it, None)
            if body is None:
                break
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/tickets", json.dumps(body), headers)
                res = conn.getresponse()
                res.read()
                code = res.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                code = 0
            with lock:
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[code] = statuses.get(code, 0) + 1
        conn.close()

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    return statuses.get(201, 0), elapsed, latencies, statuses


def measure_list(port: int, token: str, samples: int, seed_value: int) -> tuple[list[float], int]:
    r = rng(seed_value + 2)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    latencies, items = [], 0
    for i in range(samples + 10):
        lon, lat = r.uniform(13.2, 13.5), r.uniform(52.42, 52.58)
        w, h = r.uniform(0.02, 0.08), r.uniform(0.01, 0.05)
        status = r.choice(("new", "assigned", "in_progress", "new,assigned"))
        query = (
            f"/api/v1/tickets?status={status}&bbox={lon:.4f},{lat:.4f},{lon + w:.4f},"
            f"{lat + h:.4f}&page_size=50"
        )
        t0 = time.perf_counter()
        conn.request("GET", query, headers=headers)
        res = conn.getresponse()
        body = res.read()
        elapsed = (time.perf_counter() - t0) * 1000
        if res.status != 200:
            raise RuntimeError(f"list answered {res.status}: {body[:300]!r}")
        if i >= 10:  # the first requests warm both workers' caches and pools
            latencies.append(elapsed)
            items += len(json.loads(body))
    conn.close()
    return latencies, items


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter load phases (< 3 min)")
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--duration", type=float, default=None, help="seconds of create load")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--list-samples", type=int, default=None)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--database-url", default=bench_database_url("api"))
    ap.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"))
    args = ap.parse_args(argv)
    duration = args.duration or (15.0 if args.quick else 60.0)
    samples = args.list_samples or (300 if args.quick else 2000)
    max_creates = int(duration * 2000)

    t0 = time.perf_counter()
    prepare_database(args.database_url)
    ids = seed(args.database_url, args.tickets, args.seed)
    log(f"database ready with {args.tickets} tickets in {time.perf_counter() - t0:.1f}s")

    bodies = make_bodies(max_creates, args.seed)
    token = token_for(ids["dispatcher_id"], args.database_url)
    port = free_port()
    server = start_server(args.database_url, port, args.redis_url)
    try:
        # Warm up both workers (imports, pools) before measuring.
        load_creates(port, token, make_bodies(40, args.seed + 7), 4, 30)
        cpu0 = server_cpu_s(server.pid)
        created, elapsed, lat, statuses = load_creates(
            port, token, bodies, args.concurrency, duration
        )
        cpu_ms_create = (server_cpu_s(server.pid) - cpu0) * 1000 / max(created, 1)
        creates_per_s = created / elapsed
        log(
            f"server CPU per create {cpu_ms_create:.1f} ms (2 workers); load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        log(
            f"HTTP creates: {created} in {elapsed:.1f}s = {creates_per_s:.0f}/s with "
            f"{args.concurrency} clients; latency p50 {percentile(lat, 50):.1f} ms, "
            f"p99 {percentile(lat, 99):.1f} ms; statuses {statuses}"
        )
        cpu0 = server_cpu_s(server.pid)
        list_lat, items = measure_list(port, token, samples, args.seed)
        cpu_ms_list = (server_cpu_s(server.pid) - cpu0) * 1000 / max(samples + 10, 1)
        log(
            f"list (status + bbox, page_size 50) x{samples}: p50 {percentile(list_lat, 50):.1f} "
            f"ms, p99 {percentile(list_lat, 99):.1f} ms, {items / max(samples, 1):.1f} items/page; "
            f"server CPU per list {cpu_ms_list:.1f} ms"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    sql_rows = max(created, 200)
    sql_per_s = sql_baseline(
        args.database_url, make_bodies(sql_rows, args.seed + 3), ids["dispatcher_id"],
        args.concurrency,
    )  # fmt: skip
    ratio = sql_per_s / creates_per_s if creates_per_s else float("inf")
    log(
        f"bare SQL insert of {sql_rows} tickets (+ audit row): {sql_per_s:.0f}/s; ratio {ratio:.2f}"
    )
    log(
        f"targets: creates/s >= 300 -> {'met' if creates_per_s >= 300 else 'MISSED'}; "
        f"list p99 <= 50 ms -> {'met' if percentile(list_lat, 99) <= 50 else 'MISSED'}"
    )
    return result_line(
        "api",
        creates_per_s=round(creates_per_s),
        list_p50_ms=round(percentile(list_lat, 50), 1),
        list_p99_ms=round(percentile(list_lat, 99), 1),
        sql_ratio=round(ratio, 2),
        server_cpu_ms_create=round(cpu_ms_create, 1),
        server_cpu_ms_list=round(cpu_ms_list, 1),
        load_avg=round(os.getloadavg()[0], 1),
    )


if __name__ == "__main__":
    main()
