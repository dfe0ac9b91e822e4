"""Two generation runs at once, each in its own thread with its own database connection and
real commits (no test savepoint): every occurrence gets exactly one ticket. The rows are
removed afterwards, with everything the tickets' creation wrote beside them."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

from sqlalchemy import func, select, text

from backend.assets.models import Asset, Customer, Site
from backend.db import db
from backend.jobtypes.operations import create_job_type
from backend.maintenance.models import MaintenancePlan, Occurrence
from backend.maintenance.plans import create_plan
from backend.maintenance.tasks import generate_all
from backend.workorders.geo import point
from tests.maintenance.conftest import utc

RUNS = 2
ASSETS = 3
DAYS = 20
# Tables whose rows name a ticket (what creating one may write beside it).
TICKET_TABLES = ("ticket_events", "notifications", "dispatch_decisions", "sync_conflicts")


def _purge(ids: dict[str, list[uuid.UUID]]) -> None:
    assert db.engine is not None
    with db.engine.begin() as conn:
        tickets = list(
            conn.scalars(
                text("SELECT ticket_id FROM maintenance_occurrences WHERE plan_id = ANY(:p)"),
                {"p": ids["plan"]},
            )
        )
        tickets = [t for t in tickets if t is not None]
        every = tickets + [i for group in ids.values() for i in group]
        conn.execute(
            text("DELETE FROM maintenance_occurrences WHERE plan_id = ANY(:p)"), {"p": ids["plan"]}
        )
        for table in TICKET_TABLES:
            conn.execute(text(f"DELETE FROM {table} WHERE ticket_id = ANY(:t)"), {"t": tickets})
        conn.execute(
            text("DELETE FROM sync_changes WHERE entity_id = ANY(:e) OR ticket_id = ANY(:t)"),
            {"e": every, "t": tickets},
        )
        conn.execute(
            text("DELETE FROM job_outbox WHERE args::text LIKE ANY(:t)"),
            {"t": [f"%{t}%" for t in tickets]},
        )
        conn.execute(text("DELETE FROM tickets WHERE id = ANY(:t)"), {"t": tickets})
        conn.execute(text("DELETE FROM maintenance_plans WHERE id = ANY(:p)"), {"p": ids["plan"]})
        conn.execute(
            text("DELETE FROM job_type_versions WHERE job_type_id = ANY(:j)"), {"j": ids["jt"]}
        )
        conn.execute(text("DELETE FROM job_types WHERE id = ANY(:j)"), {"j": ids["jt"]})
        conn.execute(text("DELETE FROM assets WHERE id = ANY(:a)"), {"a": ids["asset"]})
        conn.execute(text("DELETE FROM sites WHERE id = ANY(:s)"), {"s": ids["site"]})
        conn.execute(text("DELETE FROM customers WHERE id = ANY(:c)"), {"c": ids["customer"]})


def _world() -> dict[str, list[uuid.UUID]]:
    tag = uuid.uuid4().hex[:8]
    customer = Customer(name=f"Concurrent {tag}")
    db.session.add(customer)
    db.session.flush()
    site = Site(customer_id=customer.id, name="Plant", location=point(13.4, 52.52))
    db.session.add(site)
    db.session.flush()
    assets = [Asset(site_id=site.id, name=f"Pump {n}") for n in range(ASSETS)]
    db.session.add_all(assets)
    jt = create_job_type(None, name=f"Pump service {tag}", default_priority="P4")
    plan = create_plan(
        None,
        name="Daily pump round",
        job_type_id=jt.id,
        site_id=site.id,
        rrule="FREQ=DAILY",
        dtstart=datetime(2030, 1, 1, 7, 0),
        timezone="Europe/Berlin",
        horizon_days=DAYS,
    )
    db.session.commit()
    return {
        "customer": [customer.id],
        "site": [site.id],
        "asset": [a.id for a in assets],
        "jt": [jt.id],
        "plan": [plan.id],
    }


def test_two_runs_at_once_create_each_occurrence_once(app):
    with app.app_context():
        db.session.remove()
        ids = _world()
        db.session.remove()
    try:
        start = threading.Barrier(RUNS)
        made: list[int] = []
        errors: list[BaseException] = []

        def run() -> None:
            with app.app_context():
                try:
                    start.wait()
                    result = generate_all(utc(2030, 1, 1))
                    made.append(int(str(result["tickets"])))
                    assert result["failed_plans"] == []
                except BaseException as exc:  # surfaced below
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=run) for _ in range(RUNS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        expected = ASSETS * DAYS
        assert sum(made) == expected
        with app.app_context():
            plan_id = ids["plan"][0]
            rows = db.session.execute(
                select(func.count(), func.count(func.distinct(Occurrence.ticket_id))).where(
                    Occurrence.plan_id == plan_id
                )
            ).one()
            assert tuple(rows) == (expected, expected)
            tickets = db.session.scalar(
                text(
                    "SELECT count(*) FROM tickets t JOIN maintenance_occurrences o"
                    " ON o.ticket_id = t.id WHERE o.plan_id = :p"
                ),
                {"p": plan_id},
            )
            assert tickets == expected
            assert db.session.get(MaintenancePlan, plan_id) is not None
            db.session.remove()
    finally:
        _purge(ids)
