"""Bookable arrival windows of one ticket, from the database: who could take the job, what
they already have planned, and who else holds a slot; then ``slots.offers`` decides.

Engineers able to take the job: active, with every required skill, working in one of the
ticket's regions, not among those who rejected it; once the ticket is assigned, only its
engineer. Three queries whatever the number of slots: the engineers, their planned work over
the horizon, and the open bookings nobody is assigned to yet.

``reserve`` books a slot. The last place of a slot must not be sold twice, so a booking takes
a transaction-scoped advisory lock on the slot (every booking of that slot queues behind it;
other slots are not held up) and counts the places again under it: a booking committed by
another customer a moment earlier is seen, and the loser gets a 409.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from backend.booking.settings import BookingSettings
from backend.booking.slots import Busy, EngineerDays, Job, Offer, Slot, TravelRules, grid, offers
from backend.db import db
from backend.dispatch.settings import DispatchSettings
from backend.dispatch.shifts import Shift
from backend.errors import Conflict, Invalid
from backend.jobtypes.operations import service_minutes
from backend.workorders.geo import lonlat
from backend.workorders.models import Ticket
from backend.workorders.states import ACTIVE_WORK, OPEN_STATUSES, Status
from backend.workorders.windows import set_arrival_window

# Jobs the engineer has begun: with no ETA, or an ETA already passed, they occupy now.
STARTED = (*ACTIVE_WORK, Status.ON_HOLD)
# A customer may (re)book until the engineer sets off.
BOOKABLE = (Status.NEW, Status.ASSIGNED, Status.ACCEPTED)
REFUSALS = {
    "not_offered": "appointments are not offered for this report; we will contact you",
    "started": "the engineer is already on the way or at work: the time can no longer change",
    "too_late": "the booked time is too close to change here; please call us",
}

_ENGINEERS = text(
    """
SELECT p.user_id, ST_X(p.home) AS lon, ST_Y(p.home) AS lat, p.shift_timezone, p.shift_days,
       p.shift_start, p.shift_end
FROM engineer_profiles p JOIN users u ON u.id = p.user_id
WHERE u.is_active AND (
  (CAST(:assignee AS uuid) IS NULL
   AND p.skills @> CAST(:skills AS varchar[])
   AND p.region_ids && CAST(:rids AS uuid[])
   AND NOT (p.user_id = ANY(CAST(:rejected AS uuid[]))))
  OR p.user_id = CAST(:assignee AS uuid))
ORDER BY p.user_id
"""
)

_PLANNED = text(
    """
SELECT t.assignee_id, t.status, t.eta, t.window_start, t.window_end, t.job_type_version_id,
       ST_X(t.location) AS lon, ST_Y(t.location) AS lat
FROM tickets t
WHERE t.assignee_id = ANY(CAST(:ids AS uuid[])) AND t.status = ANY(:open) AND t.id <> :tid
  AND (t.eta IS NULL OR t.eta < :hi) AND (t.window_start IS NULL OR t.window_start < :hi)
"""
)

_BOOKED = text(
    """
SELECT t.window_start, t.window_end FROM tickets t
WHERE t.assignee_id IS NULL AND t.status = ANY(:open) AND t.id <> :tid
  AND t.window_start < :hi AND t.window_end > :lo AND t.region_ids && CAST(:rids AS uuid[])
"""
)


def refusal(ticket: Ticket, *, now: datetime, settings: BookingSettings) -> str | None:
    """Why the customer may not (re)book this ticket now (a ``REFUSALS`` code), or None."""
    if ticket.priority not in settings.priorities:
        return "not_offered"
    if ticket.status not in BOOKABLE:
        return "started"
    if ticket.window_start is not None and ticket.window_start - settings.rebook_cutoff <= now:
        return "too_late"
    return None


def slot_grid(now: datetime, settings: BookingSettings) -> list[Slot]:
    return grid(
        now,
        timezone=settings.timezone,
        slot=settings.slot,
        day_start_h=settings.day_start_h,
        day_end_h=settings.day_end_h,
        days_ahead=settings.days_ahead,
        lead=settings.lead,
    )


def rules_of(dispatch: DispatchSettings) -> TravelRules:
    return TravelRules(dispatch.speed_kmh, dispatch.detour, dispatch.max_travel_min)


def _service(
    version_id: uuid.UUID | None, known: dict[uuid.UUID, int], default: float
) -> timedelta:
    minutes = known.get(version_id) if version_id is not None else None
    return timedelta(minutes=minutes if minutes is not None else default)


def _busy(r: Any, service: timedelta, now: datetime) -> Busy:
    here = (r.lon, r.lat)
    if r.status in STARTED and (r.eta is None or r.eta < now):
        return Busy(now, now + service, here)  # under way: it holds the engineer now
    if r.eta is not None:
        return Busy(r.eta, r.eta + service, here)
    if r.window_start is not None:
        # Arrival anywhere in its window: the engineer is held across all of it.
        return Busy(r.window_start, r.window_end + service, here)
    return Busy(now, now + service, here)  # queued without a time: next up


def job_of(ticket: Ticket, dispatch: DispatchSettings) -> Job:
    location = lonlat(ticket.location)
    assert location is not None  # every ticket has a location (create_ticket)
    version = ticket.job_type_version_id
    known = service_minutes({version}) if version is not None else {}
    return Job(location, _service(version, known, dispatch.service_min))


def engineers_for(
    ticket: Ticket, *, now: datetime, until: datetime, dispatch: DispatchSettings
) -> list[EngineerDays]:
    """The engineers able to take the job, each with their planned work until ``until``."""
    params = {
        "assignee": ticket.assignee_id,
        "skills": list(ticket.required_skills or ()),
        "rids": list(ticket.region_ids or ()),
        "rejected": list(ticket.rejected_by or ()),
    }
    rows = db.session.execute(_ENGINEERS, params).all()
    if not rows:
        return []
    planned = db.session.execute(
        _PLANNED,
        {
            "ids": [r.user_id for r in rows],
            "open": [s.value for s in OPEN_STATUSES],
            "tid": ticket.id,
            "hi": until,
        },
    ).all()
    known = service_minutes({p.job_type_version_id for p in planned if p.job_type_version_id})
    busy: dict[uuid.UUID, list[Busy]] = {}
    for p in planned:
        service = _service(p.job_type_version_id, known, dispatch.service_min)
        busy.setdefault(p.assignee_id, []).append(_busy(p, service, now))
    return [
        EngineerDays(
            engineer_id=r.user_id,
            home=(r.lon, r.lat),
            shift=Shift(r.shift_timezone, tuple(r.shift_days or ()), r.shift_start, r.shift_end),
            busy=tuple(busy.get(r.user_id, ())),
        )
        for r in rows
    ]


def booked_windows(ticket: Ticket, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    """Open bookings nobody is assigned to yet, in the ticket's regions: each holds a place
    of every slot it overlaps. An assigned ticket's own engineer is counted by their planned
    work instead, so it competes with none."""
    if ticket.assignee_id is not None:
        return []
    rows = db.session.execute(
        _BOOKED,
        {
            "open": [s.value for s in OPEN_STATUSES],
            "tid": ticket.id,
            "lo": lo,
            "hi": hi,
            "rids": list(ticket.region_ids or ()),
        },
    ).all()
    return [(r.window_start, r.window_end) for r in rows]


def offers_for(
    ticket: Ticket,
    slots: list[Slot],
    *,
    now: datetime,
    booking: BookingSettings,
    dispatch: DispatchSettings,
) -> list[Offer]:
    """Each of ``slots`` with who could take the job then and its places left."""
    if not slots:
        return []
    job = job_of(ticket, dispatch)
    lo, hi = min(s.start for s in slots), max(s.end for s in slots)
    engineers = engineers_for(
        ticket, now=now, until=hi + job.service + timedelta(days=1), dispatch=dispatch
    )
    return offers(
        slots,
        engineers,
        job,
        rules_of(dispatch),
        booked=booked_windows(ticket, lo, hi),
        capacity=booking.capacity,
    )


def open_slots(
    ticket: Ticket, *, now: datetime, booking: BookingSettings, dispatch: DispatchSettings
) -> list[Slot]:
    """The slots the customer may pick now (the ticket's own current window included when it
    is one: choosing it again changes nothing)."""
    return [
        o.slot
        for o in offers_for(
            ticket, slot_grid(now, booking), now=now, booking=booking, dispatch=dispatch
        )
        if o.places > 0
    ]


def _lock_slot(start: datetime) -> None:
    """Serialise bookings of one slot until the transaction ends (see the module doc)."""
    digest = hashlib.sha256(b"booking-slot:" + start.isoformat().encode()).digest()
    key = int.from_bytes(digest[:8], "big") - (1 << 63)
    db.session.execute(select(func.pg_advisory_xact_lock(key)))


def reserve(
    ticket: Ticket,
    start: datetime,
    *,
    now: datetime,
    booking: BookingSettings,
    dispatch: DispatchSettings,
) -> Slot:
    """Book the slot starting at ``start`` for the customer of ``ticket`` (locked by the
    caller). 409 when the customer may not book (``refusal``) or the slot has no place left;
    422 when ``start`` is not a slot of the grid."""
    why = refusal(ticket, now=now, settings=booking)
    if why is not None:
        raise Conflict(REFUSALS[why], reason=why)
    slot = next((s for s in slot_grid(now, booking) if s.start == start), None)
    if slot is None:
        raise Invalid(
            "this is not a time you can book; choose one of the offered times",
            errors={"start": ["not the start of an offered slot"]},
        )
    if (ticket.window_start, ticket.window_end) == (slot.start, slot.end):
        return slot
    _lock_slot(slot.start)
    [offer] = offers_for(ticket, [slot], now=now, booking=booking, dispatch=dispatch)
    if offer.places < 1:
        raise Conflict("this time has just been taken; please choose another", reason="slot_taken")
    set_arrival_window(
        ticket,
        actor=None,
        start=slot.start,
        end=slot.end,
        by="customer",
        reason="booked on the tracking page",
        now=now,
    )
    return slot
