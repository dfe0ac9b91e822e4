"""Shift arithmetic, pure. A shift is local wall-clock time in an IANA zone on given weekdays
(Monday = 0); ``end < start`` runs overnight and belongs to the weekday it starts on, so a
Friday 22:00-06:00 shift covers Saturday 03:00 but a Saturday-only shift does not cover
Saturday 03:00. ``start == end`` is a 24-hour shift. A shift that the next one continues
without a break (24-hour shifts on consecutive days) is one stretch of work: the window running
now reaches to the end of the next shift, so a job started at 23:00 by an engineer on a 24/7
roster is not refused at midnight. Daylight-saving changes are handled by building each window
in the local zone and comparing instants in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Shift:
    timezone: str
    days: tuple[int, ...]
    start: time
    end: time

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for ``name``; ValueError with the name for an unknown zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name like Europe/Berlin"
        ) from None


def window_on(shift: Shift, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, shift.start, tzinfo=tz)
    end_day = day + timedelta(days=1) if shift.overnight else day
    end = datetime.combine(end_day, shift.end, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def current_window(shift: Shift, now: datetime) -> tuple[datetime, datetime] | None:
    """The (start, end) in UTC of the shift running at ``now``, or None when off shift."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = zone(shift.timezone)
    local_day = now.astimezone(tz).date()
    # A shift running now started today or (overnight / 24 h) yesterday.
    for day in (local_day, local_day - timedelta(days=1)):
        if day.weekday() not in shift.days:
            continue
        start, end = window_on(shift, day, tz)
        if start <= now < end:
            return start, _continued_end(shift, day, end, tz)
    return None


def _continued_end(shift: Shift, day: date, end: datetime, tz: ZoneInfo) -> datetime:
    """``end``, moved to the end of the next day's shift when that one starts exactly then.
    Only one shift further: enough that no job is cut at a boundary the engineer works through,
    while a 24/7 roster still has a finite window for planning."""
    following = day + timedelta(days=1)
    if following.weekday() in shift.days:
        start, next_end = window_on(shift, following, tz)
        if start == end:
            return next_end
    return end


def minutes_left(shift: Shift, now: datetime) -> float | None:
    """Minutes until the running shift ends; None when off shift."""
    window = current_window(shift, now)
    if window is None:
        return None
    return (window[1] - now).total_seconds() / 60


DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {name.lower(): i for i, name in enumerate(DAY_NAMES)}
SHIFT_FORMAT = "days HH:MM-HH:MM zone, e.g. 'Mon-Fri 08:00-17:00 Europe/Berlin'"


def _day(word: str) -> int:
    i = _DAY_INDEX.get(word.strip()[:3].lower()) if len(word.strip()) >= 3 else None
    if i is None:
        raise ValueError(f"{word.strip()!r} is not a weekday (Mon, Tue, ... Sun)")
    return i


def _clock(word: str) -> time:
    try:
        hours, minutes = word.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{word!r} is not a time of day (HH:MM, 00:00 to 23:59)") from None


def parse_pattern(text: str) -> Shift:
    """A shift typed in one spreadsheet cell (``SHIFT_FORMAT``): weekdays as a range
    (``Mon-Fri``, ``Fri-Mon`` wraps), a list (``Mon,Wed,Fri``) or both (``Mon-Wed,Sat``),
    then the wall-clock hours (``22:00-06:00`` runs overnight, ``00:00-00:00`` is 24 hours),
    then the IANA zone. ValueError in words for anything else."""
    parts = text.split()
    if len(parts) != 3:
        raise ValueError(f"{text!r} is not a shift; write {SHIFT_FORMAT}")
    days_text, hours_text, tz = parts
    days: set[int] = set()
    for item in days_text.split(","):
        ends = item.split("-")
        if len(ends) == 1:
            days.add(_day(ends[0]))
        elif len(ends) == 2:
            first, last = _day(ends[0]), _day(ends[1])
            days.update((first + k) % 7 for k in range((last - first) % 7 + 1))
        else:
            raise ValueError(f"{item!r} is not a weekday range (e.g. Mon-Fri)")
    hours = hours_text.split("-")
    if len(hours) != 2:
        raise ValueError(f"{hours_text!r} is not a span of hours (e.g. 08:00-17:00)")
    zone(tz)
    return Shift(tz, tuple(sorted(days)), _clock(hours[0]), _clock(hours[1]))


def format_pattern(shift: Shift) -> str:
    """The cell ``parse_pattern`` reads back to the same shift: consecutive weekdays as
    ranges (Monday first), the hours, the zone."""
    days = sorted(set(shift.days))
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    words = [
        DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in runs
    ]
    return f"{','.join(words)} {shift.start:%H:%M}-{shift.end:%H:%M} {shift.timezone}"
