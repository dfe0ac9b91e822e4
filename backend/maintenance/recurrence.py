"""Recurrence rules (RFC 5545 ``RRULE``) of maintenance plans, evaluated in the plan's zone.

A plan says "every first Monday at 09:00 in Europe/Berlin", so its rule is expanded in local
wall time and each occurrence is then placed on the UTC time line, where tickets live:

- the rule's text is checked part by part before python-dateutil sees it, so a refusal names
  the part and says what it accepts (dateutil's own errors name neither);
- ``UNTIL`` as a date means the end of that local day; with ``Z`` it is a UTC instant; it is
  turned into local wall time here, because dateutil compares it with local occurrences;
- a local time that does not exist (the hour skipped when clocks go forward) is read with the
  offset before the gap, i.e. moved forward by the gap, and a local time that exists twice
  (clocks go back) is its first instance: both as RFC 5545 (3.3.5, 3.3.10) prescribes, and
  both what ``zoneinfo`` does for ``fold=0``;
- ``BYMONTHDAY=31`` skips months without a 31st, as the RFC says; "the last day of every
  month" is ``BYMONTHDAY=-1`` and "the last Friday" ``BYDAY=-1FR``.

Plans repeat at most daily: ``HOURLY`` and finer are refused, and so is a rule that never
produces an occurrence (``BYMONTH=2;BYMONTHDAY=30``), which would otherwise be a plan that
silently does nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule as du

from backend.errors import Invalid

FIELD = "rrule"
FREQS = {"YEARLY": du.YEARLY, "MONTHLY": du.MONTHLY, "WEEKLY": du.WEEKLY, "DAILY": du.DAILY}
DAYS = {"MO": du.MO, "TU": du.TU, "WE": du.WE, "TH": du.TH, "FR": du.FR, "SA": du.SA, "SU": du.SU}
MAX_INTERVAL = 1000
MAX_COUNT = 10_000
MAX_TEXT = 500
_DAY_RE = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_RE = re.compile(r"^(\d{8})(?:T(\d{6})(Z)?)?$")


@dataclass(frozen=True)
class Recurrence:
    """A checked rule, bound to its first local start and its zone."""

    text: str
    start: datetime  # local wall time, naive
    zone: ZoneInfo
    rule: du.rrule

    def between(self, after: datetime, before: datetime) -> list[datetime]:
        """Occurrences (UTC) with ``after <= t < before`` (both aware)."""
        # Local bounds a day wider than the UTC ones: no zone is a day away from UTC.
        lo = after.astimezone(self.zone).replace(tzinfo=None) - timedelta(days=1)
        hi = before.astimezone(self.zone).replace(tzinfo=None) + timedelta(days=1)
        out = []
        for local in self.rule.between(lo, hi, inc=True):
            at = to_utc(local, self.zone)
            if after <= at < before:
                out.append(at)
        return out

    def next_after(self, after: datetime, limit: int) -> list[datetime]:
        """The next ``limit`` occurrences (UTC) at or after ``after``."""
        local = after.astimezone(self.zone).replace(tzinfo=None) - timedelta(days=1)
        out: list[datetime] = []
        for occ in self.rule.xafter(local, inc=True):
            at = to_utc(occ, self.zone)
            if at >= after:
                out.append(at)
                if len(out) >= limit:
                    break
        return out


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A local wall time on the UTC time line: a skipped time moves forward by the gap, a
    repeated one is its first instance (``fold=0``; RFC 5545 3.3.5)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(
            f"unknown time zone {name!r}", errors={"timezone": ["an IANA zone, e.g. Europe/Berlin"]}
        ) from exc


def parse(text: str, start: datetime, zone: ZoneInfo | str) -> Recurrence:
    """Check ``text`` and bind it to ``start`` (local wall time; an aware value is converted
    to the zone) in ``zone``. Raises ``Invalid`` naming every wrong part."""
    tz = zone if isinstance(zone, ZoneInfo) else zone_named(zone)
    if start.tzinfo is not None:
        start = start.astimezone(tz).replace(tzinfo=None)
    start = start.replace(microsecond=0)
    kwargs, problems = _read(text, tz)
    if problems:
        raise Invalid(f"invalid recurrence rule: {'; '.join(problems)}", errors={FIELD: problems})
    try:
        rule = du.rrule(dtstart=start, cache=False, **kwargs)
    except (ValueError, TypeError) as exc:  # what the part checks let through
        raise Invalid(f"invalid recurrence rule: {exc}", errors={FIELD: [str(exc)]}) from exc
    if rule.after(start, inc=True) is None:
        why = "the rule never produces an occurrence after its start"
        raise Invalid(f"invalid recurrence rule: {why}", errors={FIELD: [why]})
    return Recurrence(_canonical(text), start, tz, rule)


def _canonical(text: str) -> str:
    body = text.strip()
    return body[6:] if body.upper().startswith("RRULE:") else body


def _read(text: str, tz: ZoneInfo) -> tuple[dict[str, Any], list[str]]:
    """dateutil's keywords from the rule's parts, and what is wrong with them."""
    if not isinstance(text, str) or not text.strip():
        return {}, ["empty rule; e.g. FREQ=MONTHLY;BYDAY=1MO"]
    if len(text) > MAX_TEXT:
        return {}, [f"longer than {MAX_TEXT} characters"]
    parts: dict[str, str] = {}
    problems: list[str] = []
    for raw in _canonical(text).split(";"):
        if not raw:
            continue
        name, sep, value = raw.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip():
            problems.append(f"{raw!r} is not NAME=VALUE")
        elif name in parts:
            problems.append(f"{name} given twice")
        elif name not in _PARTS:
            problems.append(f"{name} is not a rule part this server accepts ({', '.join(_PARTS)})")
        else:
            parts[name] = value.strip().upper()
    kwargs: dict[str, Any] = {}
    for name, value in parts.items():
        try:
            kwargs.update(_PARTS[name](value, parts, tz))
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
    if "FREQ" not in parts and not any(p.startswith("FREQ") for p in problems):
        problems.append("FREQ is required (YEARLY, MONTHLY, WEEKLY or DAILY)")
    if "COUNT" in parts and "UNTIL" in parts:
        problems.append("COUNT and UNTIL: give one of them, not both (RFC 5545)")
    if "BYSETPOS" in parts and not any(p.startswith("BY") and p != "BYSETPOS" for p in parts):
        problems.append("BYSETPOS needs another BYxxx part to pick from")
    return kwargs, problems


def _ints(value: str, lo: int, hi: int, *, signed: bool, what: str) -> list[int]:
    """Comma-separated whole numbers in ``lo..hi``; ``signed``: also ``-hi..-lo`` (counted
    from the end), never 0."""
    out = []
    for item in value.split(","):
        try:
            n = int(item)
        except ValueError:
            raise ValueError(f"{item!r} is not a whole number ({what})") from None
        if not (lo <= (abs(n) if signed else n) <= hi) or (signed and n == 0):
            raise ValueError(f"{n} is out of range ({what})")
        out.append(n)
    return out


def _freq(value: str, parts: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
    if value not in FREQS:
        raise ValueError(f"{value!r}: plans repeat YEARLY, MONTHLY, WEEKLY or DAILY")
    return {"freq": FREQS[value]}


def _interval(value: str, parts: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
    if "," in value:
        raise ValueError("one number")
    return {"interval": _ints(value, 1, MAX_INTERVAL, signed=False, what=f"1 to {MAX_INTERVAL}")[0]}


def _count(value: str, parts: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
    if "," in value:
        raise ValueError("one number")
    return {"count": _ints(value, 1, MAX_COUNT, signed=False, what=f"1 to {MAX_COUNT}")[0]}


def _until(value: str, parts: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
    m = _UNTIL_RE.match(value)
    if m is None:
        raise ValueError(f"{value!r} is not YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ")
    try:
        day = datetime.strptime(m.group(1), "%Y%m%d").date()
        clock = datetime.strptime(m.group(2), "%H%M%S").time() if m.group(2) else None
    except ValueError:
        raise ValueError(f"{value!r} is not a real date and time") from None
    if clock is None:  # a date: through the end of that local day
        local = datetime.combine(day, time(23, 59, 59))
    elif m.group(3):  # UTC
        local = datetime.combine(day, clock, UTC).astimezone(tz).replace(tzinfo=None)
    else:
        local = datetime.combine(day, clock)
    return {"until": local}


def _byday(value: str, parts: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
    days = []
    for item in value.split(","):
        m = _DAY_RE.match(item)
        if m is None:
            raise ValueError(
                f"{item!r} is not a weekday (MO..SU, optionally with an ordinal: -1FR)"
            )
        nth = int(m.group(1)) if m.group(1) else None
        if nth is not None:
            if nth == 0 or abs(nth) > 53:
                raise ValueError(f"{item!r}: the ordinal is -53..-1 or 1..53")
            if parts.get("FREQ") not in ("MONTHLY", "YEARLY"):
                raise ValueError(f"{item!r}: an ordinal weekday needs FREQ=MONTHLY or YEARLY")
        days.append(DAYS[m.group(2)](nth) if nth is not None else DAYS[m.group(2)])
    return {"byweekday": days}


def _signed(lo: int, hi: int, key: str, what: str) -> Callable[..., dict[str, Any]]:
    def read(value: str, parts: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
        return {key: _ints(value, lo, hi, signed=True, what=what)}

    return read


def _plain(lo: int, hi: int, key: str, what: str) -> Callable[..., dict[str, Any]]:
    def read(value: str, parts: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
        return {key: _ints(value, lo, hi, signed=False, what=what)}

    return read


def _byweekno(value: str, parts: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
    if parts.get("FREQ") != "YEARLY":
        raise ValueError("only with FREQ=YEARLY")
    return {"byweekno": _ints(value, 1, 53, signed=True, what="-53..-1 or 1..53")}


def _wkst(value: str, parts: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
    if value not in DAYS:
        raise ValueError(f"{value!r} is not a weekday (MO..SU)")
    return {"wkst": DAYS[value]}


_PARTS: dict[str, Callable[[str, dict[str, str], ZoneInfo], dict[str, Any]]] = {
    "FREQ": _freq,
    "INTERVAL": _interval,
    "COUNT": _count,
    "UNTIL": _until,
    "BYDAY": _byday,
    "BYMONTHDAY": _signed(1, 31, "bymonthday", "-31..-1 or 1..31"),
    "BYMONTH": _plain(1, 12, "bymonth", "1 to 12"),
    "BYYEARDAY": _signed(1, 366, "byyearday", "-366..-1 or 1..366"),
    "BYWEEKNO": _byweekno,
    "BYSETPOS": _signed(1, 366, "bysetpos", "-366..-1 or 1..366"),
    "BYHOUR": _plain(0, 23, "byhour", "0 to 23"),
    "BYMINUTE": _plain(0, 59, "byminute", "0 to 59"),
    "WKST": _wkst,
}
