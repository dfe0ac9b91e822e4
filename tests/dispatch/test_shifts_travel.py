"""Pure tests: shift windows (overnight, time zones, DST) and the travel model."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from backend.dispatch.shifts import Shift, current_window, minutes_left
from backend.dispatch.travel import estimate, haversine_m

WEEKDAYS = (0, 1, 2, 3, 4)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# 2026-11-20 is a Friday, 2026-11-21 a Saturday.


def test_day_shift_inside_and_outside():
    s = Shift("UTC", WEEKDAYS, time(8), time(17))
    assert current_window(s, utc(2026, 11, 20, 8, 0)) == (
        utc(2026, 11, 20, 8),
        utc(2026, 11, 20, 17),
    )
    assert current_window(s, utc(2026, 11, 20, 7, 59)) is None
    assert current_window(s, utc(2026, 11, 20, 17, 0)) is None  # end is exclusive
    assert current_window(s, utc(2026, 11, 21, 12, 0)) is None  # Saturday is not a shift day
    assert minutes_left(s, utc(2026, 11, 20, 16, 30)) == 30


def test_overnight_shift_belongs_to_its_start_day():
    friday_night = Shift("UTC", (4,), time(22), time(6))
    assert current_window(friday_night, utc(2026, 11, 21, 3, 0)) == (
        utc(2026, 11, 20, 22),
        utc(2026, 11, 21, 6),
    )
    assert current_window(friday_night, utc(2026, 11, 20, 23, 0)) is not None
    # Thursday night is not worked: Friday 03:00 is off shift.
    assert current_window(friday_night, utc(2026, 11, 20, 3, 0)) is None
    saturday_night = Shift("UTC", (5,), time(22), time(6))
    assert current_window(saturday_night, utc(2026, 11, 21, 3, 0)) is None


def test_time_zone_is_local_wall_clock():
    ny = Shift("America/New_York", WEEKDAYS, time(9), time(17))  # EST = UTC-5 in November
    assert current_window(ny, utc(2026, 11, 20, 14, 0)) == (
        utc(2026, 11, 20, 14),
        utc(2026, 11, 20, 22),
    )
    assert current_window(ny, utc(2026, 11, 20, 13, 59)) is None
    # Friday 23:00 in New York is Saturday 04:00 UTC and still Friday there: off shift
    # (after 17:00), but an overnight shift starting Friday 22:00 local covers it.
    assert current_window(ny, utc(2026, 11, 21, 4, 0)) is None
    ny_night = Shift("America/New_York", (4,), time(22), time(6))
    assert current_window(ny_night, utc(2026, 11, 21, 4, 0)) is not None
    tokyo = Shift("Asia/Tokyo", (0,), time(8), time(17))  # UTC+9: Monday 08:00 = Sunday 23:00Z
    assert current_window(tokyo, utc(2026, 11, 22, 23, 30)) is not None


def test_overnight_shift_across_dst_change_is_one_hour_longer():
    # Europe/Berlin leaves summer time on Sunday 2026-10-25 at 03:00 local.
    s = Shift("Europe/Berlin", (5,), time(22), time(6))
    start, end = current_window(s, utc(2026, 10, 25, 1, 0))
    assert start == utc(2026, 10, 24, 20, 0)  # 22:00 CEST
    assert end == utc(2026, 10, 25, 5, 0)  # 06:00 CET
    assert (end - start).total_seconds() == 9 * 3600


def test_equal_start_and_end_is_a_24_hour_shift():
    s = Shift("UTC", (0, 1, 2, 3, 4, 5, 6), time(0), time(0))
    for hour in (0, 5, 12, 23):
        assert current_window(s, utc(2026, 11, 21, hour, 30)) is not None


def test_back_to_back_24_hour_shifts_run_through_midnight():
    # A job at 23:00 on a 24/7 roster must not be cut at midnight (CI once failed at 21:13).
    always = Shift("UTC", (0, 1, 2, 3, 4, 5, 6), time(0), time(0))
    start, end = current_window(always, utc(2026, 11, 20, 23, 0))
    assert (start, end) == (utc(2026, 11, 20), utc(2026, 11, 22))
    assert minutes_left(always, utc(2026, 11, 20, 23, 0)) == 25 * 60
    # Friday is the last 24-hour day: the stretch ends at Saturday 00:00.
    weekdays_24h = Shift("Europe/Berlin", WEEKDAYS, time(0), time(0))
    assert current_window(weekdays_24h, utc(2026, 11, 20, 21, 0))[1] == utc(2026, 11, 20, 23, 0)


def test_a_break_between_shifts_is_not_joined():
    day = Shift("UTC", WEEKDAYS, time(8), time(17))
    assert current_window(day, utc(2026, 11, 19, 16, 0))[1] == utc(2026, 11, 19, 17)
    night = Shift("UTC", WEEKDAYS, time(22), time(6))
    assert current_window(night, utc(2026, 11, 19, 23, 0))[1] == utc(2026, 11, 20, 6)


def test_unknown_zone_and_naive_now_are_refused():
    with pytest.raises(ValueError, match="unknown time zone"):
        current_window(Shift("Mars/Olympus", WEEKDAYS, time(8), time(17)), utc(2026, 11, 20, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        current_window(Shift("UTC", WEEKDAYS, time(8), time(17)), datetime(2026, 11, 20, 9))


def test_haversine_known_distances():
    berlin, paris = (13.4050, 52.5200), (2.3522, 48.8566)
    assert haversine_m(berlin, paris) == pytest.approx(878_000, rel=0.01)
    assert haversine_m(berlin, berlin) == 0
    # In Tromso (69.65 N) a degree of longitude is ~38.7 km, a degree of latitude ~111 km.
    assert haversine_m((18.95, 69.65), (19.95, 69.65)) == pytest.approx(38_700, rel=0.01)
    assert haversine_m((18.95, 69.65), (18.95, 70.65)) == pytest.approx(111_200, rel=0.01)


def test_travel_estimate_applies_detour_and_speed():
    trip = estimate((0.0, 0.0), (0.0, 0.1), speed_kmh=40, detour=1.3)
    assert trip.straight_m == pytest.approx(11_119, rel=0.001)
    assert trip.road_m == pytest.approx(trip.straight_m * 1.3)
    assert trip.minutes == pytest.approx(trip.road_m / 1000 / 40 * 60)
    with pytest.raises(ValueError):
        estimate((0, 0), (1, 1), speed_kmh=0, detour=1.3)
