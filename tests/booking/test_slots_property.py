"""Property: over random days (engineers, shifts, planned work, a job, the clock), every slot
booking offers is one some engineer can really keep, judged by an independent check written
with the dispatcher's own rules (``shifts.current_window``: the shift running when the
engineer sets off, the job done by its end; ``travel.estimate``: the same travel time), and a
slot never has more places than capacity and engineers allow.

The check tries every arrival that can be the earliest feasible one (the slot's start, the end
of each planned job plus the drive from it, each shift's start plus the drive from home; a
feasible set of arrivals starts at one of them) and asks of each: on shift when leaving, done
by the shift's end, clear of planned work with the travel to and from it. Day shifts only
(overnight rosters are covered by the shift tests); random dates, daylight-saving days
included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.booking.slots import Busy, EngineerDays, Job, Slot, TravelRules, grid, offers
from backend.dispatch.shifts import Shift, current_window, window_on, zone
from backend.dispatch.travel import estimate

TZ = "Europe/Berlin"
RULES = TravelRules(speed_kmh=40, detour=1.3, max_travel_min=90)
CENTRE = (13.40, 52.52)


def _travel(a, b) -> timedelta:
    return timedelta(minutes=estimate(a, b, speed_kmh=40, detour=1.3).minutes)


def _point(dx: float, dy: float) -> tuple[float, float]:
    return (CENTRE[0] + dx, CENTRE[1] + dy)


points = st.builds(_point, st.floats(-0.6, 0.6), st.floats(-0.4, 0.4))


@st.composite
def shifts(draw) -> Shift:
    days = tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1))))
    start = draw(st.integers(6, 11))
    end = draw(st.integers(start + 3, 21))
    return Shift(TZ, days, time(start), time(end))


@st.composite
def days(draw):
    now = draw(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                            timezones=st.just(UTC)))  # fmt: skip
    horizon = now + timedelta(days=3)
    engineers = []
    for _ in range(draw(st.integers(1, 4))):
        busy = []
        for _ in range(draw(st.integers(0, 5))):
            start = now + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
            length = timedelta(minutes=draw(st.integers(20, 180)))
            busy.append(Busy(start, start + length, draw(points)))
        engineers.append(EngineerDays(uuid.uuid4(), draw(points), draw(shifts()), tuple(busy)))
    job = Job(draw(points), timedelta(minutes=draw(st.sampled_from([30, 60, 90, 120]))))
    booked = []
    for _ in range(draw(st.integers(0, 4))):
        start = now + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
        booked.append((start, start + timedelta(hours=2)))
    del horizon
    return now, engineers, job, booked, draw(st.integers(1, 3))


def _feasible_at(e: EngineerDays, job: Job, arrive: datetime) -> bool:
    """The dispatcher's rules, applied to one arrival time."""
    if _travel(e.home, job.location).total_seconds() / 60 > RULES.max_travel_min:
        return False
    done = arrive + job.service
    if any(b.start < done and b.end > arrive for b in e.busy):
        return False
    before = [b for b in e.busy if b.end <= arrive]
    after = [b for b in e.busy if b.start >= done]
    # Coming from the last job of the same shift, else from home at the shift's start.
    running = current_window(e.shift, arrive)
    prev = max(
        (b for b in before if running is not None and b.end > running[0]),
        key=lambda b: b.end,
        default=None,
    )
    origin, ready = (prev.location, prev.end) if prev else (e.home, None)
    leave = arrive - _travel(origin, job.location)
    if ready is not None and leave < ready:
        return False
    shift = current_window(e.shift, leave)
    if shift is None or done > shift[1]:
        return False
    nxt = min(after, key=lambda b: b.start, default=None)
    return not (nxt is not None and nxt.start < shift[1] and
                done + _travel(job.location, nxt.location) > nxt.start)  # fmt: skip


def _candidates(e: EngineerDays, job: Job, slot: Slot) -> list[datetime]:
    times = {slot.start}
    times |= {b.end + _travel(b.location, job.location) for b in e.busy}
    tz = zone(TZ)
    day = slot.start.astimezone(tz).date()
    for d in (day - timedelta(days=1), day):
        if d.weekday() in e.shift.days:
            times.add(window_on(e.shift, d, tz)[0] + _travel(e.home, job.location))
    return [t for t in times if slot.start <= t <= slot.end]


def able(e: EngineerDays, job: Job, slot: Slot) -> bool:
    return any(_feasible_at(e, job, t) for t in _candidates(e, job, slot))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_offered_slots_are_keepable_and_within_capacity(day):
    now, engineers, job, booked, capacity = day
    slots = grid(now, timezone=TZ, slot=timedelta(hours=2), day_start_h=7, day_end_h=21,
                 days_ahead=2, lead=timedelta(hours=1))  # fmt: skip
    for offer in offers(slots, engineers, job, RULES, booked=booked, capacity=capacity):
        keepers = {e.engineer_id for e in engineers if able(e, job, offer.slot)}
        # Every engineer booking counts can keep the slot, and it misses none.
        assert set(offer.engineers) == keepers, offer.slot
        held = sum(1 for s, e in booked if offer.slot.overlaps(s, e))
        assert offer.places == max(0, min(capacity, len(keepers)) - held)
        if offer.places > 0:
            assert keepers, "offered a slot nobody can keep"
            assert offer.places + held <= capacity
