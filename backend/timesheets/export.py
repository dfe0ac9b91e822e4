"""A period of time sheets as rows for a spreadsheet: one row per entry part per day, with the
day's approval, so payroll can load it without reading our JSON."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import datetime

from backend.timesheets.operations import DaySheet

HEADER = (
    "engineer_id",
    "day",
    "status",
    "kind",
    "ticket",
    "start",
    "end",
    "minutes",
    "corrected",
    "removed",
    "reason",
)


def rows(engineer_id: uuid.UUID, days: list[DaySheet]) -> Iterator[tuple[object, ...]]:
    yield HEADER
    for d in days:
        for e in d.entries:
            yield (
                str(engineer_id),
                d.day.isoformat(),
                d.status,
                e["kind"],
                e.get("ticket_number") or "",
                _iso(e["start"]),
                _iso(e["end"]),
                round(int(e["seconds"]) / 60, 1),
                "yes" if e["corrected"] else "",
                "yes" if e["removed"] else "",
                e.get("reason") or "",
            )


def csv_chunks(lines: Iterator[tuple[object, ...]]) -> Iterator[str]:
    """CSV text, a row at a time (streamed: a long period never sits in memory whole)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    for line in lines:
        writer.writerow(line)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
