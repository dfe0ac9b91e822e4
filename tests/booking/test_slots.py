"""The pure slot rules: the grid, one engineer's arrival range in a slot, places."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.booking.slots import (
    Busy,
    EngineerDays,
    Job,
    Slot,
    TravelRules,
    arrival_range,
    grid,
    offers,
)
from backend.dispatch.shifts import Shift

BERLIN = ZoneInfo("Europe/Berlin")
HOME = (13.40, 52.52)
SITE = (13.45, 52.52)  # ~3.4 km east: 6.6 minutes at 40 km/h x 1.3
FAR = (13.40, 53.60)  # ~120 km north
RULES = TravelRules(speed_kmh=40, detour=1.3, max_travel_min=180)
DAY_SHIFT = Shift("Europe/Berlin", (0, 1, 2, 3, 4), time(8), time(17))
JOB = Job(SITE, timedelta(minutes=60))
TUESDAY = datetime(2026, 12, 8, tzinfo=BERLIN)


def _at(h: int, m: int = 0, day: datetime = TUESDAY) -> datetime:
    return day.replace(hour=h, minute=m).astimezone(UTC)


def _slot(h: int, hours: int = 2) -> Slot:
    return Slot(_at(h), _at(h) + timedelta(hours=hours))


def _engineer(*busy: Busy, shift: Shift = DAY_SHIFT, home=HOME) -> EngineerDays:
    return EngineerDays(uuid.uuid4(), home, shift, tuple(busy))


def test_grid_lays_local_slots_after_the_lead_time():
    now = _at(9, 30)
    slots = grid(now, timezone="Europe/Berlin", slot=timedelta(hours=2), day_start_h=8,
                 day_end_h=18, days_ahead=1, lead=timedelta(hours=2))  # fmt: skip
    # Today: 12, 14, 16 (10:00 starts sooner than 9:30 + 2 h); tomorrow 8 .. 16.
    assert [s.start.astimezone(BERLIN).hour for s in slots] == [12, 14, 16, 8, 10, 12, 14, 16]
    assert all(s.end - s.start == timedelta(hours=2) for s in slots)


def test_grid_keeps_the_local_clock_across_daylight_saving():
    now = datetime(2027, 3, 27, 12, tzinfo=UTC)  # Saturday; clocks go forward Sunday 02:00
    slots = grid(now, timezone="Europe/Berlin", slot=timedelta(hours=2), day_start_h=8,
                 day_end_h=10, days_ahead=1, lead=timedelta(0))  # fmt: skip
    assert [s.start.isoformat() for s in slots] == ["2027-03-28T06:00:00+00:00"]  # 08:00 CEST


def test_a_free_day_fits_from_the_slot_start_with_the_travel_from_home():
    earliest, latest = arrival_range(_engineer(), JOB, _slot(8), RULES)
    assert earliest > _at(8) and earliest < _at(8, 10)  # left home at 8:00, ~6.6 min away
    assert latest == _at(10)


def test_the_work_must_end_by_the_end_of_the_shift():
    assert arrival_range(_engineer(), JOB, _slot(16), RULES) == (_at(16), _at(16))
    late_job = Job(SITE, timedelta(minutes=61))
    assert arrival_range(_engineer(), late_job, _slot(16), RULES) is None
    # Saturday: no shift at all.
    saturday = TUESDAY + timedelta(days=4)
    assert arrival_range(_engineer(), JOB, Slot(_at(10, day=saturday), _at(12, day=saturday)),
                         RULES) is None  # fmt: skip


def test_planned_work_and_the_travel_around_it_block_the_slot():
    far_job = Busy(_at(8), _at(11, 30), FAR)  # ~3.8 hours' drive back from there
    assert arrival_range(_engineer(far_job), JOB, _slot(10), RULES) is None
    near_job = Busy(_at(8), _at(10, 30), SITE)
    earliest, _ = arrival_range(_engineer(near_job), JOB, _slot(10), RULES)
    assert earliest == _at(10, 30)  # straight on from the same site
    # A job at 11:00 nearby leaves room to arrive at 9:53 at the latest (60 min + 6.6 travel).
    next_job = Busy(_at(11), _at(12), HOME)
    _, latest = arrival_range(_engineer(next_job), JOB, _slot(8), RULES)
    assert _at(9, 52) < latest < _at(9, 54)


def test_too_far_from_home_is_never_offered():
    assert arrival_range(_engineer(home=FAR), JOB, _slot(10), RULES) is None


def test_places_are_capacity_bounded_by_engineers_minus_bookings():
    a, b, c = _engineer(), _engineer(), _engineer()
    slot = _slot(10)
    [three] = offers([slot], [a, b, c], JOB, RULES, capacity=2)
    assert three.places == 2 and len(three.engineers) == 3
    [one] = offers([slot], [a], JOB, RULES, capacity=2)
    assert one.places == 1
    [held] = offers([slot], [a, b], JOB, RULES, capacity=2,
                    booked=[(slot.start, slot.end), (_at(11), _at(13))])  # fmt: skip
    assert held.booked == 2 and held.places == 0
    [other] = offers([slot], [a, b], JOB, RULES, capacity=2, booked=[(_at(12), _at(14))])
    assert other.places == 2  # a booking of the next slot holds none of this one
