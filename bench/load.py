"""Load benchmark: the whole product under a realistic user mix, and what each request costs
the server in CPU.

Steps (seeded; only loopback; bounded in time and in request count):

1. A database of its own, named after ``DATABASE_URL``'s with ``_load`` appended (or
   ``--database-url``): created, migrated, seeded with the Berlin demo (QR-labelled assets,
   demo accounts) plus ``--tickets`` bulk tickets assigned to 50 engineers; dropped at the end.
2. gunicorn as in production (``infra/gunicorn.conf.py``, 2 workers, gthread, JSON access log
   to a temporary file), and an rq worker, both on that database and on ``REDIS_URL``'s Redis
   (rate-limit counters and jobs, as in production; without Redis jobs run inline).
   The public endpoints' per-IP rate limits are raised for the run through their documented
   settings (``FIELDOPS_PUBLIC_*_LIMIT_*``): every simulated customer comes from 127.0.0.1.
   The limits stay switched on (and cost what they cost); the output says so.
3. locust, headless, ``bench/locustfile.py``: customers 40 %, dispatchers 30 %, engineers 30 %
   with 1-3 s think time (FastHttpUser: the load generator shares the 2 cores).
4. gunicorn's CPU time (master + workers, user + system, from /proc/<pid>/stat) before and
   after the load, divided by the requests answered: **server CPU ms per request**, the figure
   that does not depend on what else the machine is doing. Target: <= 4 ms in this mix.

    python bench/load.py [--quick | --tiny] [--users N] [--duration S] [--profile FILE]
                         [--log-dir DIR] [--keep-db]

Ends with ``RESULT load rps=... p99_ms=... cpu_ms_per_req=... errors=...``.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.common import (  # noqa: E402
    free_port,
    process_cpu_s,
    process_cpu_split_s,
    result_line,
    wait_healthy,
)

SECRET = "load-bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
SUFFIX = "_load"
AREA = (13.20, 52.42, 13.55, 52.60)  # where the dispatchers' viewports wander
OPEN_ASSIGNED = ("assigned", "accepted", "en_route", "on_site", "in_progress", "on_hold")
# The anonymous endpoints' limits for this run (defaults: backend/config.py). Raised, not
# removed: the limiter still counts every request in Redis, as in production.
LOAD_LIMITS = {
    "FIELDOPS_PUBLIC_READ_LIMIT_PER_IP": "1000000 per minute",
    "FIELDOPS_PUBLIC_REPORT_LIMIT_PER_IP": "1000000 per hour",
    "FIELDOPS_PUBLIC_REPORT_LIMIT_PER_TOKEN": "1000000 per hour",
}
MODES = {  # users, spawn rate /s, seconds of load, bulk tickets, max tasks per user
    "tiny": (6, 6, 6, 300, 20),
    "quick": (150, 30, 40, 20_000, 200),
    "full": (1000, 50, 150, 100_000, 400),
}


def log(msg: str) -> None:
    print(f"[bench load] {msg}", flush=True)


def default_database_url() -> str:
    base = make_url(
        os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/fieldops")
    )
    return base.set(database=f"{base.database}{SUFFIX}").render_as_string(hide_password=False)


# --- database ------------------------------------------------------------------------------


def prepare_database(url: str) -> None:
    """Create and migrate. A database of this name is this bench's own (``_load``): one left
    behind by an interrupted run is replaced; any other name must not exist yet."""
    from backend.migrate import create_database, upgrade

    name = make_url(url).database or ""
    if not name.endswith(SUFFIX) and _exists(url):
        raise SystemExit(f"{name} exists and is not a {SUFFIX} database: refusing to touch it")
    create_database(url, drop_first=name.endswith(SUFFIX))
    upgrade(url)


def _exists(url: str) -> bool:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"))
    try:
        with admin.connect() as conn:
            return bool(
                conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
                )
            )
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, n_tickets: int, seed_value: int) -> dict[str, Any]:
    """The demo estate (assets with QR labels, through the real operations) plus bulk tickets
    (COPY, as bench/api.py); returns what the simulated users need, with their tokens."""
    from backend import create_app
    from backend.accounts.models import User
    from backend.accounts.sessions import start_session
    from backend.config import Config
    from backend.db import db, utcnow
    from backend.jobs import run_ready_jobs
    from backend.seed import seed_demo
    from bench.api import seed as bulk_seed

    # Tokens outlive the run: a simulated user never refreshes.
    cfg = Config(DATABASE_URL=url, SECRET_KEY=SECRET, JWT_ACCESS_TOKEN_EXPIRES=timedelta(hours=3))
    app = create_app(cfg)
    with app.app_context():
        seed_demo(app.config["SLA_POLICY"])
        db.session.commit()
        run_ready_jobs()
    ids = bulk_seed(url, n_tickets, seed_value)
    engine = create_engine(url)
    with engine.connect() as conn:
        qr = list(conn.scalars(text("SELECT qr_token FROM assets ORDER BY qr_token")))
        rows = conn.execute(
            text(
                "SELECT assignee_id::text, array_agg(id::text ORDER BY id) FROM tickets"
                " WHERE status = ANY(:open) AND assignee_id IS NOT NULL"
                " GROUP BY assignee_id ORDER BY assignee_id"
            ),
            {"open": list(OPEN_ASSIGNED)},
        ).all()
    engine.dispose()
    with app.app_context():

        def token(user_id: str, role: str) -> str:
            """An access token of a real session (the server checks the session per request)."""
            user = db.session.get(User, uuid.UUID(user_id))
            assert user is not None and user.role == role, (user_id, role)
            pair = start_session(user, user_agent="bench-load", now=utcnow())
            db.session.commit()
            return str(pair["access_token"])

        engineers = [
            {"token": token(uid, "engineer"), "tickets": tickets[:200]} for uid, tickets in rows
        ]
        dispatcher = token(ids["dispatcher_id"], "dispatcher")
    db.session.remove()
    return {
        "seed": seed_value,
        "qr_tokens": qr,
        "dispatcher_token": dispatcher,
        "engineers": engineers,
        "area": AREA,
    }


# --- processes -----------------------------------------------------------------------------


def server_env(url: str, redis_url: str | None, port: int) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, **LOAD_LIMITS}
    env.update({"BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"})
    env.pop("REDIS_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn makes its own
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_server(env: dict[str, str], port: int, access_log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "-c", "infra/gunicorn.conf.py"]
    cmd += ["--no-control-socket", "backend.wsgi:app"]
    with access_log.open("wb") as sink:
        proc = subprocess.Popen(cmd, env=env, cwd=str(ROOT), stdout=sink, stderr=subprocess.STDOUT)
    if wait_healthy(port, 120, proc):
        return proc
    if proc.poll() is not None:
        raise RuntimeError("gunicorn exited:\n" + access_log.read_text()[-3000:])
    stop(proc)
    raise RuntimeError("gunicorn did not start")


WORKER_CODE = (
    "import os; from redis import Redis; from rq import Worker;"
    "from backend.jobs import QUEUES; from backend.logs import configure_logging;"
    "configure_logging('WARNING');"
    "Worker(list(QUEUES), connection=Redis.from_url(os.environ['REDIS_URL']))"
    ".work(with_scheduler=False)"
)


def start_worker(env: dict[str, str], log_file: Path) -> subprocess.Popen:
    """A plain rq worker (no periodic SLA/purge chains: they would outlive the run)."""
    with log_file.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER_CODE],
            env=env,
            cwd=str(ROOT),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def stop(proc: subprocess.Popen | None, timeout: float = 30) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its children (gunicorn: master + workers)."""
    return process_cpu_s(pid)


def reaped_cpu_s(pid: int) -> float:
    """CPU seconds of ``pid`` with its waited-for children (an rq worker forks one per job)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return sorted(pids)


def warm_up(port: int, data: dict[str, Any]) -> None:
    """Touch every endpoint of the mix on both workers (imports, pools, caches) first."""
    dispatcher = {"Authorization": f"Bearer {data['dispatcher_token']}"}
    engineer = {"Authorization": f"Bearer {data['engineers'][0]['token']}"}
    paths = [
        ("/api/v1/tickets?status=new&page_size=50", dispatcher),
        (f"/api/v1/public/assets/{data['qr_tokens'][0]}", {}),
        ("/api/v1/sync/pull?limit=100&client_id=warm-up", engineer),
    ]
    for _ in range(6):
        for path, headers in paths:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", path, headers={**headers, "Connection": "close"})
            res = c.getresponse()
            res.read()
            if res.status != 200:
                raise RuntimeError(f"warm-up {path} answered {res.status}")
            c.close()


def run_locust(
    port: int, data_file: Path, out: Path, users: int, rate: int, seconds: int, max_tasks: int
) -> dict[str, Any]:
    prefix = out / "locust"
    env = {**os.environ, "FIELDOPS_LOAD_DATA": str(data_file)}
    env["FIELDOPS_LOAD_MAX_TASKS"] = str(max_tasks)
    cmd = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"),
        "--headless", "-u", str(users), "-r", str(rate), "-t", f"{seconds}s",
        "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
        "--stop-timeout", "5", "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=seconds + 120
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"locust failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="") as f:
            failures = list(csv.DictReader(f))
    return {"rows": rows, "failures": failures, "wall_s": wall}


def run_profile(pid: int, seconds: int, out: Path) -> subprocess.Popen:
    """py-spy on one gunicorn worker while the load runs (speedscope JSON). ``--gil``: only
    samples holding the GIL, i.e. Python using CPU, not threads waiting on PostgreSQL."""
    cmd = ["py-spy", "record", "-p", str(pid), "-d", str(seconds), "-r", "200"]
    cmd += ["--format", "speedscope", "-o", str(out), "--nonblocking", "--gil"]
    return subprocess.Popen(
        [str(Path(sys.executable).parent / cmd[0]), *cmd[1:]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# --- report --------------------------------------------------------------------------------


def _f(row: dict[str, str], key: str) -> float:
    value = row.get(key, "") or "0"
    return float(value) if value != "N/A" else float("nan")


def report(
    stats: dict[str, Any], cpu: float, worker_cpu: float | None, kernel: float | None = None
) -> str:
    rows = stats["rows"]
    total = next(r for r in rows if r["Name"] == "Aggregated")
    log(f"{'endpoint':<44}{'reqs':>7}{'fail':>6}{'p50':>7}{'p95':>7}{'p99':>7}  (ms)")
    for r in rows:
        if r["Name"] == "Aggregated":
            continue
        log(
            f"{r['Type'] + ' ' + r['Name']:<44}{int(_f(r, 'Request Count')):>7}"
            f"{int(_f(r, 'Failure Count')):>6}{_f(r, '50%'):>7.0f}{_f(r, '95%'):>7.0f}"
            f"{_f(r, '99%'):>7.0f}"
        )
    for failure in stats["failures"][:10]:
        log(f"failure x{failure['Occurrences']}: {failure['Method']} {failure['Name']}: "
            f"{failure['Error'][:200]}")  # fmt: skip
    requests = int(_f(total, "Request Count"))
    errors = int(_f(total, "Failure Count"))
    rps = _f(total, "Requests/s")
    cpu_ms = cpu * 1000 / max(requests, 1)
    log(
        f"{requests} requests, {errors} errors, {rps:.1f} req/s; p50 {_f(total, '50%'):.0f} ms,"
        f" p95 {_f(total, '95%'):.0f} ms, p99 {_f(total, '99%'):.0f} ms"
    )
    log(
        f"server CPU {cpu:.1f} s (gunicorn master + 2 workers) = {cpu_ms:.2f} ms per request"
        " (target <= 4)"
    )
    if kernel is not None:
        log(
            f"  of which system (kernel) time {kernel:.1f} s = "
            f"{kernel * 1000 / max(requests, 1):.2f} ms per request"
        )
    if worker_cpu is not None:
        log(f"rq worker CPU {worker_cpu:.1f} s (jobs after commit; not in the figure above)")
    return result_line(
        "load",
        rps=round(rps, 1),
        p50_ms=round(_f(total, "50%")),
        p95_ms=round(_f(total, "95%")),
        p99_ms=round(_f(total, "99%")),
        cpu_ms_per_req=round(cpu_ms, 2),
        requests=requests,
        errors=errors,
    )


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="~1 min of load (make bench)")
    mode.add_argument("--tiny", action="store_true", help="a few seconds, a few users (tests)")
    ap.add_argument("--users", type=int, default=None)
    ap.add_argument("--spawn-rate", type=int, default=None)
    ap.add_argument("--duration", type=int, default=None, help="seconds of load")
    ap.add_argument("--tickets", type=int, default=None, help="bulk tickets to seed")
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    ap.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    ap.add_argument("--profile", type=Path, default=None, help="py-spy speedscope file")
    ap.add_argument("--log-dir", type=Path, default=None, help="keep gunicorn/worker logs here")
    args = ap.parse_args(argv)
    name = "tiny" if args.tiny else "quick" if args.quick else "full"
    users, rate, seconds, tickets, max_tasks = MODES[name]
    users = args.users or users
    rate = args.spawn_rate or min(rate, users)
    seconds = args.duration or seconds
    tickets = args.tickets if args.tickets is not None else tickets
    url = args.database_url or default_database_url()

    log(f"mode {name}: {users} users (+{rate}/s) for {seconds} s, at most {max_tasks} tasks each;"
        f" database {make_url(url).database}, {tickets} bulk tickets")  # fmt: skip
    log("rate limits for this run (kept on, raised for one client address): "
        + ", ".join(f"{k}={v!r}" for k, v in LOAD_LIMITS.items()))  # fmt: skip
    if not args.redis_url:
        log("no REDIS_URL: jobs run inline in gunicorn and rate limits count in memory")
    tmp = Path(tempfile.mkdtemp(prefix="fieldops-load-"))
    server = worker = None
    created_db = False
    try:
        t0 = time.perf_counter()
        prepare_database(url)
        created_db = True
        data = seed(url, tickets, args.seed)
        data_file = tmp / "data.json"
        data_file.write_text(json.dumps(data))
        log(f"database ready in {time.perf_counter() - t0:.1f} s: {len(data['qr_tokens'])} QR"
            f" labels, {len(data['engineers'])} engineers with open jobs")  # fmt: skip

        port = free_port()
        env = server_env(url, args.redis_url, port)
        server = start_server(env, port, tmp / "gunicorn.log")
        if args.redis_url:
            worker = start_worker(env, tmp / "worker.log")
        warm_up(port, data)
        profiler = None
        if args.profile:
            profiler = run_profile(worker_pids(server.pid)[0], seconds, args.profile)
        cpu0 = cpu_s(server.pid)
        sys0 = process_cpu_split_s(server.pid)[1]
        wcpu0 = reaped_cpu_s(worker.pid) if worker else 0.0
        stats = run_locust(port, data_file, tmp, users, rate, seconds, max_tasks)
        cpu = cpu_s(server.pid) - cpu0
        kernel = process_cpu_split_s(server.pid)[1] - sys0
        worker_cpu = reaped_cpu_s(worker.pid) - wcpu0 if worker else None
        if profiler is not None:
            profiler.wait(timeout=60)
            log(f"profile of worker written to {args.profile} (speedscope)")
        return report(stats, cpu, worker_cpu, kernel)
    finally:
        stop(server)
        stop(worker)
        if args.log_dir:
            args.log_dir.mkdir(parents=True, exist_ok=True)
            for name in ("gunicorn.log", "worker.log"):
                if (tmp / name).exists():
                    shutil.copy(tmp / name, args.log_dir / name)
        shutil.rmtree(tmp, ignore_errors=True)
        if created_db and not args.keep_db:
            drop_database(url)


if __name__ == "__main__":
    main()
