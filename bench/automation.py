"""What automation rules cost: a ticket's creation with and without rules listening, and the
30-day dry run over a seeded history.

Seeded (``--quick``: a tenth, and says so): ``--history`` tickets created over the last 30
days (their ``create`` audit lines moved back in time), in a dedicated database
(``<name>_bench_automation``, see ``bench.common``). Jobs run inline after each commit (no
Redis), so a creation's time includes its rule run.

Measured in the same run, on the same kind of ticket:

- ``base_ms``: creating a ticket (operation + commit + its jobs), no rules: the baseline;
- ``rules_ms``: the same with ``--rules`` enabled rules on ``ticket.created`` (nine whose
  conditions fail, one that matches and sets the priority): the hook, the outbox job and the
  ordered evaluation; ``overhead_ms`` = rules_ms - base_ms (medians);
- ``dry_run_s``: one dry run of a rule over the whole history (``events`` scanned).

    python bench/automation.py [--quick] [--history N] [--samples N] [--rules N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, text, update

from backend import create_app
from backend.accounts.operations import create_user
from backend.automation.dryrun import dry_run
from backend.automation.operations import create_rule
from backend.config import Config
from backend.db import db
from backend.geo import Location
from backend.workorders.models import TicketEvent
from backend.workorders.operations import create_ticket
from bench.common import bench_database_url, recreate_database, result_line, rng

DEFAULT_URL = bench_database_url("automation")
TITLES = ("Chiller down", "Door stuck", "Leak in plant room", "Lift noise", "No heating")


def _ticket(cfg: Config, title: str, lon: float, lat: float) -> float:
    start = time.perf_counter()
    create_ticket(
        actor=None,
        title=title,
        priority="P3",
        location=Location(lon, lat),
        sla_policy=cfg.SLA_POLICY,
    )
    db.session.commit()
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of the history and samples")
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--history", type=int, default=5000)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--rules", type=int, default=10)
    ap.add_argument("--seed", type=int, default=18)
    args = ap.parse_args(argv)
    if args.quick:
        args.history, args.samples = args.history // 10, args.samples // 10
        print("quick: a tenth of the history and samples", flush=True)
    r = rng(args.seed)
    recreate_database(args.database_url)
    cfg = Config(
        DATABASE_URL=args.database_url,
        SECRET_KEY="bench-secret-key-0123456789abcdef-xyz",
        DB_STATEMENT_TIMEOUT_MS=0,
    )
    app = create_app(cfg, TESTING=True)
    with app.app_context():
        admin = create_user(
            email="admin@bench.example", name="a", role="admin", password="pw-123456"
        )
        db.session.commit()

        def point() -> tuple[float, float]:
            return 13.2 + r.random() * 0.4, 52.4 + r.random() * 0.25

        t = time.perf_counter()
        for _ in range(args.history):
            _ticket(cfg, r.choice(TITLES), *point())
        # spread over the last 30 days, seeded (setseed: the same spread every run)
        db.session.execute(text("SELECT setseed(:s)"), {"s": args.seed / 1000})
        db.session.execute(
            update(TicketEvent).values(
                at=func.now() - func.random() * text("interval '30 days' - interval '1 hour'")
            )
        )
        db.session.commit()
        print(f"history: {args.history} tickets in {time.perf_counter() - t:.1f}s", flush=True)

        base = [_ticket(cfg, r.choice(TITLES), *point()) for _ in range(args.samples)]
        for i in range(args.rules - 1):
            create_rule(
                admin,
                {
                    "name": f"never {i}",
                    "event": "ticket.created",
                    "conditions": [{"field": "ticket.title", "op": "contains", "value": f"zz{i}"}],
                    "actions": [{"type": "set_priority", "priority": "P4"}],
                },
            )
        matching = {
            "name": "chillers first",
            "event": "ticket.created",
            "conditions": [{"field": "ticket.title", "op": "contains", "value": "chiller"}],
            "actions": [{"type": "set_priority", "priority": "P1"}],
        }
        create_rule(admin, matching)
        db.session.commit()
        with_rules = [_ticket(cfg, r.choice(TITLES), *point()) for _ in range(args.samples)]

        t = time.perf_counter()
        outcome = dry_run(matching)
        dry_s = time.perf_counter() - t
        db.session.rollback()

    base_ms, rules_ms = statistics.median(base), statistics.median(with_rules)
    print(
        f"create p50: {base_ms:.2f} ms without rules, {rules_ms:.2f} ms with {args.rules};"
        f" dry run {dry_s:.2f}s over {outcome['events_scanned']} events"
        f" ({outcome['matched_tickets']} tickets matched)",
        flush=True,
    )
    figures = {
        "base_ms": base_ms,
        "rules_ms": rules_ms,
        "overhead_ms": rules_ms - base_ms,
        "dry_run_s": dry_s,
        "events": int(outcome["events_scanned"]),
    }
    result_line("automation", **figures)
    return figures


if __name__ == "__main__":
    main()
