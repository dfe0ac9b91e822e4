"""Sync benchmark against a real, dedicated PostgreSQL database.

1. push: one ``POST /sync/push`` of N mixed mutations (transitions, notes, part consumption)
   through the HTTP stack, versus a bare-SQL baseline writing the same rows in the same run.
   The process's first push is cold (statement caches, first-use imports, a full garbage
   collection) and is printed, not counted: ``push_per_s`` is the median of ``--repeat`` such
   pushes on fresh jobs, as a running server meets them, and the baseline is a median too;
2. initial pull of an engineer scope of J jobs with children (two notes each), in pages;
3. empty incremental pull with L rows in the change log (bulk-generated with SQL): p50.

    .venv/bin/python bench/sync.py --quick      # 1,000 mutations, 10,000 jobs, 1,000,000 rows

Ends with ``RESULT sync push_per_s=<n> pull_rows_per_s=<n> empty_pull_p50_ms=<n>
push_sql_ratio=<n>`` (ratio = HTTP push time / bare SQL time for the same rows).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from backend import create_app
from backend.accounts.operations import create_user
from backend.accounts.sessions import start_session
from backend.config import Config
from backend.db import db, utcnow
from backend.sync.registry import MUTATIONS
from backend.workorders import operations as ops
from bench.common import bench_database_url, recreate_database

DEFAULT_URL = bench_database_url("sync")
STEPS = ("accept", "start_travel", "arrive")


def _token(user) -> str:
    """An access token of a real login session (tokens without one are refused)."""
    return start_session(user, user_agent="bench", now=utcnow())["access_token"]


def _user(role: str, n: int) -> Any:
    return create_user(
        email=f"{role}{n}@bench.example", name=f"{role} {n}", role=role, password="bench-pw-123"
    )


def _tickets(dispatcher, engineer, n: int, sla) -> list[Any]:
    out = []
    for i in range(n):
        t = ops.create_ticket(
            actor=dispatcher,
            title=f"bench job {i}",
            priority="P3",
            location=ops.Location(13.4, 52.52),
            sla_policy=sla,
        )
        ops.assign_ticket(t, engineer, actor=dispatcher)
        out.append(t)
    db.session.commit()
    return out


def _parts(dispatcher, engineer, use: bool = True) -> tuple[Any, Any] | None:
    if not use or "part.consume" not in MUTATIONS:
        return None
    from backend.parts import operations as parts

    part = parts.create_part(actor=dispatcher, sku=f"BENCH-{uuid.uuid4().hex[:6]}", name="Fuse")
    van = parts.van_of(engineer.id) or parts.create_location(
        actor=dispatcher, name="Van", kind="van", engineer_id=engineer.id
    )
    db.session.commit()
    return part, van


def _mutations(tickets, n: int, parts: tuple[Any, Any] | None) -> list[dict[str, Any]]:
    """Per job: accept, start_travel, arrive, a note, and a part (or a second note)."""
    muts: list[dict[str, Any]] = []
    for t in tickets:
        for action in STEPS:
            args = {"ticket_id": str(t.id), "action": action, "occurred_at": "2026-11-22T10:00Z"}
            muts.append({"id": str(uuid.uuid4()), "name": "ticket.transition", "args": args})
        note = {"id": str(uuid.uuid4()), "ticket_id": str(t.id), "body": "checked the unit"}
        muts.append({"id": str(uuid.uuid4()), "name": "note.add", "args": note})
        if parts is not None:
            part, van = parts
            args = {
                "id": str(uuid.uuid4()),
                "ticket_id": str(t.id),
                "part_id": str(part.id),
                "quantity": "1",
                "location_id": str(van.id),
            }
            muts.append({"id": str(uuid.uuid4()), "name": "part.consume", "args": args})
        else:
            note2 = {**note, "id": str(uuid.uuid4()), "body": "second note"}
            muts.append({"id": str(uuid.uuid4()), "name": "note.add", "args": note2})
    return muts[:n]


def bench_push(
    app, client, headers, dispatcher, engineer, n: int, use_parts: bool = True
) -> tuple[float, int]:
    with app.app_context():
        tickets = _tickets(dispatcher, engineer, (n + 4) // 5, app.config["SLA_POLICY"])
        parts = _parts(dispatcher, engineer, use_parts)
        muts = _mutations(tickets, n, parts)
    body = {"client_id": "bench-phone", "schema_version": 1, "mutations": muts}
    t0 = time.perf_counter()
    resp = client.post("/api/v1/sync/push", json=body, headers=headers)
    elapsed = time.perf_counter() - t0
    assert resp.status_code == 200, resp.get_json()
    statuses = [r["status"] for r in resp.get_json()["results"]]
    ok = sum(s in ("applied", "merged") for s in statuses)
    kind = "mixed" if parts else "transitions+notes only"
    print(f"push ({kind}): {n} mutations in {elapsed:.3f}s, {ok} applied/merged", flush=True)
    bad = [r for r in resp.get_json()["results"] if r["status"] not in ("applied", "merged")]
    if bad:
        print(f"  not applied (first 3): {bad[:3]}")
    return elapsed, ok


def bench_push_sql(app, dispatcher, engineer, n: int) -> float:
    """The same rows written with bare SQL, one statement per row as an app would: ticket
    update + audit event per transition, note + event per note, per part the ledger movement,
    the van's level (upsert), the usage, its audit event and the level's change-log row, plus
    the change-log and mutation rows of each mutation; one transaction."""
    with app.app_context():
        tickets = _tickets(dispatcher, engineer, (n + 4) // 5, app.config["SLA_POLICY"])
        parts = _parts(dispatcher, engineer)
        muts = _mutations(tickets, n, parts)
        raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        eng = str(engineer.id)
        t0 = time.perf_counter()
        status = {}
        for m in muts:
            a = m["args"]
            tid = a["ticket_id"]
            if m["name"] == "ticket.transition":
                to = {"accept": "accepted", "start_travel": "en_route", "arrive": "on_site"}
                frm = status.get(tid, "assigned")
                status[tid] = to[a["action"]]
                cur.execute(
                    "UPDATE tickets SET status=%s, version=version+1, updated_at=now() WHERE id=%s",
                    (status[tid], tid),
                )
                cur.execute(
                    "INSERT INTO ticket_events (id, ticket_id, actor_id, action, from_status,"
                    " to_status, at, via, data) VALUES (%s,%s,%s,%s,%s,%s,now(),'sync','{}')",
                    (str(uuid.uuid4()), tid, eng, a["action"], frm, status[tid]),
                )
                entity, eid = "tickets", tid
            elif m["name"] == "note.add":
                cur.execute(
                    "INSERT INTO notes (id, ticket_id, author_id, body, created_at, updated_at,"
                    " version) VALUES (%s,%s,%s,%s,now(),now(),1)",
                    (a["id"], tid, eng, a["body"]),
                )
                cur.execute(
                    "INSERT INTO ticket_events (id, ticket_id, actor_id, action, at, via, data)"
                    " VALUES (%s,%s,%s,'note',now(),'sync','{}')",
                    (str(uuid.uuid4()), tid, eng),
                )
                entity, eid = "notes", a["id"]
            else:
                mv = str(uuid.uuid4())
                cur.execute(
                    "INSERT INTO stock_movements (id, part_id, kind, quantity, from_location_id,"
                    " ticket_id, actor_id, via, flags, created_at) VALUES"
                    " (%s,%s,'consumption',1,%s,%s,%s,'sync','{}',now())",
                    (mv, a["part_id"], a["location_id"], tid, eng),
                )
                cur.execute(
                    "INSERT INTO stock_levels (id, part_id, location_id, engineer_id, quantity,"
                    " updated_at) VALUES (%s,%s,%s,%s,-1,now()) ON CONFLICT (part_id,"
                    " location_id) DO UPDATE SET quantity = stock_levels.quantity - 1,"
                    " updated_at = now() RETURNING id",
                    (str(uuid.uuid4()), a["part_id"], a["location_id"], eng),
                )
                (level_id,) = cur.fetchone()
                cur.execute(
                    "INSERT INTO part_usages (id, ticket_id, part_id, location_id, quantity,"
                    " engineer_id, movement_id, negative_stock, via, created_at, updated_at)"
                    " VALUES (%s,%s,%s,%s,1,%s,%s,true,'sync',now(),now())",
                    (a["id"], tid, a["part_id"], a["location_id"], eng, mv),
                )
                cur.execute(
                    "INSERT INTO ticket_events (id, ticket_id, actor_id, action, at, via, data)"
                    " VALUES (%s,%s,%s,'part_used',now(),'sync','{}')",
                    (str(uuid.uuid4()), tid, eng),
                )
                cur.execute(
                    "INSERT INTO sync_changes (entity, entity_id, op, engineers)"
                    " VALUES ('stock_levels',%s,'u',ARRAY[%s]::uuid[])",
                    (level_id, eng),
                )
                entity, eid = "part_usages", a["id"]
            cur.execute(
                "INSERT INTO sync_changes (entity, entity_id, op, ticket_id, engineers)"
                " VALUES (%s,%s,'u',%s,ARRAY[%s]::uuid[])",
                (entity, eid, tid, eng),
            )
            cur.execute(
                "INSERT INTO sync_mutations (id, user_id, client_id, name, status, result, args,"
                " created_at) VALUES (%s,%s,'sql',%s,'applied','{}','{}',now())",
                (m["id"], eng, m["name"]),
            )
        raw.commit()
        elapsed = time.perf_counter() - t0
    finally:
        raw.close()
    print(f"bare SQL: same {n} mutations' rows in {elapsed:.3f}s", flush=True)
    return elapsed


def seed_scope(app, engineer, jobs: int, log_rows: int) -> None:
    """Bulk SQL: ``log_rows`` change-log rows of other engineers, and ``jobs`` tickets with
    two notes each assigned to ``engineer`` (the initial pull reads them as a snapshot)."""
    with app.app_context():
        conn = db.session.connection()
        t0 = time.perf_counter()
        conn.execute(
            text(
                "INSERT INTO sync_changes (entity, entity_id, op, ticket_id, engineers)"
                " SELECT 'tickets', gen_random_uuid(), 'u', NULL, ARRAY[gen_random_uuid()]"
                " FROM generate_series(1, :n)"
            ),
            {"n": log_rows},
        )
        conn.execute(
            text(
                "INSERT INTO tickets (id, title, description, priority, status, required_skills,"
                " location, region_ids, assignee_id, assigned_at, source, respond_by, resolve_by,"
                " sla_state, dispatch_flags, rejected_by, created_at, updated_at, version)"
                " SELECT gen_random_uuid(), 'bulk job ' || g, '', 'P3', 'assigned', '{}',"
                " ST_SetSRID(ST_MakePoint(13.4, 52.52), 4326), '{}', :e, now(), 'staff',"
                " now() + interval '8 hours', now() + interval '24 hours', 'ok', '{}', '{}',"
                " now(), now(), 1 FROM generate_series(1, :n) AS g"
            ),
            {"e": engineer.id, "n": jobs},
        )
        conn.execute(
            text(
                "INSERT INTO notes (id, ticket_id, author_id, body, created_at, updated_at,"
                " version) SELECT gen_random_uuid(), t.id, :e, 'note ' || k, now(), now(), 1"
                " FROM tickets t CROSS JOIN generate_series(1, 2) AS k WHERE t.assignee_id = :e"
            ),
            {"e": engineer.id},
        )
        db.session.commit()
        conn = db.session.connection()
        conn.execute(text("ANALYZE sync_changes; ANALYZE tickets; ANALYZE notes"))
        db.session.commit()
        print(
            f"seeded {log_rows} change-log rows and {jobs} jobs x 2 notes in "
            f"{time.perf_counter() - t0:.1f}s",
            flush=True,
        )


def bench_pull(client, headers, page: int) -> tuple[float, int, str]:
    cursor, rows, pages = None, 0, 0
    t0 = time.perf_counter()
    while True:
        params: dict[str, Any] = {"limit": page}
        if cursor:
            params["cursor"] = cursor
        resp = client.get("/api/v1/sync/pull", query_string=params, headers=headers)
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        rows += sum(len(c["upserts"]) + len(c["removes"]) for c in body["changes"].values())
        cursor, pages = body["cursor"], pages + 1
        if not body["has_more"]:
            break
    elapsed = time.perf_counter() - t0
    print(f"initial pull: {rows} rows in {pages} pages of {page} in {elapsed:.2f}s", flush=True)
    return elapsed, rows, cursor


def bench_empty_pull(app, client, headers, engineer, cursor: str, n: int) -> tuple[float, float]:
    http, direct = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        resp = client.get(
            "/api/v1/sync/pull", query_string={"cursor": cursor, "limit": 500}, headers=headers
        )
        http.append(time.perf_counter() - t0)
        body = resp.get_json()
        assert resp.status_code == 200 and not body["has_more"]
        assert all(not c["upserts"] for c in body["changes"].values())
        cursor = body["cursor"]
    from backend.sync.pull import pull

    with app.app_context():
        user = db.session.merge(engineer)
        for _ in range(n):
            t0 = time.perf_counter()
            pull(user, cursor, 500)
            db.session.commit()
            direct.append(time.perf_counter() - t0)
    h, d = statistics.median(http) * 1000, statistics.median(direct) * 1000
    print(f"empty incremental pull: p50 {h:.2f} ms over HTTP, {d:.2f} ms in-process", flush=True)
    return h, d


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the issue's sizes (< 5 minutes)")
    ap.add_argument("--db-url", default=DEFAULT_URL)
    ap.add_argument("--mutations", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="warm pushes (and baselines) timed")
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--log-rows", type=int, default=1_000_000)
    ap.add_argument("--page", type=int, default=1000)
    ap.add_argument("--empty-pulls", type=int, default=200)
    ap.add_argument("--seed", type=int, default=4)
    args = ap.parse_args(argv)
    random.seed(args.seed)

    recreate_database(args.db_url)
    cfg = Config(DATABASE_URL=args.db_url, SECRET_KEY="bench-secret-key-0123456789abcdef-xyz")
    app = create_app(cfg, MAX_JSON_BYTES=8 * 1024 * 1024, TESTING=True)
    client = app.test_client()
    with app.app_context():
        dispatcher = _user("dispatcher", 1)
        pusher, puller = _user("engineer", 1), _user("engineer", 2)
        db.session.commit()
        push_headers = {"Authorization": f"Bearer {_token(pusher)}"}
        pull_headers = {"Authorization": f"Bearer {_token(puller)}"}
        db.session.commit()

    cold_s, _ = bench_push(app, client, push_headers, dispatcher, pusher, args.mutations)
    print(f"  (cold: the process's first push, {args.mutations / cold_s:.1f} mutations/s)")
    warm = [
        bench_push(app, client, push_headers, dispatcher, pusher, args.mutations)
        for _ in range(args.repeat)
    ]
    push_s, applied = statistics.median(w[0] for w in warm), min(w[1] for w in warm)
    sql_s = statistics.median(
        bench_push_sql(app, dispatcher, pusher, args.mutations) for _ in range(args.repeat)
    )
    # Informational: the same push without part.consume (the parts feature's share).
    no_parts_s, _ = bench_push(
        app, client, push_headers, dispatcher, pusher, args.mutations, use_parts=False
    )
    seed_scope(app, puller, args.jobs, args.log_rows)
    pull_s, rows, cursor = bench_pull(client, pull_headers, args.page)
    http_p50, direct_p50 = bench_empty_pull(
        app, client, pull_headers, puller, cursor, args.empty_pulls
    )
    result = {
        "push_per_s": round(args.mutations / push_s, 1),
        "pull_rows_per_s": round(rows / pull_s, 1),
        "empty_pull_p50_ms": round(http_p50, 2),
        "push_sql_ratio": round(push_s / sql_s, 2),
    }
    print("targets: push >= 500/s, pull >= 5000 rows/s, empty pull p50 <= 5 ms (HTTP incl. auth)")
    print(f"(in-process empty pull p50 {direct_p50:.2f} ms; {applied} mutations applied;")
    print(f" push without part.consume: {args.mutations / no_parts_s:.1f} mutations/s)")
    print("RESULT sync " + " ".join(f"{k}={v}" for k, v in result.items()), flush=True)
    db.engine.dispose()
    return result


if __name__ == "__main__":
    main()
