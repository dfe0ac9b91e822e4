"""From status events to time-sheet entries, pure (no database, no Flask).

An entry is the time a ticket spent in one of the timed statuses, owned by the engineer the
ticket was assigned to when it entered that status:

- ``travel``  en_route     (start_travel -> arrive)
- ``on_site`` on_site      (arrive -> start_work: on site, not yet working)
- ``work``    in_progress  (start_work -> complete / hold)
- ``pause``   on_hold      (hold -> resume)

An entry opens at the event entering the status and closes at the ticket's next status event
(whatever it is: a reassignment or a cancel ends the engineer's travel too). One still open is
counted up to ``now`` and flagged ``open``. Its id is the opening event's id, so a correction
names an entry that never moves, however the day is re-derived.

Times: an event's time is the device's ``occurred_at`` (an offline phone syncs hours later;
the time sheet must show when the engineer really arrived), clamped between the previous
event's time on the same ticket and the server's receipt ``at`` (a device clock in the future,
or out of order, cannot stretch or reorder the sheet).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

KIND_OF_STATUS = {
    "en_route": "travel",
    "on_site": "on_site",
    "in_progress": "work",
    "on_hold": "pause",
}
KINDS = ("travel", "on_site", "work", "pause")


@dataclass(frozen=True)
class Event:
    """One row of a ticket's audit trail, as much of it as a time sheet needs."""

    id: uuid.UUID
    ticket_id: uuid.UUID
    at: datetime  # server receipt: the order of application
    occurred_at: datetime | None  # the device's claim
    from_status: str | None
    to_status: str | None
    to_assignee: uuid.UUID | None  # assignment events only
    assigns: bool  # assign / reassign / unassign

    @property
    def on_timeline(self) -> bool:
        """A status change or an assignment: the events entries open and close at (notes,
        edits and other audit rows are not). The workload report (backend/reports/workload.py)
        reads the same events, so both count the same minutes."""
        return self.from_status != self.to_status or self.assigns


@dataclass(frozen=True)
class Entry:
    id: uuid.UUID  # the opening event's id (a manual entry: its correction's id)
    engineer_id: uuid.UUID
    kind: str
    ticket_id: uuid.UUID | None
    start: datetime
    end: datetime
    open: bool = False
    corrected: bool = False
    removed: bool = False
    reason: str | None = None

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())


@dataclass(frozen=True)
class Correction:
    """An engineer's or dispatcher's change to one entry: new bounds, or removal. With
    ``entry_id`` None it adds a manual entry (its id is the correction's). The latest by
    ``effective`` wins per entry (ties by id), so corrections made offline on two devices
    merge the same whatever order they reach the server in."""

    id: uuid.UUID
    engineer_id: uuid.UUID
    entry_id: uuid.UUID | None
    kind: str | None
    ticket_id: uuid.UUID | None
    start: datetime | None
    end: datetime | None
    removed: bool
    reason: str
    effective: datetime  # the device's time of the correction, else the server's

    @property
    def target(self) -> uuid.UUID:
        return self.entry_id or self.id


def effective_times(events: Sequence[Event]) -> list[datetime]:
    """Each event's time: ``occurred_at`` clamped to [previous event's time, ``at``] (the
    running maximum of ``min(occurred_at, at)``, as the workload report computes it in SQL)."""
    times: list[datetime] = []
    floor: datetime | None = None
    for ev in events:
        t = ev.occurred_at or ev.at
        t = min(t, ev.at)
        if floor is not None:
            t = max(t, floor)
        times.append(t)
        floor = t
    return times


def ticket_entries(trail: Sequence[Event], now: datetime) -> list[Entry]:
    """The entries of one ticket's trail (in server order; only its status changes and
    assignments count, see ``Event.on_timeline``)."""
    events = [ev for ev in trail if ev.on_timeline]
    entries: list[Entry] = []
    assignee: uuid.UUID | None = None
    opened: tuple[Event, datetime, uuid.UUID] | None = None
    for ev, t in zip(events, effective_times(events), strict=True):
        if ev.to_status is not None and opened is not None:
            first, start, owner = opened
            kind = KIND_OF_STATUS[str(first.to_status)]
            entries.append(Entry(first.id, owner, kind, first.ticket_id, start, t))
            opened = None
        if ev.assigns:
            assignee = ev.to_assignee
        if ev.to_status in KIND_OF_STATUS and assignee is not None:
            opened = (ev, t, assignee)
    if opened is not None:
        first, start, owner = opened
        kind = KIND_OF_STATUS[str(first.to_status)]
        end = max(start, now)
        entries.append(Entry(first.id, owner, kind, first.ticket_id, start, end, open=True))
    return entries


def winning(corrections: Iterable[Correction]) -> dict[uuid.UUID, Correction]:
    """Per entry, the correction that wins: the latest ``effective``, then the larger id."""
    best: dict[uuid.UUID, Correction] = {}
    for c in corrections:
        held = best.get(c.target)
        if held is None or (c.effective, c.id.bytes) > (held.effective, held.id.bytes):
            best[c.target] = c
    return best


def corrected(entries: Iterable[Entry], corrections: Iterable[Correction]) -> list[Entry]:
    """``entries`` plus the manual ones, each with its winning correction applied."""
    corrections = list(corrections)
    wins = winning(corrections)
    manual = [
        Entry(c.id, c.engineer_id, c.kind, c.ticket_id, c.start, c.end)
        for c in corrections
        if c.entry_id is None and c.kind and c.start and c.end
    ]
    out = []
    for e in [*entries, *manual]:
        c = wins.get(e.id)
        out.append(e if c is None else _apply(e, c))
    return sorted(out, key=lambda e: (e.start, e.id.bytes))


def _apply(e: Entry, c: Correction) -> Entry:
    return replace(
        e,
        start=c.start or e.start,
        end=c.end or e.end,
        open=e.open and c.end is None,
        corrected=True,
        removed=c.removed,
        reason=c.reason,
    )


def split_by_day(entry: Entry, tz: ZoneInfo) -> list[tuple[date, Entry]]:
    """The entry cut at local midnights: (local day, the part of the entry on that day)."""
    parts: list[tuple[date, Entry]] = []
    start = entry.start
    while True:
        local = start.astimezone(tz)
        day = local.date()
        next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
        cut = next_midnight.astimezone(start.tzinfo)
        if entry.end <= cut:
            parts.append((day, replace(entry, start=start)))
            return parts
        parts.append((day, replace(entry, start=start, end=cut)))
        start = cut


def days_touched(start: datetime, end: datetime, tz: ZoneInfo) -> set[date]:
    """Local days the span [start, end] has any part on (approval locks them all)."""
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}
