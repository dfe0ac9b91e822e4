"""When a plan falls due on an asset: the calendar's instants merged with what planners
changed (skipped, moved) and what the generation job created (tickets), and the meter's due
reading.

The calendar is computed, not stored: an occurrence row exists only once something happened
to it (its ticket was created, it was skipped or moved), so a plan that repeats for years
costs no rows until each occurrence comes within the horizon. The row's key (plan, asset,
due instant) is the rule's instant, never the moved one, so a moved occurrence is still
"that" occurrence and is not generated again at its old time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert

from backend.accounts.models import User
from backend.assets.models import Asset
from backend.db import db, utcnow
from backend.errors import Conflict, Invalid, NotFound
from backend.maintenance import meters
from backend.maintenance.models import MaintenancePlan, MeterReading, Occurrence
from backend.maintenance.plans import plan_assets, recurrence_of
from backend.workorders.models import Ticket
from backend.workorders.operations import transition
from backend.workorders.states import Status
from backend.workorders.windows import set_arrival_window

MAX_SPAN = timedelta(days=366)
MAX_LISTED = 1000
DONE = (Status.COMPLETED, Status.CLOSED)


@dataclass(frozen=True)
class Due:
    """One occurrence as a planner sees it."""

    plan_id: uuid.UUID
    asset_id: uuid.UUID
    due_at: datetime
    starts_at: datetime
    state: str
    kind: str  # calendar | meter
    due_reading: float | None = None
    moved_to: datetime | None = None
    ticket_id: uuid.UUID | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def window_of(plan: MaintenancePlan, starts_at: datetime) -> tuple[datetime, datetime]:
    return starts_at, starts_at + timedelta(minutes=plan.window_minutes)


def calendar_instants(plan: MaintenancePlan, after: datetime, before: datetime) -> list[datetime]:
    """The rule's instants in ``[after, before)``, cut at the plan's end."""
    rule = recurrence_of(plan)
    if rule is None:
        return []
    if plan.ends_at is not None:
        before = min(before, plan.ends_at)
    return rule.between(after, before) if after < before else []


def check_span(after: datetime, before: datetime) -> None:
    if before <= after:
        raise Invalid("to must be after from", errors={"to": ["after from"]})
    if before - after > MAX_SPAN:
        raise Invalid("at most 366 days at a time", errors={"to": ["at most 366 days after from"]})


def upcoming(
    plan: MaintenancePlan, after: datetime, before: datetime, asset_id: uuid.UUID | None = None
) -> list[Due]:
    """Calendar occurrences whose planned start (moved or not) is in ``[after, before)``,
    skipped ones included (marked), and meter occurrences already created, in time order;
    at most MAX_LISTED."""
    check_span(after, before)
    assets = [a for a in plan_assets(plan) if asset_id is None or a.id == asset_id]
    ids = [a.id for a in assets]
    rows = list(
        db.session.scalars(
            select(Occurrence).where(
                Occurrence.plan_id == plan.id,
                Occurrence.asset_id.in_(ids),
                or_(
                    and_(Occurrence.due_at >= after, Occurrence.due_at < before),
                    and_(Occurrence.moved_to >= after, Occurrence.moved_to < before),
                ),
            )
        )
    )
    stored = {(r.asset_id, r.due_at, r.due_reading): r for r in rows}
    out = [_due(plan, r) for r in rows if r.starts_at >= after and r.starts_at < before]
    for at in calendar_instants(plan, after, before):
        for a in assets:
            if (a.id, at, None) not in stored:
                out.append(Due(plan.id, a.id, at, at, "scheduled", "calendar"))
    out.sort(key=lambda d: (d.starts_at, str(d.asset_id)))
    return out[:MAX_LISTED]


def _due(plan: MaintenancePlan, row: Occurrence) -> Due:
    return Due(
        plan_id=plan.id,
        asset_id=row.asset_id,
        due_at=row.due_at,
        starts_at=row.starts_at,
        state=row.state,
        kind="meter" if row.due_reading is not None else "calendar",
        due_reading=row.due_reading,
        moved_to=row.moved_to,
        ticket_id=row.ticket_id,
    )


def _target(plan: MaintenancePlan, asset_id: uuid.UUID | None, due_at: datetime) -> Asset:
    """The asset an occurrence is named for (optional for a one-asset plan), and a check that
    ``due_at`` is one of the rule's instants."""
    assets = plan_assets(plan)
    if asset_id is None:
        if len(assets) != 1:
            raise Invalid(
                "this plan covers several assets: name the occurrence's asset_id",
                errors={"asset_id": ["required for a plan covering several assets"]},
            )
        asset = assets[0]
    else:
        found = [a for a in assets if a.id == asset_id]
        if not found:
            raise NotFound(
                f"asset {asset_id} is not covered by this plan",
                errors={"asset_id": ["not covered by this plan"]},
            )
        asset = found[0]
    second = timedelta(seconds=1)
    if due_at not in calendar_instants(plan, due_at - second, due_at + second):
        raise NotFound(
            f"the plan has no occurrence at {due_at.isoformat()}",
            errors={"due_at": ["not an occurrence of the plan's rule"]},
        )
    return asset


def _row(plan: MaintenancePlan, asset: Asset, due_at: datetime) -> Occurrence:
    """The stored row of a calendar occurrence, written (scheduled) if there is none yet,
    locked for the change at hand."""
    db.session.execute(
        insert(Occurrence)
        .values(
            id=uuid.uuid4(),
            plan_id=plan.id,
            asset_id=asset.id,
            due_at=due_at,
            state="scheduled",
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(
            index_elements=["plan_id", "asset_id", "due_at"],
            index_where=Occurrence.due_reading.is_(None),
        )
    )
    return db.session.scalars(
        select(Occurrence)
        .where(
            Occurrence.plan_id == plan.id,
            Occurrence.asset_id == asset.id,
            Occurrence.due_at == due_at,
            Occurrence.due_reading.is_(None),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def skip(
    plan: MaintenancePlan,
    actor: User,
    *,
    due_at: datetime,
    asset_id: uuid.UUID | None = None,
    reason: str,
) -> Due:
    """Skip one occurrence. Its ticket, if already created and not yet done, is cancelled
    with ``reason`` (a done one is a 409: the work happened)."""
    asset = _target(plan, asset_id, due_at)
    row = _row(plan, asset, due_at)
    if row.ticket_id is not None:
        ticket = db.session.get(Ticket, row.ticket_id)
        if ticket is not None and ticket.status in DONE:
            raise Conflict("this occurrence's ticket is done already", ticket_id=str(ticket.id))
        if ticket is not None and ticket.status != Status.CANCELLED:
            transition(ticket, actor, "cancel", reason=reason, via="api")
    row.state, row.moved_to = "skipped", None
    db.session.flush()
    return _due(plan, row)


def move(
    plan: MaintenancePlan,
    actor: User,
    *,
    due_at: datetime,
    asset_id: uuid.UUID | None = None,
    to: datetime,
    now: datetime | None = None,
) -> Due:
    """Move one occurrence to another instant; its ticket's arrival window moves with it (a
    ticket not created yet is created by the generation job once ``to`` is in the horizon;
    a window already over at ``now`` is refused by the window operation)."""
    asset = _target(plan, asset_id, due_at)
    row = _row(plan, asset, due_at)
    if row.state == "skipped":
        raise Conflict("this occurrence is skipped", current_state=row.state)
    if row.ticket_id is not None:
        ticket = db.session.get(Ticket, row.ticket_id)
        if ticket is not None and ticket.status in DONE:
            raise Conflict("this occurrence's ticket is done already", ticket_id=str(ticket.id))
        if ticket is not None:
            start, end = window_of(plan, to)
            set_arrival_window(
                ticket,
                actor=actor,
                start=start,
                end=end,
                reason="maintenance occurrence moved",
                now=now,
            )
    row.state, row.moved_to = "moved", to
    db.session.flush()
    return _due(plan, row)


# ---- meters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeterStatus:
    baseline: float | None  # the reading at the last service; None: no reading yet
    due: meters.MeterDue | None
    reached_at: datetime | None = None  # when the due reading was first reached


def readings(asset_id: uuid.UUID, meter: str, since: datetime | None = None) -> list[MeterReading]:
    stmt = (
        select(MeterReading)
        .where(MeterReading.asset_id == asset_id, MeterReading.meter == meter)
        .order_by(MeterReading.at, MeterReading.created_at)
    )
    if since is not None:
        stmt = stmt.where(MeterReading.at >= since)
    return list(db.session.scalars(stmt))


def last_service(plan_ids: list[uuid.UUID], asset_id: uuid.UUID) -> datetime | None:
    """When the latest ticket of these plans on this asset was completed."""
    if not plan_ids:
        return None
    stmt = (
        select(Ticket.resolved_at)
        .join(Occurrence, Occurrence.ticket_id == Ticket.id)
        .where(
            Occurrence.plan_id.in_(plan_ids),
            Occurrence.asset_id == asset_id,
            Ticket.resolved_at.is_not(None),
        )
        .order_by(Ticket.resolved_at.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def meter_status(plan: MaintenancePlan, asset_id: uuid.UUID) -> MeterStatus:
    """Where a meter plan stands on an asset: the baseline is the last reading at or before
    the plan's last service on it (any of its tickets, calendar ones too: whichever came
    first resets the count), else the asset's first reading of that meter. A reading lower
    than the one before is a new meter and starts a new baseline."""
    if plan.meter_name is None or plan.meter_every is None:
        return MeterStatus(None, None)
    step = plan.meter_every
    served = last_service([plan.id], asset_id)
    history = readings(asset_id, plan.meter_name)
    if not history:
        return MeterStatus(None, None)
    start = 0
    if served is not None:
        before = [i for i, r in enumerate(history) if r.at <= served]
        start = before[-1] if before else 0
    since = [history[start]]
    for r in history[start + 1 :]:
        if r.value < since[-1].value:
            since = [r]
        else:
            since.append(r)
    base = since[0].value
    due = meters.meter_due(step, base, [meters.Reading(r.at, r.value) for r in since])
    first = next((r.at for r in since if r.value >= due.due_reading), None)
    return MeterStatus(base, due, first if due.reached else None)
