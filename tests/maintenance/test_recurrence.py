"""Recurrence of maintenance plans: RFC 5545 rules in the plan's zone, on the UTC time line.

Pure functions: no database. The dates are chosen around Europe/Berlin's 2026 clock changes
(forward 29 March 02:00 -> 03:00, back 25 October 03:00 -> 02:00)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.errors import Invalid
from backend.maintenance.meters import Reading, meter_due, whichever_first
from backend.maintenance.recurrence import parse

BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(occ: list[datetime], zone: ZoneInfo = BERLIN) -> list[str]:
    return [o.astimezone(zone).strftime("%Y-%m-%d %H:%M") for o in occ]


def test_weekly_keeps_local_time_across_the_spring_change() -> None:
    r = parse("FREQ=WEEKLY;BYDAY=MO", datetime(2026, 3, 16, 9, 0), "Europe/Berlin")
    occ = r.between(utc(2026, 3, 1), utc(2026, 4, 7))
    assert local(occ) == [
        "2026-03-16 09:00",
        "2026-03-23 09:00",
        "2026-03-30 09:00",
        "2026-04-06 09:00",
    ]
    # the UTC hour moves with the offset: 08:00 UTC in winter, 07:00 UTC in summer
    assert [o.hour for o in occ] == [8, 8, 7, 7]


def test_a_skipped_local_time_moves_forward_by_the_gap() -> None:
    r = parse("FREQ=DAILY", datetime(2026, 3, 27, 2, 30), "Europe/Berlin")
    occ = r.between(utc(2026, 3, 27), utc(2026, 3, 31))
    assert local(occ) == [
        "2026-03-27 02:30",
        "2026-03-28 02:30",
        "2026-03-29 03:30",
        "2026-03-30 02:30",
    ]
    assert occ[2] == utc(2026, 3, 29, 1, 30)


def test_a_repeated_local_time_is_its_first_instance() -> None:
    r = parse("FREQ=DAILY;COUNT=3", datetime(2026, 10, 24, 2, 30), "Europe/Berlin")
    occ = r.between(utc(2026, 10, 1), utc(2026, 11, 1))
    assert occ == [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
    assert len(set(occ)) == 3  # the ambiguous day yields one occurrence, not two


def test_month_ends() -> None:
    start = datetime(2026, 1, 31, 8, 0)
    on_31st = parse("FREQ=MONTHLY;BYMONTHDAY=31", start, BERLIN)
    days = [o.astimezone(BERLIN).date().isoformat() for o in on_31st.next_after(utc(2026, 1, 1), 4)]
    assert days == ["2026-01-31", "2026-03-31", "2026-05-31", "2026-07-31"]  # RFC: skips
    last = parse("FREQ=MONTHLY;BYMONTHDAY=-1", start, BERLIN)
    days = [o.astimezone(BERLIN).date().isoformat() for o in last.next_after(utc(2027, 12, 1), 4)]
    assert days == ["2027-12-31", "2028-01-31", "2028-02-29", "2028-03-31"]


def test_last_friday_of_the_month() -> None:
    r = parse("RRULE:FREQ=MONTHLY;BYDAY=-1FR", datetime(2026, 1, 1, 7, 0), "Europe/Berlin")
    days = [o.astimezone(BERLIN).date().isoformat() for o in r.next_after(utc(2026, 1, 1), 4)]
    assert days == ["2026-01-30", "2026-02-27", "2026-03-27", "2026-04-24"]


def test_count_and_until() -> None:
    counted = parse("FREQ=WEEKLY;INTERVAL=2;COUNT=3", datetime(2026, 5, 4, 10), BERLIN)
    assert len(counted.between(utc(2026, 1, 1), utc(2027, 1, 1))) == 3
    assert counted.next_after(utc(2026, 6, 2), 5) == []  # all three have passed
    by_date = parse("FREQ=DAILY;UNTIL=20260506", datetime(2026, 5, 4, 23, 0), BERLIN)
    assert local(by_date.between(utc(2026, 1, 1), utc(2027, 1, 1)))[-1] == "2026-05-06 23:00"
    by_utc = parse("FREQ=DAILY;UNTIL=20260506T200000Z", datetime(2026, 5, 4, 22, 0), BERLIN)
    # 22:00 Berlin is 20:00 UTC in summer: the 6th is the last one, inclusive
    assert by_utc.between(utc(2026, 1, 1), utc(2027, 1, 1))[-1] == utc(2026, 5, 6, 20, 0)


def test_a_plan_started_in_the_past_yields_only_what_is_ahead() -> None:
    r = parse("FREQ=MONTHLY;BYMONTHDAY=1", datetime(2020, 1, 1, 9), BERLIN)
    now = utc(2026, 12, 3, 12)
    ahead = r.next_after(now, 3)
    assert local(ahead) == ["2027-01-01 09:00", "2027-02-01 09:00", "2027-03-01 09:00"]
    assert r.between(now, now + timedelta(days=60)) == ahead[:2]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("", "empty rule"),
        ("hello", "is not NAME=VALUE"),
        ("BYDAY=MO", "FREQ is required"),
        ("FREQ=HOURLY", "FREQ: 'HOURLY'"),
        ("FREQ=WEEKLY;BYDAY=XY", "BYDAY: 'XY' is not a weekday"),
        ("FREQ=WEEKLY;BYDAY=1MO", "BYDAY: '1MO': an ordinal weekday needs"),
        ("FREQ=MONTHLY;BYDAY=0MO", "BYDAY: '0MO': the ordinal"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY: 32 is out of range"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY: 0 is out of range"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH: 13 is out of range"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL: 0 is out of range"),
        ("FREQ=DAILY;INTERVAL=x", "INTERVAL: 'X' is not a whole number"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20270101", "COUNT and UNTIL"),
        ("FREQ=DAILY;UNTIL=20270231", "UNTIL: '20270231' is not a real date"),
        ("FREQ=DAILY;UNTIL=tomorrow", "UNTIL: 'TOMORROW' is not YYYYMMDD"),
        ("FREQ=MONTHLY;BYSETPOS=-1", "BYSETPOS needs another BYxxx"),
        ("FREQ=MONTHLY;BYWEEKNO=3", "BYWEEKNO: only with FREQ=YEARLY"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ given twice"),
        ("FREQ=DAILY;BYSECOND=5", "BYSECOND is not a rule part"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never produces an occurrence"),
        ("FREQ=DAILY;UNTIL=20200101", "never produces an occurrence"),
    ],
)
def test_an_invalid_rule_is_refused_naming_the_part(text: str, names: str) -> None:
    with pytest.raises(Invalid) as err:
        parse(text, datetime(2026, 1, 1, 9), BERLIN)
    assert err.value.status == 422
    assert any(names in p for p in err.value.errors["rrule"]), err.value.errors


def test_every_wrong_part_is_named_at_once() -> None:
    with pytest.raises(Invalid) as err:
        parse("FREQ=WEEKLY;BYDAY=XY;BYHOUR=25", datetime(2026, 1, 1, 9), BERLIN)
    problems = err.value.errors["rrule"]
    assert [p.split(":")[0] for p in problems] == ["BYDAY", "BYHOUR"]


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(Invalid) as err:
        parse("FREQ=DAILY", datetime(2026, 1, 1, 9), "Mars/Olympus_Mons")
    assert "timezone" in err.value.errors


ZONES = ["Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Sydney", "UTC"]
RULES = [
    "FREQ=DAILY",
    "FREQ=WEEKLY;BYDAY=MO,TH",
    "FREQ=MONTHLY;BYDAY=1MO",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU",
    "FREQ=WEEKLY;INTERVAL=3;BYDAY=SA;BYHOUR=2;BYMINUTE=30",
]


@pytest.mark.parametrize("seed", range(25))
def test_occurrences_are_ordered_unique_in_window_and_at_the_rules_wall_time(seed: int) -> None:
    """Random zone, rule, start and window: every occurrence lies in the window, once, in
    order; its local wall time is the rule's, except on a day the clock skipped it, where it
    is exactly one gap later; and ``between`` agrees with ``next_after``."""
    rng = random.Random(seed)
    zone = ZoneInfo(rng.choice(ZONES))
    text = rng.choice(RULES)
    start = datetime(2025, 1, 1) + timedelta(days=rng.randrange(700), minutes=rng.randrange(1440))
    r = parse(text, start, zone)
    lo = utc(2025, 6, 1) + timedelta(hours=rng.randrange(24 * 300))
    hi = lo + timedelta(days=rng.randrange(1, 400))
    occ = r.between(lo, hi)
    assert occ == sorted(set(occ))
    assert all(lo <= o < hi for o in occ)
    wall = {(start.hour, start.minute)} if "BYHOUR" not in text else {(2, 30)}
    for o in occ:
        here = o.astimezone(zone)
        if (here.hour, here.minute) not in wall:
            before = (o - timedelta(hours=1)).astimezone(zone)
            assert here.utcoffset() != before.utcoffset()  # only across a clock change
    assert r.next_after(lo, len(occ) + 1)[: len(occ)] == occ


def test_meter_plans_are_due_at_the_step_and_estimated_from_the_rate() -> None:
    base = utc(2026, 11, 1)
    readings = [Reading(base, 1000.0), Reading(base + timedelta(days=10), 1400.0)]
    due = meter_due(1000, 1000.0, readings)
    assert (due.due_reading, due.reached) == (2000.0, False)
    assert due.estimated_at == base + timedelta(days=25)  # 40 units a day, 600 to go
    assert meter_due(300, 1000.0, readings).reached
    assert meter_due(500, 1000.0, readings[:1]).estimated_at is None
    with pytest.raises(Invalid):
        meter_due(0, 1000.0, readings)
    assert whichever_first(None, base, base - timedelta(days=1)) == base - timedelta(days=1)
    assert whichever_first(None, None) is None
