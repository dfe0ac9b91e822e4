"""An asset's side of maintenance: its meter readings, and what is planned for it (its plans,
when each is next due, when it was last serviced)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from backend.accounts.models import User
from backend.assets.operations import get_asset
from backend.db import added, db, utcnow
from backend.errors import Invalid
from backend.maintenance.models import CHECKLIST_SOURCE, MaintenancePlan, MeterReading
from backend.maintenance.occurrences import last_service, meter_status, upcoming
from backend.maintenance.plans import covers, describe

HISTORY = 200
LOOK_AHEAD = timedelta(days=366)


def record_reading(
    asset_id: uuid.UUID,
    actor: User | None,
    *,
    meter: str,
    value: float,
    at: datetime | None = None,
    source: str = "manual",
    answer_id: uuid.UUID | None = None,
) -> MeterReading:
    """A meter reading on an asset. A time in the future is refused (a reading is what a
    meter showed); the generation job picks up a due reading on its next run."""
    asset = get_asset(asset_id)
    now = utcnow()
    at = at or now
    if at > now + timedelta(minutes=5):
        raise Invalid("a reading cannot be in the future", errors={"at": ["not in the future"]})
    meter = meter.strip()
    if not meter:
        raise Invalid("the meter name is blank", errors={"meter": ["must not be blank"]})
    return added(
        MeterReading(
            asset_id=asset.id,
            meter=meter,
            value=float(value),
            at=at,
            source=source,
            recorded_by_id=actor.id if actor else None,
            answer_id=answer_id,
        )
    )


def reading_from_answer(
    asset_id: uuid.UUID,
    actor: User,
    *,
    meter: str,
    value: float | None,
    answer_id: uuid.UUID,
    replaces: list[uuid.UUID],
) -> MeterReading | None:
    """A checklist meter item answered on a job at the asset: the answer's reading of the
    meter named by the item's key. The readings of the answers it ``replaces`` go (a typo
    corrected must not stay behind as a lower reading, which the meter rules would take for a
    new meter); a cleared answer (``value`` None) leaves none. Dated when the server records
    it, as the answer is: a device's clock is shown, never used to order (readings are
    ordered by time, and the latest one decides)."""
    if replaces:
        db.session.execute(delete(MeterReading).where(MeterReading.answer_id.in_(replaces)))
    if value is None:
        return None
    return record_reading(
        asset_id,
        actor,
        meter=meter,
        value=value,
        source=CHECKLIST_SOURCE,
        answer_id=answer_id,
    )


def asset_maintenance(asset_id: uuid.UUID, now: datetime | None = None) -> dict[str, Any]:
    """Plans covering the asset with their next due time and last service, the asset's
    overall next due and last service, and its latest meter readings (newest first)."""
    asset = get_asset(asset_id)
    now = now or utcnow()
    plans = list(
        db.session.scalars(
            select(MaintenancePlan)
            .where(covers(asset))
            .order_by(MaintenancePlan.name, MaintenancePlan.id)
        )
    )
    entries: list[dict[str, Any]] = []
    dues: list[datetime] = []
    for plan in plans:
        next_calendar = None
        if plan.state == "active":
            nxt = [
                d for d in upcoming(plan, now, now + LOOK_AHEAD, asset.id) if d.state != "skipped"
            ]
            next_calendar = nxt[0].starts_at if nxt else None
        status = meter_status(plan, asset.id)
        meter = None
        if status.due is not None:
            meter = {
                "meter": plan.meter_name,
                "baseline": status.baseline,
                "due_reading": status.due.due_reading,
                "reached": status.due.reached,
                "estimated_at": status.due.estimated_at,
            }
        due_by_meter = status.due.estimated_at if status.due and plan.state == "active" else None
        known = [t for t in (next_calendar, due_by_meter) if t is not None]
        dues.extend(known)
        entries.append(
            {
                "plan": describe(plan),
                "next_due": min(known) if known else None,
                "meter": meter,
                "last_service": last_service([plan.id], asset.id),
            }
        )
    history = db.session.scalars(
        select(MeterReading)
        .where(MeterReading.asset_id == asset.id)
        .order_by(MeterReading.at.desc(), MeterReading.created_at.desc())
        .limit(HISTORY)
    )
    return {
        "asset_id": asset.id,
        "plans": entries,
        "next_due": min(dues) if dues else None,
        "last_service": last_service([p.id for p in plans], asset.id),
        "readings": list(history),
    }
