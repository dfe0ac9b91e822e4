"""CPU per request of each endpoint in bench/load.py's mix, in one process, one at a time.

The load benchmark's ``cpu_ms_per_req`` is the truth for the whole server, but on a shared
machine it moves by +-20 % from run to run. This measures each request kind alone with
``time.process_time()`` through the Flask test client (no HTTP server, no concurrency) against
a database seeded by ``bench/load.py --keep-db``, so a code change can be compared per
endpoint with little noise. Run it from the tree whose code you want to measure:

    python bench/load.py --tiny --keep-db          # seeds fieldops_load (DATABASE_URL + _load)
    python bench/endpoint_cpu.py [--rounds 200]    # then drop the database yourself

Prints one line per endpoint and ``RESULT endpoint_cpu <name>_ms=...``.

CPU time on a busy 2-core machine still moves by +-30 %. ``--instructions`` counts instead
the instructions each request executes, under valgrind's callgrind (one valgrind run per
request kind, counting only the measured loop): the same code gives the same count whatever
else the machine does, so a change of a few percent is visible. ``healthz`` (the smallest
request) is measured in the same run as the baseline. Slow (~40 s a kind); use few rounds:

    python bench/endpoint_cpu.py --instructions --rounds 20
    RESULT endpoint_instr healthz_kinstr=... push_kinstr=... push_x_healthz=...
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.common import result_line  # noqa: E402
from bench.load import AREA, LOAD_LIMITS, OPEN_ASSIGNED, SECRET, default_database_url  # noqa: E402


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--only", default="", help="comma-separated request kinds to measure")
    ap.add_argument("--cprofile", default="", help="write cProfile stats to PREFIX.<kind>")
    ap.add_argument("--queries", action="store_true", help="print each request kind's SQL")
    ap.add_argument("--instructions", action="store_true", help="count instructions (callgrind)")
    ap.add_argument("--callgrind-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    url = args.database_url or default_database_url()
    if args.instructions:
        return count_instructions(args.rounds, url, args.only)

    from backend import create_app
    from backend.accounts.models import User
    from backend.accounts.sessions import start_session
    from backend.config import Config
    from backend.db import db

    # Redis as the server has it: rate limits counted there, jobs enqueued (not run inline).
    cfg = Config(DATABASE_URL=url, SECRET_KEY=SECRET, REDIS_URL=os.environ.get("REDIS_URL"))
    for key, value in LOAD_LIMITS.items():
        cfg.EXTRA[key.removeprefix("FIELDOPS_")] = value
    app = create_app(cfg)
    rng = random.Random(7)
    with app.app_context():
        qr = list(db.session.scalars(text("SELECT qr_token FROM assets")))
        dispatcher = db.session.scalar(
            text("SELECT id::text FROM users WHERE email = 'dispatcher@bench.test'")
        )
        eng, tickets = db.session.execute(
            text(
                "SELECT assignee_id::text, array_agg(id::text) FROM tickets"
                " WHERE status = ANY(:s) AND assignee_id IS NOT NULL GROUP BY assignee_id"
                " ORDER BY count(*) DESC LIMIT 1"
            ),
            {"s": list(OPEN_ASSIGNED)},
        ).one()

        def token(uid: str) -> dict[str, str]:
            # A real login session: the API checks the token's session on every request.
            user = db.session.get(User, uuid.UUID(uid))
            tokens = start_session(user, user_agent="endpoint_cpu", now=datetime.now(UTC))
            return {"Authorization": f"Bearer {tokens['access_token']}"}

        d_auth, e_auth = token(dispatcher), token(eng)
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    state: dict[str, Any] = {"cursor": None}

    def bbox() -> str:
        x0, y0, x1, y1 = AREA
        w, h = rng.uniform(0.02, 0.08), rng.uniform(0.01, 0.05)
        lon, lat = rng.uniform(x0, x1 - w), rng.uniform(y0, y1 - h)
        return f"{lon:.4f},{lat:.4f},{lon + w:.4f},{lat + h:.4f}"

    def incremental_pull() -> Any:
        q = {"limit": 100, "client_id": "cpu"}
        if state["cursor"]:
            q["cursor"] = state["cursor"]
        res = client.get("/api/v1/sync/pull", query_string=q, headers=e_auth)
        state["cursor"] = res.get_json()["cursor"]
        return res

    def push() -> Any:
        muts = [
            {
                "id": str(uuid.uuid4()),
                "name": "note.add",
                "args": {"id": str(uuid.uuid4()), "ticket_id": rng.choice(tickets), "body": "x"},
            }
            for _ in range(6)
        ]
        body = {"client_id": "cpu", "schema_version": 1, "mutations": muts}
        return client.post("/api/v1/sync/push", json=body, headers=e_auth)

    report_body = {"description": "noise", "contact_name": "CPU", "contact_phone": "+49 30 1"}
    kinds: dict[str, Callable[[], Any]] = {
        "healthz": lambda: client.get("/healthz"),
        "asset": lambda: client.get(f"/api/v1/public/assets/{rng.choice(qr)}"),
        "report": lambda: client.post(
            f"/api/v1/public/assets/{rng.choice(qr)}/reports",
            json={**report_body, "client_report_id": uuid.uuid4().hex},
        ),
        "list_status": lambda: client.get(
            "/api/v1/tickets?status=new,assigned&page_size=50", headers=d_auth
        ),
        "list_bbox": lambda: client.get(
            f"/api/v1/tickets?status=new,assigned&bbox={bbox()}&page_size=50", headers=d_auth
        ),
        "snapshot_pull": lambda: client.get(
            "/api/v1/sync/pull", query_string={"limit": 100}, headers=e_auth
        ),
        "pull": incremental_pull,
        "push": push,
    }
    statements: list[str] = []
    if args.queries:
        from sqlalchemy import event

        with app.app_context():
            engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            statements.append(statement)

    figures: dict[str, float] = {}
    for name, call in kinds.items():
        if args.only and name not in args.only.split(","):
            continue
        if args.queries:
            statements.clear()
            assert call().status_code in (200, 201), name
            print(f"[endpoint sql] {name}: {len(statements)} statements")
            for stmt in statements:
                print("    " + " ".join(stmt.split())[:160])
        for _ in range(5):  # warm caches and pools
            assert call().status_code in (200, 201), name
        profiler = None
        if args.cprofile:
            import cProfile

            # CPU time, not wall time: waiting on PostgreSQL costs the server nothing.
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
        if args.callgrind_child:
            _callgrind("on")
        start = time.process_time()
        for _ in range(args.rounds):
            res = call()
            assert res.status_code in (200, 201), (name, res.status_code, res.get_data()[:300])
        if args.callgrind_child:
            _callgrind("off")
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(f"{args.cprofile}.{name}")
        figures[f"{name}_ms"] = round((time.process_time() - start) * 1000 / args.rounds, 2)
        print(f"[endpoint cpu] {name:<14} {figures[f'{name}_ms']:7.2f} ms CPU per request")
    return result_line("endpoint_cpu", **figures)


def _callgrind(state: str) -> None:
    """Switch callgrind's counting for this process (valgrind serves the request while we
    wait for the command to return)."""
    cmd = ["callgrind_control", "-i", state, str(os.getpid())]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def count_instructions(rounds: int, url: str, only: str) -> str:
    """Each request kind in its own callgrind run; instructions per request, in thousands."""
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    wanted = [k for k in only.split(",") if k] or list(KINDS)
    unknown = set(wanted) - set(KINDS)
    if unknown:
        raise SystemExit(f"unknown request kinds {sorted(unknown)}; known: {', '.join(KINDS)}")
    if "healthz" not in wanted:
        wanted.insert(0, "healthz")  # the baseline
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="fieldops-instr-") as tmp:
        for kind in wanted:
            out = os.path.join(tmp, f"callgrind.{kind}")
            cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
            cmd += [f"--callgrind-out-file={out}", sys.executable, __file__, "--callgrind-child"]
            cmd += ["--only", kind, "--rounds", str(rounds), "--database-url", url]
            env = {**os.environ, "PYTHONMALLOC": "malloc"}  # valgrind sees every allocation
            subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # fmt: skip
            total = 0
            for name in os.listdir(tmp):
                if name.startswith(f"callgrind.{kind}"):
                    with open(os.path.join(tmp, name)) as f:
                        # "summary" stays 0 when counting was switched on late: "totals" has it
                        counts = re.findall(r"^(?:summary|totals): (\d+)", f.read(), re.M)
                    total += max((int(c) for c in counts), default=0)
            figures[f"{kind}_kinstr"] = round(total / rounds / 1000)
            print(f"[endpoint instr] {kind:<14} {figures[f'{kind}_kinstr']:>9} k instructions"
                  " per request", flush=True)  # fmt: skip
    base = figures["healthz_kinstr"] or 1
    ratios = {f"{k[:-7]}_x_healthz": round(v / base, 1) for k, v in figures.items()}
    return result_line("endpoint_instr", **figures, **ratios)


KINDS = ("healthz", "asset", "report", "list_status", "list_bbox", "snapshot_pull", "pull", "push")

if __name__ == "__main__":
    main()
