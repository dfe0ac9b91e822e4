"""A period of time sheets as rows for a spreadsheet: one row per entry part per day, with the
day's approval, so payroll can load it without reading our JSON (written by
``backend.spreadsheet``: streamed, and a reason that looks like a formula stays text)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

from backend.timesheets.operations import DaySheet

HEADER = [
    "engineer_id", "day", "status", "kind", "ticket", "start", "end", "minutes",
    "corrected", "removed", "reason",
]  # fmt: skip


def rows(engineer_id: uuid.UUID, days: list[DaySheet]) -> Iterator[list[Any]]:
    for d in days:
        for e in d.entries:
            yield [
                str(engineer_id),
                d.day.isoformat(),
                d.status,
                e["kind"],
                e.get("ticket_number"),
                e["start"].isoformat(),
                e["end"].isoformat(),
                round(int(e["seconds"]) / 60, 1),
                bool(e["corrected"]),
                bool(e["removed"]),
                e.get("reason"),
            ]


def filename(engineer_id: uuid.UUID, first: date, last: date, fmt: str) -> str:
    return f"timesheet_{engineer_id}_{first:%Y-%m-%d}_{last:%Y-%m-%d}.{fmt}"
