"""Which arrival windows can be offered, pure: plain facts in, slots out, no database and no
clock (``now`` is an argument), so the rules are tested directly and property-tested.

A **slot** is an arrival window on a fixed local grid (``BookingSettings``). An engineer can
take the job in a slot when some arrival time inside it fits their day under the rules the
dispatcher uses:

- the arrival lies inside one of the engineer's shift windows (``shifts.window_on``; shifts
  that continue each other without a break are one stretch), the travel to the site starts no
  earlier than the shift, and the work (the job's service time) ends by the shift's end;
- the travel (``travel.estimate``, same speed and detour) from the engineer's home, or from the
  site of the planned job before it, is no more than the dispatcher's ``max_travel_min`` from
  home, and the job ends early enough to travel on to the next planned job in time;
- planned work is each job the engineer already has (assigned .. on hold): from its ETA, or
  across its own arrival window when it has no ETA, for its service time.

A slot is **offered** while it has places: at most ``capacity`` bookings, and never more than
the engineers who could take the job then; open bookings nobody is assigned to yet (in the
ticket's regions) take places first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from backend.dispatch.shifts import Shift, window_on, zone
from backend.dispatch.travel import LonLat, estimate


@dataclass(frozen=True)
class Slot:
    start: datetime  # earliest arrival (UTC)
    end: datetime  # latest arrival

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return start < self.end and end > self.start


@dataclass(frozen=True)
class Busy:
    """Planned work: on site from ``start`` to ``end`` at ``location``."""

    start: datetime
    end: datetime
    location: LonLat


@dataclass(frozen=True)
class EngineerDays:
    engineer_id: uuid.UUID
    home: LonLat
    shift: Shift
    busy: tuple[Busy, ...] = ()


@dataclass(frozen=True)
class Job:
    location: LonLat
    service: timedelta


@dataclass(frozen=True)
class TravelRules:
    speed_kmh: float
    detour: float
    max_travel_min: float

    def minutes(self, a: LonLat, b: LonLat) -> timedelta:
        return _travel(a, b, self.speed_kmh, self.detour)


@lru_cache(maxsize=65536)
def _travel(a: LonLat, b: LonLat, speed_kmh: float, detour: float) -> timedelta:
    """``travel.estimate`` as a duration; the same legs come up for every slot of a day."""
    return timedelta(minutes=estimate(a, b, speed_kmh=speed_kmh, detour=detour).minutes)


@dataclass(frozen=True)
class Offer:
    slot: Slot
    engineers: tuple[uuid.UUID, ...]  # who could take the job in it (staff only)
    booked: int  # open unassigned bookings already holding it
    places: int


def grid(
    now: datetime,
    *,
    timezone: str,
    slot: timedelta,
    day_start_h: int,
    day_end_h: int,
    days_ahead: int,
    lead: timedelta,
) -> list[Slot]:
    """The slots of today and the next ``days_ahead`` days (local), each starting no sooner
    than ``now + lead``. Each slot starts on the local clock; across a daylight-saving change
    its length stays ``slot``."""
    tz = zone(timezone)
    today = now.astimezone(tz).date()
    step = int(slot.total_seconds() // 60)
    out: list[Slot] = []
    for n in range(days_ahead + 1):
        day = today + timedelta(days=n)
        for minute in range(day_start_h * 60, day_end_h * 60 - step + 1, step):
            local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
            start = local.astimezone(UTC)
            if start >= now + lead:
                out.append(Slot(start, start + slot))
    return out


def shift_stretches(shift: Shift, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    """The engineer's shift windows overlapping ``lo`` .. ``hi`` (UTC), a window that the next
    one continues without a break merged into one stretch."""
    tz = zone(shift.timezone)
    first = lo.astimezone(tz).date() - timedelta(days=1)
    last = hi.astimezone(tz).date() + timedelta(days=1)
    return [(s, e) for s, e in _stretches(shift, first, last) if s < hi and e > lo]


@lru_cache(maxsize=4096)
def _stretches(shift: Shift, first: date, last: date) -> tuple[tuple[datetime, datetime], ...]:
    """Every slot of a day asks about the same few days: their windows are built once."""
    tz = zone(shift.timezone)
    windows: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        if day.weekday() in shift.days:
            windows.append(window_on(shift, day, tz))
        day += timedelta(days=1)
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def arrival_range(
    engineer: EngineerDays, job: Job, slot: Slot, rules: TravelRules
) -> tuple[datetime, datetime] | None:
    """The earliest and latest arrival inside ``slot`` at which ``engineer`` can do ``job``
    (the first gap of their day that fits), or None. Explains a slot: "arrive 09:20-10:00"."""
    from_home = rules.minutes(engineer.home, job.location)
    if from_home.total_seconds() / 60 > rules.max_travel_min:
        return None
    lo_all = slot.start - timedelta(days=1)
    for shift_start, shift_end in shift_stretches(engineer.shift, lo_all, slot.end + job.service):
        if shift_end <= slot.start or shift_start > slot.end:
            continue
        planned = sorted(
            (b for b in engineer.busy if b.end > shift_start and b.start < shift_end),
            key=lambda b: (b.start, b.end),
        )
        prev_end, prev_at = shift_start, engineer.home
        for nxt in [*planned, None]:
            earliest = max(slot.start, prev_end + rules.minutes(prev_at, job.location))
            if nxt is None:
                latest = min(slot.end, shift_end - job.service)
            else:
                latest = min(
                    slot.end, nxt.start - job.service - rules.minutes(job.location, nxt.location)
                )
            if earliest <= latest:
                return earliest, latest
            if nxt is not None and nxt.end > prev_end:
                prev_end, prev_at = nxt.end, nxt.location
    return None


def offers(
    slots: Iterable[Slot],
    engineers: Sequence[EngineerDays],
    job: Job,
    rules: TravelRules,
    *,
    booked: Sequence[tuple[datetime, datetime]] = (),
    capacity: int,
) -> list[Offer]:
    """Every slot with the engineers who could take the job in it, the bookings already
    holding it and its places left (``min(capacity, engineers) - booked``, at least 0)."""
    out: list[Offer] = []
    for slot in slots:
        able = tuple(
            e.engineer_id for e in engineers if arrival_range(e, job, slot, rules) is not None
        )
        held = sum(1 for start, end in booked if slot.overlaps(start, end))
        out.append(Offer(slot, able, held, max(0, min(capacity, len(able)) - held)))
    return out
