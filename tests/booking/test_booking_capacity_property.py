"""Property, against the database: over random days (engineers with random shifts and homes,
planned work, customers picking random times), ``reserve`` never books a slot beyond its
places. Every booking is the k-th of its slot with k <= min(capacity, engineers able to take
that job then), so no slot ever holds more bookings than capacity or than engineers to keep
them; refused picks are 409s or 422s, never a booking."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from geoalchemy2.shape import from_shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import shape
from sqlalchemy import func, select

from backend.accounts.operations import create_user
from backend.booking.availability import offers_for, reserve, slot_grid
from backend.booking.settings import BookingSettings
from backend.db import db
from backend.dispatch.engineers import ShiftSpec, create_profile
from backend.dispatch.models import Region
from backend.dispatch.settings import DispatchSettings
from backend.errors import Conflict, Invalid
from backend.workorders.models import Ticket
from backend.workorders.operations import Location, assign_ticket, create_ticket
from tests.factories import BERLIN, square

BOOKING = BookingSettings(days_ahead=2, capacity=2, lead=timedelta(hours=1))
DISPATCH = DispatchSettings()

spots = st.tuples(st.floats(-0.04, 0.04), st.floats(-0.04, 0.04)).map(
    lambda d: Location(BERLIN[0] + d[0], BERLIN[1] + d[1])
)


@st.composite
def days(draw):
    now = draw(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                            timezones=st.just(UTC)))  # fmt: skip
    engineers = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(6, 11))
        shift = ShiftSpec("Europe/Berlin", sorted(draw(st.sets(st.integers(0, 6), min_size=1))),
                          time(start), time(draw(st.integers(start + 3, 21))))  # fmt: skip
        planned = [draw(st.integers(0, 3 * 24 * 60)) for _ in range(draw(st.integers(0, 3)))]
        engineers.append((draw(spots), shift, planned))
    picks = [(draw(spots), draw(st.integers(0, 40))) for _ in range(draw(st.integers(2, 10)))]
    return now, engineers, picks


SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _region() -> Region:
    region = Region(
        name=f"R {uuid.uuid4().hex[:8]}", area=from_shape(shape(square(*BERLIN)), srid=4326)
    )
    db.session.add(region)
    db.session.flush()
    return region


@pytest.mark.slow  # each example hashes its users' passwords
@settings(max_examples=15, deadline=None, suppress_health_check=SLOW_OK)
@given(day=days())
def test_bookings_never_exceed_places(app, session, day):
    now, engineers, picks = day
    policy = app.config["SLA_POLICY"]
    savepoint = db.session.begin_nested()
    try:
        region = _region()
        admin = create_user(email=f"a{uuid.uuid4().hex[:8]}@x.test", name="A", role="admin",
                            password="correct horse battery")  # fmt: skip
        for home, shift, planned in engineers:
            user = create_user(email=f"e{uuid.uuid4().hex[:8]}@x.test", name="E",
                               role="engineer", password="correct horse battery")  # fmt: skip
            create_profile(actor=admin, user_id=user.id, home=home, shift=shift,
                           region_ids=[region.id])  # fmt: skip
            for minute in planned:
                job = create_ticket(actor=None, title="planned", priority="P2",
                                    location=home, sla_policy=policy, now=now)  # fmt: skip
                assign_ticket(job, user, actor=None)
                job.eta = now + timedelta(minutes=minute)
        db.session.flush()
        grid = slot_grid(now, BOOKING)
        held: dict[datetime, int] = {}
        for where, choice in picks:
            ticket = create_ticket(actor=None, title="booked", priority="P3", location=where,
                                   sla_policy=policy, now=now)  # fmt: skip
            slot = grid[choice % len(grid)]
            [offer] = offers_for(ticket, [slot], now=now, booking=BOOKING, dispatch=DISPATCH)
            try:
                reserve(ticket, slot.start, now=now, booking=BOOKING, dispatch=DISPATCH)
            except (Conflict, Invalid):
                assert offer.places == 0
                assert ticket.window_start is None
                continue
            held[slot.start] = held.get(slot.start, 0) + 1
            assert held[slot.start] <= min(BOOKING.capacity, len(offer.engineers))
            assert ticket.window_start == slot.start
        counts = db.session.execute(
            select(Ticket.window_start, func.count())
            .where(Ticket.window_start.is_not(None), Ticket.title == "booked")
            .group_by(Ticket.window_start)
        ).all()
        assert {s: n for s, n in counts} == held
        assert all(n <= BOOKING.capacity for n in held.values())
    finally:
        savepoint.rollback()
