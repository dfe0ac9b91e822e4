"""Usage-based due dates: "every N units since the last service", and the combination with
the calendar ("whichever comes first").

A meter plan is due once the asset's reading reaches the reading at its last service plus
the plan's step. Readings only grow (a meter is replaced, not rewound: a lower reading is a
new meter and starts a new baseline), so the due reading is a plain sum; when it will be
reached is estimated from the recent rate of use, which is what a planner needs to see on
the asset ("due in about 9 days") while the ticket itself is only created once the reading
is actually reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.errors import Invalid


@dataclass(frozen=True)
class Reading:
    at: datetime
    value: float


@dataclass(frozen=True)
class MeterDue:
    due_reading: float
    reached: bool
    estimated_at: datetime | None  # None: no rate of use to estimate from


def check_step(step: float) -> float:
    if not step or step <= 0 or step != step or step == float("inf"):
        raise Invalid("a meter step must be a positive number", errors={"meter_every": ["> 0"]})
    return float(step)


def meter_due(step: float, baseline: float, readings: Sequence[Reading]) -> MeterDue:
    """Where a meter plan stands: due at ``baseline + step``; reached when the latest reading
    is at or past it; otherwise estimated from the rate between the first and the latest of
    ``readings`` (chronological, since the baseline)."""
    due = baseline + check_step(step)
    if not readings:
        return MeterDue(due, False, None)
    first, last = readings[0], readings[-1]
    if last.value >= due:
        return MeterDue(due, True, last.at)
    span = (last.at - first.at).total_seconds()
    used = last.value - first.value
    if span <= 0 or used <= 0:
        return MeterDue(due, False, None)
    return MeterDue(due, False, last.at + timedelta(seconds=(due - last.value) * span / used))


def whichever_first(*dues: datetime | None) -> datetime | None:
    """The earliest of the calendar's and the meter's due times (either may be unknown)."""
    known = [d for d in dues if d is not None]
    return min(known) if known else None
