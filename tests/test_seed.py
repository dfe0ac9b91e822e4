"""Demo data: every status, believable city, idempotent and deterministic."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.accounts.models import User
from backend.accounts.operations import authenticate
from backend.db import db
from backend.dispatch.models import EngineerProfile
from backend.seed import PATHS, TICKETS_PER_STATUS, counts, seed_demo
from backend.workorders.models import Ticket
from backend.workorders.states import Status


def _statuses() -> dict[str, int]:
    rows = db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
    return dict(rows.all())


def test_seed_demo_twice_same_counts(app, session):
    policy = app.config["SLA_POLICY"]
    first = seed_demo(policy)
    db.session.commit()
    titles = sorted(db.session.scalars(select(Ticket.title)))
    statuses = _statuses()
    second = seed_demo(policy)
    db.session.commit()

    assert first["tickets_created"] == len(PATHS) * TICKETS_PER_STATUS
    assert first["public_reports_created"] == 3
    assert second["tickets_created"] == 0 and second["public_reports_created"] == 0
    assert counts() == {k: v for k, v in first.items() if k in counts()}
    assert sorted(db.session.scalars(select(Ticket.title))) == titles  # deterministic content
    assert _statuses() == statuses

    assert first["users"] == 10 and first["regions"] == 6 and first["skills"] == 6
    assert {s.value for s in Status} <= set(statuses)
    assert db.session.scalar(select(func.count()).select_from(EngineerProfile)) == 8
    # Every ticket of the demo is placed in at least one region; overlapping areas give some
    # tickets two regions.
    region_counts = list(db.session.scalars(select(func.cardinality(Ticket.region_ids))))
    assert min(region_counts) >= 1 and max(region_counts) >= 2
    public = db.session.scalars(select(Ticket).where(Ticket.source == "public")).all()
    assert len(public) == 3 and all(t.tracking_token for t in public)


def test_seed_logins_work(app, session):
    seed_demo(app.config["SLA_POLICY"])
    assert authenticate("admin@fieldops.test", "fieldops-admin").role == "admin"
    assert authenticate("dispatcher@fieldops.test", "fieldops-dispatch").role == "dispatcher"
    assert authenticate("engineer8@fieldops.test", "fieldops-engineer").role == "engineer"


def test_every_demo_engineer_has_a_stocked_van(app, session):
    """Found trying the demo: with no van stock an engineer could only say "no parts used"."""
    from backend.parts.models import StockLevel, StockLocation

    seed_demo(app.config["SLA_POLICY"])
    seed_demo(app.config["SLA_POLICY"])  # idempotent: no second van, no second delivery
    db.session.commit()
    vans = db.session.scalars(select(StockLocation).where(StockLocation.kind == "van")).all()
    assert len(vans) == 8
    for van in vans:
        levels = db.session.scalars(
            select(StockLevel).where(StockLevel.location_id == van.id, StockLevel.quantity > 0)
        ).all()
        assert len(levels) >= 3, van.name
    assert counts()["parts"] >= 3


def test_the_demo_has_a_job_type_with_a_checklist_and_open_tickets_of_it(app, session):
    """Found trying the demo: with no job type the checklist screens could not be seen
    without writing one through the API first."""
    from backend.jobtypes.checklist import items_of
    from backend.jobtypes.models import JobType
    from backend.jobtypes.operations import current_version

    first = seed_demo(app.config["SLA_POLICY"])
    db.session.commit()
    second = seed_demo(app.config["SLA_POLICY"])
    db.session.commit()
    assert first["planned_tickets_created"] == 2 and second["planned_tickets_created"] == 0
    (job_type,) = db.session.scalars(select(JobType)).all()
    version = current_version(job_type)
    items = {i["key"]: i for i in items_of(version.checklist)}
    assert {i["type"] for i in items.values()} >= {"yes_no", "text", "number", "photo"}
    number = next(i for i in items.values() if i["type"] == "number")
    assert number["min"] is not None and number["max"] is not None
    assert any(i.get("show_if") for i in items.values())
    planned = db.session.scalars(select(Ticket).where(Ticket.job_type_id == job_type.id)).all()
    assert sorted(t.status for t in planned) == ["assigned", "new"]
    (assignee_id,) = [t.assignee_id for t in planned if t.assignee_id is not None]
    assert db.session.get(User, assignee_id).email == "engineer1@fieldops.test"
    assert all(t.job_type_version_id == version.id for t in planned)
