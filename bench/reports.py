"""Reports benchmark: the Insights screen's KPI requests from the rollups against the same
numbers by plain GROUP BY over the raw tables, at a large company's volume, in one run.

1. generate (SQL, generate_series, seeded): ``--tickets`` tickets over ``--days`` days (about
   eight audit events each: create, assign, accept, travel, arrive, start, complete, close; a
   tenth reassigned, 4 % cancelled, the last days' work still open), ``--engineers``
   engineers, 12 regions, customers with sites and assets of 40 models;
2. build the rollups from scratch (the first catch-up) and time it;
3. the Insights screen's requests: SLA, Times and Backlog over the last 90 days, grouped by
   region and by week (six requests, 12 KPIs): cold (first request on a new connection pool;
   PostgreSQL's cache as the generation left it) and warm (``--repeat`` rounds) through the
   HTTP stack, and the same reports by the reference SQL over the raw tables (the baseline,
   ``--raw-repeat`` rounds); both answers must be equal;
4. catch-up cost: ``--catchup-rounds`` rounds of 10,000 new events (2,500 recent closed jobs
   reopened, worked, completed and closed again, with their ticket rows and change-log rows, as
   the operations write them), each followed by a timed catch-up.

    .venv/bin/python bench/reports.py --quick                 # 20,000 tickets, a minute
    .venv/bin/python bench/reports.py                         # 1,000,000 tickets, ~8M events

Beside the screen (as functions, not HTTP): first-time fix and customers by region and week,
and workload by region, week and engineer, each against its reference SQL.

Ends with ``RESULT reports p95_ms=<warm p95 per request> speedup_vs_raw=<raw time / rollup
time, the screen's six requests summed> catchup_ms_per_10k=<median per 10,000 events>``, then
``mismatches``, ``more_p95_ms``/``more_speedup_vs_raw`` (first-time fix and customers) and
``workload_p95_ms``/``workload_speedup_vs_raw``.
Targets: p95 <= 150 ms, speedup >= 20, catch-up <= 1000 ms per 10,000 events.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text

from backend import create_app
from backend.accounts.models import User
from backend.accounts.operations import create_user
from backend.accounts.sessions import start_session
from backend.config import Config
from backend.db import db, utcnow
from backend.reports import customers, first_fix, queries, served, served_workload, workload
from backend.reports.filters import ReportFilter
from backend.reports.scope import KpiFilter
from backend.reports.tasks import catch_up_now
from bench.common import bench_database_url, percentile, recreate_database, result_line

DEFAULT_URL = bench_database_url("reports")
SCREEN = [(kind, group) for kind in ("sla", "times", "backlog") for group in ("region", "week")]
# Not on the Insights screen, rolled up too: measured beside it (same period and groups).
MORE_COHORT = [(kind, group) for kind in ("first-fix", "customers") for group in ("region", "week")]
MORE_WORKLOAD = [("workload", group) for group in ("region", "week", "engineer")]
MORE = MORE_COHORT + MORE_WORKLOAD
WINDOW = timedelta(days=30)
AT_RISK_FRACTION = 0.75

# Per-ticket draws (one statement, no parallel workers, after setseed: the same data per seed).
PARAMS_SQL = """
CREATE TABLE bench_g AS
SELECT n, gen_random_uuid() AS id,
  CAST(:t0 AS timestamptz) + (n::float8 / :tickets) * (:days * interval '1 day')
    + random() * interval '1 hour' AS created_at,
  (ARRAY['P1','P2','P3','P4'])[1 + floor(random() * 4)::int] AS priority,
  floor(random() * :regions)::int AS region_k, random() AS r_region,
  floor(random() * :engineers)::int AS eng_k, floor(random() * :engineers)::int AS eng2_k,
  floor(random() * :assets)::int AS asset_k, random() AS r_asset,
  random() AS r_status, random() AS r_reassign,
  interval '1 minute' * (1 + random() * 120) AS d_assign,
  interval '1 minute' * (1 + random() * 90) AS d_accept,
  interval '1 minute' * (random() * 30) AS d_travel,
  interval '1 minute' * (10 + random() * 110) AS d_arrive,
  interval '1 minute' * (1 + random() * 14) AS d_work,
  interval '1 minute' * (20 + random() * 460) AS d_complete,
  interval '1 minute' * (60 + random() * 2820) AS d_close
FROM generate_series(1, :tickets) AS n
"""

MILESTONES_SQL = """
CREATE TABLE bench_m AS
SELECT g.*, a AS assign_at, a + d_accept AS accept_at, a + d_accept + d_travel AS travel_at,
  a + d_accept + d_travel + d_arrive AS arrive_at,
  a + d_accept + d_travel + d_arrive + d_work AS work_at,
  a + d_accept + d_travel + d_arrive + d_work + d_complete AS complete_at,
  a + d_accept + d_travel + d_arrive + d_work + d_complete + d_close AS close_at,
  a + interval '30 minutes' AS cancel_at
FROM bench_g g CROSS JOIN LATERAL (SELECT g.created_at + g.d_assign AS a) x
"""

TICKETS_SQL = """
INSERT INTO tickets (id, title, description, priority, status, required_skills, location,
  region_ids, assignee_id, assigned_at, site_id, asset_id, source, respond_by, resolve_by,
  responded_at, resolved_at, sla_state, dispatch_flags, rejected_by, created_at, updated_at,
  version)
SELECT m.id, 'bench job ' || m.n, '', m.priority, s.status, '{}',
  ST_SetSRID(ST_MakePoint(13.4, 52.52), 4326),
  CASE WHEN m.r_region < 0.03 THEN '{}'::uuid[] ELSE ARRAY[r.id] END,
  CASE WHEN s.status <> 'new' THEN e.id END, CASE WHEN s.status <> 'new' THEN m.assign_at END,
  CASE WHEN m.r_asset < 0.6 THEN a.site_id END, CASE WHEN m.r_asset < 0.6 THEN a.id END,
  'staff',
  m.created_at + CASE m.priority WHEN 'P1' THEN interval '1 hour' WHEN 'P2' THEN interval '2 hours'
    WHEN 'P3' THEN interval '4 hours' ELSE interval '8 hours' END,
  m.created_at + CASE m.priority WHEN 'P1' THEN interval '4 hours' WHEN 'P2' THEN interval '8 hours'
    WHEN 'P3' THEN interval '24 hours' ELSE interval '72 hours' END,
  CASE WHEN m.accept_at <= :now AND s.status <> 'cancelled' THEN m.accept_at END,
  CASE WHEN s.status IN ('completed', 'closed') THEN m.complete_at END,
  'ok', '{}', '{}', m.created_at, m.created_at, 1
FROM bench_m m
JOIN bench_regions r ON r.k = m.region_k
JOIN bench_engineers e ON e.k = m.eng_k
JOIN bench_assets a ON a.k = m.asset_k
CROSS JOIN LATERAL (SELECT CASE
  WHEN m.r_status < 0.04 AND m.cancel_at <= :now THEN 'cancelled'
  WHEN m.close_at <= :now AND m.r_status >= 0.08 THEN 'closed'
  WHEN m.complete_at <= :now THEN 'completed'
  WHEN m.work_at <= :now THEN 'in_progress'
  WHEN m.arrive_at <= :now THEN 'on_site'
  WHEN m.travel_at <= :now THEN 'en_route'
  WHEN m.accept_at <= :now THEN 'accepted'
  WHEN m.assign_at <= :now THEN 'assigned'
  ELSE 'new' END AS status) s
"""

EVENTS_SQL = """
INSERT INTO ticket_events (id, ticket_id, actor_id, action, from_status, to_status, at, via,
  data)
SELECT gen_random_uuid(), m.id, NULL, v.action, v.from_s, v.to_s, v.at, 'api',
  CASE WHEN v.to_assignee IS NULL THEN '{}'::jsonb
       ELSE jsonb_build_object('to_assignee', v.to_assignee) END
FROM bench_m m JOIN tickets t ON t.id = m.id
JOIN bench_engineers e1 ON e1.k = m.eng_k
JOIN bench_engineers e2 ON e2.k = m.eng2_k
CROSS JOIN LATERAL (VALUES
  ('create', NULL, 'new', m.created_at, true, NULL),
  ('assign', 'new', 'assigned', m.assign_at, true,
     CASE WHEN m.r_reassign < 0.1 THEN e2.id ELSE e1.id END::text),
  ('cancel', 'assigned', 'cancelled', m.cancel_at, t.status = 'cancelled', NULL),
  ('assign', 'assigned', 'assigned', m.assign_at + m.d_accept / 2,
     m.r_reassign < 0.1 AND t.status <> 'cancelled', e1.id::text),
  ('accept', 'assigned', 'accepted', m.accept_at, t.status <> 'cancelled', NULL),
  ('start_travel', 'accepted', 'en_route', m.travel_at, t.status <> 'cancelled', NULL),
  ('arrive', 'en_route', 'on_site', m.arrive_at, t.status <> 'cancelled', NULL),
  ('start_work', 'on_site', 'in_progress', m.work_at, t.status <> 'cancelled', NULL),
  ('complete', 'in_progress', 'completed', m.complete_at, t.status <> 'cancelled', NULL),
  ('close', 'completed', 'closed', m.close_at, t.status = 'closed', NULL)
) AS v(action, from_s, to_s, at, applies, to_assignee)
WHERE v.applies AND v.at <= :now
"""

# 10,000 new events: 2,500 recent closed jobs reopened, worked, completed and closed again.
NEW_EVENTS_SQL = """
WITH picked AS (
  SELECT id FROM tickets
  WHERE status = 'closed' AND created_at >= :since AND created_at < :until
  ORDER BY md5(id::text || :round) LIMIT :n
), upd AS (
  UPDATE tickets t SET resolved_at = :now + interval '2 hours', updated_at = :now,
    version = t.version + 1
  FROM picked p WHERE t.id = p.id RETURNING t.id
), ev AS (
  INSERT INTO ticket_events (id, ticket_id, action, from_status, to_status, at, via, data)
  SELECT gen_random_uuid(), u.id, v.action, v.f, v.t, :now + v.after, 'api', '{}'
  FROM upd u CROSS JOIN (VALUES
    ('reopen', 'closed', 'assigned', interval '0'),
    ('start_work', 'accepted', 'in_progress', interval '1 hour'),
    ('complete', 'in_progress', 'completed', interval '2 hours'),
    ('close', 'completed', 'closed', interval '3 hours')) AS v(action, f, t, after)
  RETURNING ticket_id
)
INSERT INTO sync_changes (entity, entity_id, op, ticket_id)
SELECT 'tickets', ticket_id, 'u', ticket_id FROM ev
"""


def generate(url: str, args: argparse.Namespace, now: datetime) -> None:
    engine = create_engine(url)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        conn.execute(text("SELECT setseed(:s)"), {"s": (args.seed % 1000) / 1000})
        conn.execute(
            text(
                "CREATE TABLE bench_regions AS SELECT k, gen_random_uuid() AS id"
                " FROM generate_series(0, :n - 1) AS k"
            ),
            {"n": args.regions},
        )
        conn.execute(
            text(
                "INSERT INTO users (id, email, name, role, password_hash, is_active,"
                " created_at, updated_at) SELECT gen_random_uuid(), 'eng' || k ||"
                " '@bench.example', 'Engineer ' || k, 'engineer', 'x', true, now(), now()"
                " FROM generate_series(1, :n) AS k"
            ),
            {"n": args.engineers},
        )
        conn.execute(
            text(
                "CREATE TABLE bench_engineers AS SELECT row_number() OVER (ORDER BY email) - 1"
                " AS k, id FROM users WHERE role = 'engineer'"
            )
        )
        conn.execute(
            text(
                "INSERT INTO customers (id, name, created_at, updated_at)"
                " SELECT gen_random_uuid(), 'Customer ' || k, now(), now()"
                " FROM generate_series(1, :n) AS k"
            ),
            {"n": args.customers},
        )
        conn.execute(
            text(
                "INSERT INTO sites (id, customer_id, name, location, created_at, updated_at)"
                " SELECT gen_random_uuid(), c.id, c.name || ' site',"
                " ST_SetSRID(ST_MakePoint(13.4, 52.52), 4326), now(), now() FROM customers c"
            )
        )
        conn.execute(
            text(
                "INSERT INTO assets (id, site_id, name, model, qr_token, created_at, updated_at)"
                " SELECT gen_random_uuid(), s.id, 'asset ' || k, 'Model ' || (k % 40),"
                " md5(s.id::text || k), now(), now()"
                " FROM sites s CROSS JOIN generate_series(1, 3) AS k"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE bench_assets AS SELECT row_number() OVER (ORDER BY id) - 1 AS k,"
                " id, site_id FROM assets"
            )
        )
        t0_created = now - timedelta(days=args.days)
        conn.execute(
            text(PARAMS_SQL),
            {
                "t0": t0_created,
                "tickets": args.tickets,
                "days": args.days,
                "regions": args.regions,
                "engineers": args.engineers,
                "assets": args.customers * 3,
            },
        )
        conn.execute(text(MILESTONES_SQL))
        conn.execute(text(TICKETS_SQL), {"now": now})
        print(f"  tickets: {time.perf_counter() - t0:.1f}s", flush=True)
        # The audit trail's indexes are built once after the load (faster than per row).
        conn.execute(text("ALTER TABLE ticket_events DROP CONSTRAINT pk_ticket_events"))
        conn.execute(text("DROP INDEX ix_ticket_events_ticket_at"))
        conn.execute(text(EVENTS_SQL), {"now": now})
        conn.execute(
            text("ALTER TABLE ticket_events ADD CONSTRAINT pk_ticket_events PRIMARY KEY (id)")
        )
        conn.execute(
            text("CREATE INDEX ix_ticket_events_ticket_at ON ticket_events (ticket_id, at)")
        )
        conn.execute(
            text("DROP TABLE bench_g, bench_m, bench_regions, bench_engineers, bench_assets")
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE tickets, ticket_events, users, assets, sites"))
        n_t, n_e = conn.execute(
            text("SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM ticket_events)")
        ).one()
    engine.dispose()
    print(f"generated {n_t} tickets, {n_e} events in {time.perf_counter() - t0:.1f}s", flush=True)


def wait_for_horizon(limit_s: float = 300) -> float:
    """Wait until every change-log row written so far is below the horizon: it is
    cluster-wide, so another database's open transaction holds the catch-up back (a wait,
    not catch-up work, so it is not timed)."""
    t = time.perf_counter()
    while time.perf_counter() - t < limit_s:
        below = db.session.execute(
            text(
                "SELECT coalesce(max(xid), '0'::xid8) < pg_snapshot_xmin(pg_current_snapshot())"
                " FROM sync_changes"
            )
        ).scalar()
        db.session.rollback()
        if below:
            break
        time.sleep(0.2)
    return time.perf_counter() - t


def _filter(kind_group: tuple[str, str], now: datetime) -> ReportFilter:
    start = (now - timedelta(days=90)).replace(hour=0, minute=0, second=0, microsecond=0)
    return ReportFilter(period_from=start, period_to=now, group_by=kind_group[1])


def _kpi_filter(kind_group: tuple[str, str], now: datetime) -> KpiFilter:
    f = _filter(kind_group, now)
    return KpiFilter(period_from=f.period_from, period_to=f.period_to, group_by=f.group_by)


def _served(kind: str, f: Any, now: datetime) -> Any:
    if kind == "workload":
        return served_workload.workload_report(f, now=now)
    if kind == "first-fix":
        return served.first_fix_report(f, now=now, window=WINDOW)
    if kind == "customers":
        return served.customers_report(f, now=now)
    if kind == "sla":
        return served.sla_report(f, now=now, at_risk_fraction=AT_RISK_FRACTION)
    if kind == "times":
        return served.times_report(f, now=now)
    return served.backlog_report(f, now=now)


def _raw(kind: str, f: Any, now: datetime) -> Any:
    if kind == "workload":
        return workload.workload_report(f, now=now)
    if kind == "first-fix":
        return first_fix.first_fix_report(f, now=now, window=WINDOW)
    if kind == "customers":
        return customers.customers_report(f)
    if kind == "sla":
        return queries.sla_report(f, now=now, at_risk_fraction=AT_RISK_FRACTION)
    if kind == "times":
        return queries.times_report(f)
    return queries.backlog_report(f, now=now)


def _timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    db.session.rollback()
    return (time.perf_counter() - t) * 1000, out


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20,000 tickets, 50 engineers")
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--engineers", type=int, default=500)
    ap.add_argument("--customers", type=int, default=5_000)
    ap.add_argument("--regions", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=10, help="warm rounds of the screen")
    ap.add_argument("--raw-repeat", type=int, default=3, help="rounds of the raw baseline")
    ap.add_argument("--catchup-rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument(
        "--reuse-db",
        action="store_true",
        help="measure again on the database a previous run generated (no generation; the"
        " rollups are rebuilt only if that run did not build them)",
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.tickets, args.engineers, args.customers = 20_000, 50, 500
        args.repeat, args.raw_repeat, args.catchup_rounds = 5, 2, 2

    now = datetime.now(UTC).replace(microsecond=0)
    if not args.reuse_db:
        recreate_database(args.database_url)
        generate(args.database_url, args, now)

    cfg = Config(
        DATABASE_URL=args.database_url,
        SECRET_KEY="bench-secret-key-0123456789abcdef-xyz",
        DB_STATEMENT_TIMEOUT_MS=0,
    )
    app = create_app(cfg, TESTING=True)
    client = app.test_client()
    with app.app_context():
        dispatcher = db.session.execute(
            select(User).where(User.email == "dispatcher@bench.example")
        ).scalar_one_or_none() or create_user(
            email="dispatcher@bench.example", name="d", role="dispatcher", password="bench-pw-1"
        )
        db.session.commit()
        login = start_session(dispatcher, user_agent="bench", now=utcnow())
        headers = {"Authorization": f"Bearer {login['access_token']}"}
        db.session.commit()

        t = time.perf_counter()
        built = catch_up_now()
        print(f"rollups built in {time.perf_counter() - t:.1f}s: {built}", flush=True)
        sizes = db.session.execute(
            text(
                "SELECT pg_size_pretty(pg_total_relation_size('ticket_facts')),"
                " pg_size_pretty(pg_total_relation_size('report_rollups')),"
                " (SELECT count(*) FROM report_rollups)"
            )
        ).one()
        print(f"  ticket_facts {sizes[0]}, report_rollups {sizes[1]} ({sizes[2]} rows)")
        db.session.rollback()

    def request(kind: str, group: str) -> float:
        f = _filter((kind, group), datetime.now(UTC))
        q = {"from": f.period_from.isoformat(), "to": f.period_to.isoformat(), "group_by": group}
        t = time.perf_counter()
        r = client.get(f"/api/v1/reports/{kind}", query_string=q, headers=headers)
        ms = (time.perf_counter() - t) * 1000
        assert r.status_code == 200, r.get_json()
        return ms

    with app.app_context():
        db.engine.dispose()  # cold: a new pool, statement caches empty
        cold = {kg: request(*kg) for kg in SCREEN}
        warm: dict[tuple[str, str], list[float]] = {kg: [] for kg in SCREEN}
        for _ in range(args.repeat):
            for kg in SCREEN:
                warm[kg].append(request(*kg))
        all_warm = [ms for v in warm.values() for ms in v]
        p95 = percentile(all_warm, 95)

        # Same reports, as functions: rollups vs the reference SQL over the raw tables.
        fast: dict[tuple[str, str], list[float]] = {kg: [] for kg in SCREEN}
        slow: dict[tuple[str, str], list[float]] = {kg: [] for kg in SCREEN}
        mismatches = 0
        for round_ in range(max(args.raw_repeat, 1)):
            for kind, group in SCREEN:
                at = datetime.now(UTC)
                f = _filter((kind, group), at)
                ms_fast, a = _timed(partial(_served, kind, f, at))
                ms_slow, b = _timed(partial(_raw, kind, f, at))
                fast[(kind, group)].append(ms_fast)
                slow[(kind, group)].append(ms_slow)
                if round_ == 0 and a != b:
                    mismatches += 1
                    print(f"  MISMATCH {kind} by {group}", flush=True)
        print(
            f"{'request':<20}{'cold ms':>10}{'warm p50':>10}{'warm p95':>10}{'raw p50':>10}{'x':>8}"
        )
        for kg in SCREEN:
            f50, r50 = statistics.median(fast[kg]), statistics.median(slow[kg])
            print(
                f"{kg[0] + ' by ' + kg[1]:<20}{cold[kg]:>10.1f}{statistics.median(warm[kg]):>10.1f}"
                f"{percentile(warm[kg], 95):>10.1f}{r50:>10.1f}{r50 / f50:>8.1f}"
            )
        speedup = sum(statistics.median(v) for v in slow.values()) / sum(
            statistics.median(v) for v in fast.values()
        )
        print(f"cold screen total {sum(cold.values()):.0f} ms; answers equal: {mismatches == 0}")

        # First-time fix and customers: from the rollups against the reference SQL.
        more_fast: dict[tuple[str, str], list[float]] = {kg: [] for kg in MORE}
        more_slow: dict[tuple[str, str], list[float]] = {kg: [] for kg in MORE}
        for round_ in range(max(args.raw_repeat, 1)):
            for kind, group in MORE:
                at = datetime.now(UTC)
                kf = _kpi_filter((kind, group), at)
                ms_fast, a = _timed(partial(_served, kind, kf, at))
                ms_slow, b = _timed(partial(_raw, kind, kf, at))
                more_fast[(kind, group)].append(ms_fast)
                more_slow[(kind, group)].append(ms_slow)
                if round_ == 0 and a != b:
                    mismatches += 1
                    print(f"  MISMATCH {kind} by {group}", flush=True)
        for _ in range(max(args.repeat - args.raw_repeat, 0)):
            for kind, group in MORE:
                at = datetime.now(UTC)
                kf = _kpi_filter((kind, group), at)
                more_fast[(kind, group)].append(_timed(partial(_served, kind, kf, at))[0])
        print(f"{'more reports':<24}{'p50 ms':>10}{'p95 ms':>10}{'raw p50':>10}{'x':>8}")
        for kg in MORE:
            f50, r50 = statistics.median(more_fast[kg]), statistics.median(more_slow[kg])
            print(
                f"{kg[0] + ' by ' + kg[1]:<24}{f50:>10.1f}{percentile(more_fast[kg], 95):>10.1f}"
                f"{r50:>10.1f}{r50 / f50:>8.1f}"
            )
        # more_*: first-time fix and customers (as before workload was added); workload_*: its own.
        more_p95 = percentile([ms for kg in MORE_COHORT for ms in more_fast[kg]], 95)
        more_speedup = sum(statistics.median(more_slow[kg]) for kg in MORE_COHORT) / sum(
            statistics.median(more_fast[kg]) for kg in MORE_COHORT
        )
        workload_p95 = percentile([ms for kg in MORE_WORKLOAD for ms in more_fast[kg]], 95)
        workload_speedup = sum(statistics.median(more_slow[kg]) for kg in MORE_WORKLOAD) / sum(
            statistics.median(more_fast[kg]) for kg in MORE_WORKLOAD
        )
        workload_rows = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM ticket_work),"
                " (SELECT count(*) FROM workload_rollups),"
                " pg_size_pretty(pg_total_relation_size('ticket_work')"
                " + pg_total_relation_size('workload_rollups'))"
            )
        ).one()
        db.session.rollback()
        print(
            f"  ticket_work {workload_rows[0]} rows, workload_rollups {workload_rows[1]} rows,"
            f" {workload_rows[2]} together"
        )

        # Catch-up cost per 10,000 new events.
        per_10k = []
        for round_ in range(args.catchup_rounds):
            at = datetime.now(UTC)
            written = db.session.execute(
                text(NEW_EVENTS_SQL),
                {
                    "since": at - timedelta(days=14),
                    "until": at - timedelta(days=3),
                    "round": str(round_),
                    "n": 2_500,
                    "now": at,
                },
            ).rowcount
            db.session.commit()
            waited = wait_for_horizon()
            t = time.perf_counter()
            done = catch_up_now()
            ms = (time.perf_counter() - t) * 1000
            per_10k.append(ms * 10_000 / max(written, 1))
            print(
                f"  catch-up of {written} events: {ms:.0f} ms ({done};"
                f" waited {waited:.1f}s for the horizon)",
                flush=True,
            )
        catchup = statistics.median(per_10k)
        # and the answers still equal the raw tables' after the catch-ups
        at = datetime.now(UTC)
        for kind, group in SCREEN + MORE:
            f = (
                _kpi_filter((kind, group), at)
                if (kind, group) in MORE
                else _filter((kind, group), at)
            )
            if _served(kind, f, at) != _raw(kind, f, at):
                mismatches += 1
                print(f"  MISMATCH after catch-up: {kind} by {group}", flush=True)
        db.session.rollback()
        db.engine.dispose()

    print("targets: p95 <= 150 ms per request, >= 20x faster than raw, catch-up <= 1000 ms/10k")
    if mismatches:
        print(f"{mismatches} answers differed from the raw tables'", flush=True)
    result_line(
        "reports",
        p95_ms=round(p95, 1),
        speedup_vs_raw=round(speedup, 1),
        catchup_ms_per_10k=round(catchup, 1),
        mismatches=mismatches,
        more_p95_ms=round(more_p95, 1),
        more_speedup_vs_raw=round(more_speedup, 1),
        workload_p95_ms=round(workload_p95, 1),
        workload_speedup_vs_raw=round(workload_speedup, 1),
    )
    return {"p95_ms": p95, "speedup_vs_raw": speedup, "catchup_ms_per_10k": catchup}


if __name__ == "__main__":
    main()
