"""Time-sheet operations: read a period, correct an entry, approve or reopen a day. REST and
sync call these (one rule each); plain values in, the caller's boundary commits."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.accounts.models import User
from backend.db import db
from backend.errors import Conflict, Invalid, NotAllowed, NotFound
from backend.timesheets import queries as q
from backend.timesheets.derive import (
    KINDS,
    Correction,
    Entry,
    corrected,
    days_touched,
    split_by_day,
    ticket_entries,
)
from backend.timesheets.models import TimesheetCorrection, TimesheetDay

MAX_DAYS = 62  # one request: two months of days
MAX_ENTRY = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)  # a device clock this far ahead is still "now"


class DayLocked(Conflict):
    """A correction touching a day a dispatcher approved. Through sync it becomes a conflict
    record (the engineer's correction is kept for the dispatcher to apply or dismiss)."""

    kind = "day_approved"


@dataclass
class DaySheet:
    day: date
    status: str  # open | approved
    entries: list[dict[str, Any]]
    totals: dict[str, int]  # seconds per kind
    decided_by: uuid.UUID | None = None
    decided_at: datetime | None = None
    version: int | None = None
    changed_since_approval: bool = False


def _entry_dict(e: Entry, numbers: dict[uuid.UUID, str]) -> dict[str, Any]:
    row = asdict(e)
    row["seconds"] = int(e.seconds)
    row["ticket_number"] = numbers.get(e.ticket_id) if e.ticket_id else None
    return row


def entries_for(
    engineer_id: uuid.UUID, first: date, last: date, now: datetime, tz: ZoneInfo
) -> list[Entry]:
    """The engineer's corrected entries with any part on the local days [first, last] of
    their time zone ``tz``."""
    since = _midnight(first, tz) - q.LOOKBACK
    until = _midnight(last + timedelta(days=1), tz)
    trails = q.ticket_events(q.candidate_tickets(engineer_id, since, until))
    derived = [
        e
        for events in trails.values()
        for e in ticket_entries(events, now)
        if e.engineer_id == engineer_id
    ]
    return corrected(derived, q.corrections(engineer_id, since.date(), last))


def sheet(engineer_id: uuid.UUID, first: date, last: date, *, now: datetime) -> list[DaySheet]:
    """The engineer's days [first, last]: entries split at local midnight, totals per kind,
    approval. An approved day shows its frozen snapshot."""
    if last < first:
        raise Invalid("'to' is before 'from'", errors={"to": ["before from"]})
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(
            f"at most {MAX_DAYS} days per request", errors={"to": [f"at most {MAX_DAYS} days"]}
        )
    tz = q.engineer_zone(engineer_id)
    by_day: dict[date, list[Entry]] = defaultdict(list)
    for entry in entries_for(engineer_id, first, last, now, tz):
        for day, part in split_by_day(entry, tz):
            if first <= day <= last:
                by_day[day].append(part)
    numbers = q.ticket_numbers(
        e.ticket_id for parts in by_day.values() for e in parts if e.ticket_id
    )
    decided = q.decided_days(engineer_id, first, last)
    out = []
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        live = [_entry_dict(e, numbers) for e in by_day.get(day, [])]
        row = decided.get(day)
        if row is not None and row.status == "approved" and row.snapshot is not None:
            frozen = [_from_json(e) for e in row.snapshot["entries"]]
            out.append(
                DaySheet(
                    day,
                    "approved",
                    frozen,
                    row.snapshot["totals"],
                    row.decided_by,
                    row.decided_at,
                    row.version,
                    changed_since_approval=_fingerprint(live) != _fingerprint(frozen),
                )
            )
            continue
        out.append(
            DaySheet(
                day,
                "open",
                live,
                _totals(live),
                row.decided_by if row else None,
                row.decided_at if row else None,
                row.version if row else None,
            )
        )
    return out


def _totals(entries: list[dict[str, Any]]) -> dict[str, int]:
    totals = dict.fromkeys(KINDS, 0)
    for e in entries:
        if not e["removed"]:
            totals[e["kind"]] += int(e["seconds"])
    return totals


def _fingerprint(entries: list[dict[str, Any]]) -> list[tuple[str, str, Any, Any, bool]]:
    """What an approval vouches for: each entry's id, kind, bounds and removal."""
    return sorted(
        (str(e["id"]), str(e["kind"]), e["start"], e["end"], bool(e["removed"])) for e in entries
    )


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tz)


# --- corrections -----------------------------------------------------------------------------


def correct(
    actor: User, c: Correction, *, now: datetime, via: str = "api", force: bool = False
) -> tuple[TimesheetCorrection, bool]:
    """Record one correction (idempotent by id: the same id again answers the stored one,
    ``False``; different content under a used id is a conflict). Engineers correct their own
    entries only; a day already approved refuses it (``DayLocked``) unless ``force`` (a
    dispatcher applying an engineer's late correction)."""
    if not actor.is_staff and c.engineer_id != actor.id:
        raise NotAllowed("engineers correct their own time sheet only")
    stored = db.session.get(TimesheetCorrection, c.id)
    if stored is not None:
        if stored.engineer_id != c.engineer_id or _content(stored) != _content_in(c):
            raise Conflict(f"correction {c.id} was already recorded with other values")
        return stored, False
    tz = q.engineer_zone(c.engineer_id)
    original = _original(c, now)
    start = c.start or (original.start if original else None)
    end = c.end or (original.end if original else None)
    _check_bounds(start, end, now)
    assert start is not None and end is not None  # _check_bounds refused the rest
    days = days_touched(start, end, tz)
    if original is not None:
        days |= days_touched(original.start, original.end, tz)
    if not force:
        _refuse_locked(c.engineer_id, days)
    row = TimesheetCorrection(
        id=c.id,
        engineer_id=c.engineer_id,
        author_id=actor.id,
        entry_id=c.entry_id,
        kind=c.kind if c.entry_id is None else None,
        ticket_id=c.ticket_id if c.entry_id is None else (original.ticket_id if original else None),
        start_at=c.start,
        end_at=c.end,
        removed=c.removed,
        reason=c.reason,
        occurred_at=min(c.occurred_at, now) if c.occurred_at else None,
        via=via,
        day_from=min(days),
        day_to=max(days),
    )
    db.session.add(row)
    db.session.flush()
    return row, True


def _original(c: Correction, now: datetime) -> Entry | None:
    """The entry a correction names, as derived now (its latest correction applied), or None
    for a manual entry. An entry that is not the engineer's is 'not found' (no probing)."""
    if c.entry_id is None:
        if c.kind is None or c.start is None or c.end is None:
            raise Invalid(
                "a new entry needs kind, start and end",
                errors={k: ["required for a new entry"] for k in ("kind", "start", "end")},
            )
        return None
    manual = db.session.get(TimesheetCorrection, c.entry_id)
    if manual is not None and manual.entry_id is None and manual.engineer_id == c.engineer_id:
        return Entry(
            manual.id,
            manual.engineer_id,
            str(manual.kind),
            manual.ticket_id,
            manual.start_at or now,
            manual.end_at or now,
        )
    opening = _opening_ticket(c.entry_id)
    if opening is not None:
        trail = q.ticket_events([opening]).get(opening, [])
        for e in ticket_entries(trail, now):
            if e.id == c.entry_id and e.engineer_id == c.engineer_id:
                return e
    raise NotFound(
        f"time-sheet entry {c.entry_id} not found", errors={"entry_id": ["unknown entry"]}
    )


def _opening_ticket(event_id: uuid.UUID) -> uuid.UUID | None:
    from backend.workorders.models import TicketEvent

    return db.session.scalar(select(TicketEvent.ticket_id).where(TicketEvent.id == event_id))


def _check_bounds(start: datetime | None, end: datetime | None, now: datetime) -> None:
    if start is None or end is None:
        raise Invalid("start and end are required", errors={"end": ["required"]})
    if end < start:
        raise Invalid("end is before start", errors={"end": ["before start"]})
    if end - start > MAX_ENTRY:
        raise Invalid("an entry lasts at most 24 hours", errors={"end": ["more than 24 h"]})
    if end > now + CLOCK_SKEW:
        raise Invalid("an entry cannot end in the future", errors={"end": ["in the future"]})


def _refuse_locked(engineer_id: uuid.UUID, days: set[date]) -> None:
    locked = db.session.scalars(
        select(TimesheetDay.day).where(
            TimesheetDay.engineer_id == engineer_id,
            TimesheetDay.day.in_(sorted(days)),
            TimesheetDay.status == "approved",
        )
    ).all()
    if locked:
        listed = ", ".join(d.isoformat() for d in sorted(locked))
        raise DayLocked(
            f"the time sheet of {listed} is approved; ask a dispatcher to reopen it",
            days=[d.isoformat() for d in sorted(locked)],
        )


def _content(row: TimesheetCorrection) -> tuple[Any, ...]:
    return (row.entry_id, row.start_at, row.end_at, row.removed, row.reason)


def _content_in(c: Correction) -> tuple[Any, ...]:
    return (c.entry_id, c.start, c.end, c.removed, c.reason)


# --- approval ----------------------------------------------------------------------------------


def approve(
    actor: User, engineer_id: uuid.UUID, day: date, *, now: datetime, version: int | None = None
) -> TimesheetDay:
    """Freeze the day as it reads now. Approving an approved day again is a no-op."""
    _require_staff(actor)
    row = _day_row(engineer_id, day, lock=True)
    _check_version(row, version)
    if row is not None and row.status == "approved":
        return row
    if day > now.astimezone(q.engineer_zone(engineer_id)).date():
        raise Invalid("a day in the future cannot be approved", errors={"day": ["in the future"]})
    (today,) = sheet(engineer_id, day, day, now=now)
    if any(e["open"] for e in today.entries):
        raise Conflict(
            f"{day.isoformat()} still has an open entry; it can be approved once it ends",
            entries=[str(e["id"]) for e in today.entries if e["open"]],
        )
    snapshot = {"entries": _jsonable(today.entries), "totals": today.totals}
    if row is None:
        row = TimesheetDay(engineer_id=engineer_id, day=day)
        db.session.add(row)
    row.status, row.decided_by, row.decided_at = "approved", actor.id, now
    row.snapshot, row.reason = snapshot, None
    db.session.flush()
    return row


def reopen(
    actor: User,
    engineer_id: uuid.UUID,
    day: date,
    *,
    now: datetime,
    reason: str,
    version: int | None = None,
) -> TimesheetDay:
    """Unlock an approved day (corrections flow again); the reason is kept on the day."""
    _require_staff(actor)
    row = _day_row(engineer_id, day, lock=True)
    if row is None or row.status != "approved":
        raise Conflict(f"{day.isoformat()} is not approved")
    _check_version(row, version)
    row.status, row.decided_by, row.decided_at = "open", actor.id, now
    row.snapshot, row.reason = None, reason
    db.session.flush()
    return row


def _require_staff(actor: User) -> None:
    if not actor.is_staff:
        raise NotAllowed("only dispatchers approve time sheets")


def _day_row(engineer_id: uuid.UUID, day: date, *, lock: bool) -> TimesheetDay | None:
    stmt = select(TimesheetDay).where(
        TimesheetDay.engineer_id == engineer_id, TimesheetDay.day == day
    )
    if lock:
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


def _check_version(row: TimesheetDay | None, version: int | None) -> None:
    if version is not None and (row.version if row else None) != version:
        raise Conflict(
            "the day changed since you read it; reload it",
            current_version=row.version if row else None,
        )


def _jsonable(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries as JSON values for the approval snapshot (``_from_json`` reads them back)."""
    return [{k: _json_value(v) for k, v in e.items()} for e in entries]


def _json_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    return str(v) if isinstance(v, uuid.UUID) else v


def _from_json(e: dict[str, Any]) -> dict[str, Any]:
    return {
        **e,
        "start": datetime.fromisoformat(e["start"]),
        "end": datetime.fromisoformat(e["end"]),
    }
