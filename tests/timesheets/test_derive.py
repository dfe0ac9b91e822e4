"""Time-sheet entries from status events, pure: which event opens and closes an entry, whose
it is, how device times are clamped, how corrections merge, how days are cut."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from backend.timesheets.derive import (
    Correction,
    Event,
    corrected,
    days_touched,
    split_by_day,
    ticket_entries,
    winning,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ALICE, BOB = uuid.uuid4(), uuid.uuid4()
TICKET = uuid.uuid4()


def ev(
    minutes: float,
    to_status: str | None,
    *,
    occurred: float | None = None,
    assignee: uuid.UUID | None = None,
    assigns: bool = False,
) -> Event:
    return Event(
        id=uuid.uuid4(),
        ticket_id=TICKET,
        at=T0 + timedelta(minutes=minutes),
        occurred_at=T0 + timedelta(minutes=occurred) if occurred is not None else None,
        from_status=None,  # set by chain(), as the server records it
        to_status=to_status,
        to_assignee=assignee,
        assigns=assigns,
    )


def chain(events: list[Event]) -> list[Event]:
    """The trail as the server writes it: each status event names the status it left."""
    out, current = [], None
    for e in events:
        if e.to_status is None:
            out.append(e)
            continue
        out.append(replace(e, from_status=current))
        current = e.to_status
    return out


def assign(minutes: float, who: uuid.UUID | None) -> Event:
    return ev(minutes, "assigned" if who else "new", assignee=who, assigns=True)


def minutes(entries) -> list[tuple[str, float]]:
    return [(e.kind, e.seconds / 60) for e in entries]


def test_a_working_day_becomes_travel_on_site_work_and_pause():
    trail = [
        assign(0, ALICE),
        ev(1, "accepted"),
        ev(10, "en_route"),
        ev(40, "on_site"),
        ev(50, "in_progress"),
        ev(130, "on_hold"),
        ev(145, "in_progress"),  # resume
        ev(190, "completed"),
    ]
    entries = ticket_entries(chain(trail), now=T0 + timedelta(hours=8))
    assert minutes(entries) == [
        ("travel", 30),
        ("on_site", 10),
        ("work", 80),
        ("pause", 15),
        ("work", 45),
    ]
    assert {e.engineer_id for e in entries} == {ALICE}
    assert [e.id for e in entries] == [trail[i].id for i in (2, 3, 4, 5, 6)]  # opening events
    assert not any(e.open for e in entries)


def test_device_times_are_used_but_clamped_to_receipt_and_order():
    trail = [
        assign(0, ALICE),
        ev(1, "accepted"),
        # synced at 120 min, done offline at 10 and 40: the sheet shows the device's times
        ev(120, "en_route", occurred=10),
        ev(121, "on_site", occurred=40),
        # a device clock in the future is clamped to the server's receipt
        ev(130, "in_progress", occurred=500),
        # and one earlier than the previous event cannot reorder the day
        ev(140, "completed", occurred=20),
    ]
    entries = ticket_entries(chain(trail), now=T0 + timedelta(hours=8))
    assert minutes(entries) == [("travel", 30), ("on_site", 90), ("work", 0)]


def test_a_reassignment_ends_the_travel_and_the_next_engineer_owns_theirs():
    trail = [
        assign(0, ALICE),
        ev(1, "accepted"),
        ev(10, "en_route"),
        assign(25, BOB),
        ev(30, "accepted"),
        ev(35, "en_route"),
        ev(60, "on_site"),
    ]
    now = T0 + timedelta(minutes=70)
    entries = ticket_entries(chain(trail), now=now)
    assert [(e.engineer_id, e.kind, e.seconds / 60) for e in entries] == [
        (ALICE, "travel", 15),
        (BOB, "travel", 25),
        (BOB, "on_site", 10),
    ]
    assert entries[-1].open and entries[-1].end == now


def test_an_unassigned_ticket_opens_no_entry():
    trail = [ev(0, "accepted"), ev(5, "en_route"), ev(9, "on_site")]
    assert ticket_entries(chain(trail), now=T0 + timedelta(hours=1)) == []


def _correction(entry_id, *, at: float, start=None, end=None, removed=False, kind=None):
    return Correction(
        id=uuid.uuid4(),
        engineer_id=ALICE,
        entry_id=entry_id,
        kind=kind,
        ticket_id=None,
        start=start,
        end=end,
        removed=removed,
        reason="forgot to press",
        effective=T0 + timedelta(minutes=at),
    )


def test_the_latest_correction_by_device_time_wins_in_any_arrival_order():
    trail = [
        assign(0, ALICE),
        ev(1, "accepted"),
        ev(10, "en_route"),
        ev(40, "on_site"),
        ev(50, "completed"),
    ]
    travel = ticket_entries(chain(trail), now=T0 + timedelta(hours=1))[0]
    early = _correction(travel.id, at=100, end=T0 + timedelta(minutes=20))
    late = _correction(travel.id, at=200, end=T0 + timedelta(minutes=25))
    for order in itertools.permutations([early, late]):
        (fixed, _on_site) = corrected([travel, _on_site_of(trail)], order)
        assert fixed.end == T0 + timedelta(minutes=25) and fixed.corrected
        assert fixed.reason == "forgot to press"


def _on_site_of(trail):
    return ticket_entries(chain(trail), now=T0 + timedelta(hours=1))[1]


def test_a_manual_entry_and_its_own_correction():
    manual = _correction(None, at=10, kind="travel", start=T0, end=T0 + timedelta(minutes=30))
    shorter = _correction(manual.id, at=20, end=T0 + timedelta(minutes=10))
    for order in ([manual, shorter], [shorter, manual]):
        (entry,) = corrected([], order)
        assert (entry.id, entry.kind, entry.seconds) == (manual.id, "travel", 600)
    removed = _correction(manual.id, at=30, removed=True)
    (entry,) = corrected([], [manual, shorter, removed])
    assert entry.removed


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=6))
def test_winning_does_not_depend_on_arrival_order(stamps):
    target = uuid.uuid4()
    corrections = [_correction(target, at=a / 60) for a, _ in stamps]
    expected = winning(corrections)[target]
    for order in itertools.islice(itertools.permutations(corrections), 24):
        assert winning(order)[target] == expected


statuses = st.sampled_from(
    ["accepted", "en_route", "on_site", "in_progress", "on_hold", "completed", None]
)


@given(
    st.lists(
        st.tuples(
            st.integers(1, 600),
            st.integers(-300, 300),
            statuses,
            st.sampled_from([None, ALICE, BOB]),
        ),
        max_size=30,
    )
)
def test_entries_never_overlap_and_stay_inside_the_trail(steps):
    trail, t = [assign(0, ALICE)], 0
    for gap, skew, status, who in steps:
        t += gap
        if who is not None and status is None:
            trail.append(assign(t, who))
        else:
            trail.append(ev(t, status, occurred=t + skew))
    now = T0 + timedelta(minutes=t + 60)
    entries = ticket_entries(chain(trail), now=now)
    for a, b in itertools.pairwise(entries):
        assert a.end <= b.start
    assert not any(e.open for e in entries[:-1])  # only the last can still run
    for e in entries:
        assert T0 <= e.start <= e.end <= now
        assert not e.open or e.end == now


BERLIN = ZoneInfo("Europe/Berlin")


def test_entries_are_cut_at_the_engineers_midnight_also_on_a_23_hour_day():
    # 2026-03-29: Berlin springs forward (the day has 23 hours)
    start = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # 23:00 local on the 28th
    end = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)  # 01:30 local on the 30th
    entry = ticket_entries(
        [
            Event(uuid.uuid4(), TICKET, start, None, "new", "assigned", ALICE, True),
            Event(uuid.uuid4(), TICKET, start, None, "assigned", "in_progress", None, False),
            Event(uuid.uuid4(), TICKET, end, None, "in_progress", "completed", None, False),
        ],
        now=end,
    )[0]
    parts = split_by_day(entry, BERLIN)
    assert [(d, p.seconds / 3600) for d, p in parts] == [
        (date(2026, 3, 28), 1.0),
        (date(2026, 3, 29), 23.0),
        (date(2026, 3, 30), 1.5),
    ]
    assert days_touched(start, end, BERLIN) == {date(2026, 3, d) for d in (28, 29, 30)}
