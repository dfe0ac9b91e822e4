"""Time of each KPI report (JSON and CSV export) over the raw tables at a seeded size.

Seeds ``--tickets`` tickets over 90 days (a full life cycle of audit events for most, ratings,
sign-offs, part uses, engineers with rosters, batch-plan decisions) by set-based SQL, then asks
every report for the 90 days, ungrouped and grouped by week, through the API as a dispatcher
(warm: after one cold call). The baseline in the same run is a plain ``count(*)`` of the
period's tickets (what any report must at least read). Ends with
``RESULT report_kpis ...`` (milliseconds, median of ``--repeat``).

    .venv/bin/python bench/report_kpis.py --tickets 100000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend import create_app
from backend.accounts.operations import create_user
from backend.accounts.sessions import start_session
from backend.config import Config
from backend.db import db, utcnow
from bench.common import bench_database_url, recreate_database, result_line

KINDS = ("sla", "times", "backlog", "first-fix", "workload", "customers", "parts")

SEED = """
INSERT INTO customers (id, name, created_at, updated_at)
  SELECT gen_random_uuid(), 'Customer ' || i, now(), now() FROM generate_series(1, 50) i;
INSERT INTO sites (id, customer_id, name, location, created_at, updated_at)
  SELECT gen_random_uuid(), (SELECT id FROM customers ORDER BY id OFFSET (i % 50) LIMIT 1),
         'Site ' || i, ST_SetSRID(ST_MakePoint(13.4, 52.5), 4326), now(), now()
  FROM generate_series(1, 500) i;
INSERT INTO assets (id, site_id, name, model, qr_token, created_at, updated_at)
  SELECT gen_random_uuid(), s.id, 'Asset', 'M-' || (row_number() OVER () % 12),
         md5(random()::text), now(), now()
  FROM sites s, generate_series(1, 4);
INSERT INTO tickets (id, title, description, priority, status, required_skills, asset_id,
    site_id, location, region_ids, assignee_id, source, respond_by, resolve_by, responded_at,
    resolved_at, sla_state, dispatch_flags, rejected_by, rating, created_at, updated_at, version)
SELECT gen_random_uuid(), 'Fault', '', 'P' || (1 + i % 4),
       CASE WHEN i % 10 < 8 THEN 'completed' ELSE 'in_progress' END, '{}', a.id, a.site_id,
       ST_SetSRID(ST_MakePoint(13.4, 52.5), 4326), '{}', e.id,
       CASE WHEN i % 5 = 0 THEN 'public' ELSE 'staff' END,
       c + interval '8 hours', c + interval '24 hours', c + interval '90 minutes',
       CASE WHEN i % 10 < 8 THEN c + interval '5 hours' END, 'ok', '{}', '{}',
       CASE WHEN i % 10 < 3 THEN 1 + i % 5 END, c, c, 1
FROM generate_series(1, :tickets) i
CROSS JOIN LATERAL (SELECT :start + (i * interval '90 days' / :tickets) AS c) t0
CROSS JOIN LATERAL (SELECT id, site_id FROM assets OFFSET (i % 2000) LIMIT 1) a
CROSS JOIN LATERAL (SELECT id FROM users WHERE role = 'engineer' OFFSET (i % :engineers) LIMIT 1) e;
INSERT INTO ticket_events (id, ticket_id, actor_id, action, from_status, to_status, at, via, data)
SELECT gen_random_uuid(), t.id, t.assignee_id, s.action, s.f, s.t, t.created_at + s.off, 'api',
       CASE WHEN s.action = 'assign'
            THEN jsonb_build_object('to_assignee', t.assignee_id::text) ELSE '{}' END
FROM tickets t
CROSS JOIN (VALUES ('create', NULL, 'new', interval '0'),
                   ('assign', 'new', 'assigned', interval '10 minutes'),
                   ('accept', 'assigned', 'accepted', interval '90 minutes'),
                   ('start_travel', 'accepted', 'en_route', interval '100 minutes'),
                   ('arrive', 'en_route', 'on_site', interval '140 minutes'),
                   ('start_work', 'on_site', 'in_progress', interval '150 minutes'),
                   ('complete', 'in_progress', 'completed', interval '5 hours'))
     AS s(action, f, t, off)
WHERE s.action <> 'complete' OR t.status = 'completed';
"""


def _seed(app, tickets: int, engineers: int, start: datetime) -> None:
    with app.app_context():
        for n in range(engineers):
            create_user(email=f"e{n}@bench.test", name=f"E{n}", role="engineer", password="x" * 12)
        db.session.flush()
        db.session.execute(
            text(
                "INSERT INTO engineer_profiles (user_id, skills, region_ids, home, shift_timezone,"
                " shift_days, shift_start, shift_end, status, max_open_jobs, created_at,"
                " updated_at) SELECT id, '{}', '{}', ST_SetSRID(ST_MakePoint(13.4, 52.5), 4326),"
                " 'Europe/Berlin', '{0,1,2,3,4}', '08:00', '17:00', 'available', 6, now(), now()"
                " FROM users WHERE role = 'engineer'"
            )
        )
        for stmt in SEED.split(";\n"):
            if stmt.strip():
                db.session.execute(
                    text(stmt), {"tickets": tickets, "engineers": engineers, "start": start}
                )
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--engineers", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db-url", default=bench_database_url("kpis"))
    args = ap.parse_args(argv)
    recreate_database(args.db_url)
    cfg = Config(DATABASE_URL=args.db_url, SECRET_KEY="bench-secret-key-0123456789abcdef-xyz")
    app = create_app(cfg, TESTING=True)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=90)
    t0 = time.perf_counter()
    _seed(app, args.tickets, args.engineers, start)
    print(f"seeded {args.tickets} tickets in {time.perf_counter() - t0:.1f} s", flush=True)
    with app.app_context():
        admin = create_user(email="d@bench.test", name="D", role="dispatcher", password="x" * 12)
        db.session.commit()
        token = start_session(admin, user_agent="bench", now=utcnow())["access_token"]
        db.session.commit()
        t = time.perf_counter()
        for _ in range(args.repeat):
            db.session.execute(
                text("SELECT count(*) FROM tickets WHERE created_at >= :a AND created_at < :b"),
                {"a": start, "b": end},
            ).scalar()
        baseline_ms = (time.perf_counter() - t) * 1000 / args.repeat
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    figures: dict[str, float] = {"tickets": args.tickets, "baseline_count_ms": baseline_ms}
    for kind in KINDS:
        for group_by, suffix in (("none", ""), ("week", "_week")):
            q = {"from": start.isoformat(), "to": end.isoformat(), "group_by": group_by}
            path = f"/api/v1/reports/{kind}"
            assert client.get(path, query_string=q, headers=headers).status_code == 200
            runs = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                r = client.get(path, query_string=q, headers=headers)
                runs.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.get_json()
            figures[f"{kind.replace('-', '_')}{suffix}_ms"] = statistics.median(runs)
        t = time.perf_counter()
        r = client.get(f"{path}/export", query_string={**q, "format": "xlsx"}, headers=headers)
        r.get_data()
        figures[f"{kind.replace('-', '_')}_xlsx_ms"] = (time.perf_counter() - t) * 1000
        print(f"  {kind}: {figures[f'{kind.replace(chr(45), chr(95))}_ms']:.0f} ms", flush=True)
    result_line("report_kpis", **figures)


if __name__ == "__main__":
    main()
