"""Ticket generation: a plan's occurrences within its horizon become tickets, once each.

Idempotent by the database, not by the job: an occurrence is claimed by inserting its row
(``INSERT ... ON CONFLICT DO NOTHING RETURNING id``) and only the transaction whose insert
returned the row creates the ticket, in the same transaction. A second run, or a concurrent
one (its insert waits on the unique index until the first commits, then finds the row), makes
nothing. An occurrence moved by a planner already has its row; its ticket is made by the run
that locks the row first (``FOR UPDATE SKIP LOCKED``), re-checking that it has none.

Only occurrences from ``now`` on are generated: a plan started in the past, paused or whose
job did not run for a while does not catch up on what is already past.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from backend.assets.models import Asset
from backend.db import db, utcnow
from backend.maintenance.models import MaintenancePlan, Occurrence
from backend.maintenance.occurrences import calendar_instants, meter_status, window_of
from backend.maintenance.plans import plan_assets
from backend.workorders.operations import create_ticket

TITLE_MAX = 200


@dataclass
class Generated:
    tickets: list[uuid.UUID] = field(default_factory=list)

    def add(self, other: Generated) -> None:
        self.tickets.extend(other.tickets)


def due_plans(now: datetime) -> list[uuid.UUID]:
    """Active plans not ended by ``now``, in id order (every run walks them alike)."""
    stmt = (
        select(MaintenancePlan.id)
        .where(MaintenancePlan.state == "active")
        .where((MaintenancePlan.ends_at.is_(None)) | (MaintenancePlan.ends_at > now))
        .order_by(MaintenancePlan.id)
    )
    return list(db.session.scalars(stmt))


def generate_plan(
    plan: MaintenancePlan, now: datetime, sla_policy: dict[str, tuple[float, float]]
) -> Generated:
    """Tickets for ``plan``'s occurrences that start in ``[now, now + horizon)`` and for its
    meter occurrences reached; flush only (the job commits each plan)."""
    out = Generated()
    if plan.state != "active" or (plan.ends_at is not None and plan.ends_at <= now):
        return out
    horizon = now + timedelta(days=plan.horizon_days)
    assets = plan_assets(plan)
    instants = calendar_instants(plan, now, horizon)
    known = _claimed(plan, now, horizon) if instants else set()
    for asset in assets:
        for at in instants:
            if (asset.id, at) not in known:
                _claim(plan, asset, at, None, sla_policy, out)
        if plan.meter_name is not None:
            status = meter_status(plan, asset.id)
            if status.due is not None and status.due.reached and status.reached_at is not None:
                _claim(plan, asset, status.reached_at, status.due.due_reading, sla_policy, out)
    _moved(plan, assets, now, horizon, sla_policy, out)
    return out


def _claimed(
    plan: MaintenancePlan, after: datetime, before: datetime
) -> set[tuple[uuid.UUID, datetime]]:
    """Calendar occurrences in ``[after, before)`` that have their row already: a run
    skips them without an INSERT each (the insert's conflict rule stays the guarantee)."""
    stmt = select(Occurrence.asset_id, Occurrence.due_at).where(
        Occurrence.plan_id == plan.id,
        Occurrence.due_reading.is_(None),
        Occurrence.due_at >= after,
        Occurrence.due_at < before,
    )
    return {(asset_id, due_at) for asset_id, due_at in db.session.execute(stmt)}


def _claim(
    plan: MaintenancePlan,
    asset: Asset,
    due_at: datetime,
    due_reading: float | None,
    sla_policy: dict[str, tuple[float, float]],
    out: Generated,
) -> None:
    """Insert the occurrence's row; if this transaction's insert made it, make the ticket."""
    calendar = due_reading is None
    key = "due_at" if calendar else "due_reading"
    # The partial unique index this occurrence kind is keyed by (models.Occurrence).
    where = Occurrence.due_reading.is_(None) if calendar else Occurrence.due_reading.is_not(None)
    new_id = db.session.scalar(
        insert(Occurrence)
        .values(
            id=uuid.uuid4(),
            plan_id=plan.id,
            asset_id=asset.id,
            due_at=due_at,
            due_reading=due_reading,
            state="scheduled",
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(
            index_elements=["plan_id", "asset_id", key],
            index_where=where,
        )
        .returning(Occurrence.id)
    )
    if new_id is None:
        return
    occurrence = db.session.get_one(Occurrence, new_id)
    occurrence.ticket_id = _ticket(plan, asset, due_at, sla_policy)
    out.tickets.append(occurrence.ticket_id)
    db.session.flush()


def _moved(
    plan: MaintenancePlan,
    assets: list[Asset],
    now: datetime,
    horizon: datetime,
    sla_policy: dict[str, tuple[float, float]],
    out: Generated,
) -> None:
    by_id = {a.id: a for a in assets}
    rows = db.session.scalars(
        select(Occurrence)
        .where(
            Occurrence.plan_id == plan.id,
            Occurrence.state == "moved",
            Occurrence.ticket_id.is_(None),
            Occurrence.moved_to >= now,
            Occurrence.moved_to < horizon,
        )
        .order_by(Occurrence.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    for row in list(rows):
        asset = by_id.get(row.asset_id)
        if asset is None or row.moved_to is None or row.ticket_id is not None:
            continue
        row.ticket_id = _ticket(plan, asset, row.moved_to, sla_policy)
        out.tickets.append(row.ticket_id)
    db.session.flush()


def _ticket(
    plan: MaintenancePlan,
    asset: Asset,
    starts_at: datetime,
    sla_policy: dict[str, tuple[float, float]],
) -> uuid.UUID:
    """The occurrence's ticket, through the one ticket-creation operation (job type version,
    priority, skills, SLA deadlines, location and regions as for any ticket)."""
    title = f"{plan.name}: {asset.name}"
    ticket = create_ticket(
        actor=None,
        title=title[:TITLE_MAX],
        description=f"Planned maintenance ({plan.name}).",
        asset_id=asset.id,
        sla_policy=sla_policy,
        source="plan",
        via="system",
        job_type_id=plan.job_type_id,
        window=window_of(plan, starts_at),
    )
    return ticket.id
