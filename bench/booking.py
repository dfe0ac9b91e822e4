"""Booking benchmark: how long the slot offer takes for one ticket, against a brute-force
baseline in the same run.

    python bench/booking.py [--quick] [--engineers N] [--seed S]

Seeded: ``N`` engineers able to take the job (homes within ~25 km, day shifts on random
weekdays, Europe/Berlin), each with ``--planned`` jobs over the next six days; the default grid
(08:00-18:00 in 2 h slots, today and five days). Measured: ``booking.slots.offers`` (the gap
walk the tracking page runs), and as the baseline a minute-by-minute scan of every slot for
every engineer with the same rules (``arrival_range`` asked of each one-minute slice), which must
agree with it on every slot; ``--quick`` fewer engineers and repetitions.

The last line is ``RESULT booking offers_ms=.. scan_ms=.. speedup=.. slots=.. engineers=..
offered=..``: ``offers_ms`` the median of the repetitions for all slots of one ticket (its caches of
shift windows and travel legs emptied before each),
``offered`` how many of them have places. The database part (three queries whatever the
number of slots) is not in this figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.booking import slots as slots_mod
from backend.booking.slots import (
    Busy,
    EngineerDays,
    Job,
    Slot,
    TravelRules,
    arrival_range,
    grid,
    offers,
)
from backend.dispatch.shifts import Shift
from bench.common import result_line, rng

CENTRE = (13.40, 52.52)
RULES = TravelRules(speed_kmh=40, detour=1.3, max_travel_min=180)


def world(engineers: int, planned: int, seed: int, now: datetime) -> list[EngineerDays]:
    r = rng(seed)
    out = []
    for _ in range(engineers):
        home = (CENTRE[0] + r.uniform(-0.3, 0.3), CENTRE[1] + r.uniform(-0.2, 0.2))
        start = r.randint(6, 10)
        days = tuple(sorted(r.sample(range(7), r.randint(4, 6))))
        shift = Shift("Europe/Berlin", days, clock(start), clock(start + r.randint(7, 10)))
        busy = []
        for _ in range(planned):
            at = now + timedelta(minutes=r.randint(0, 6 * 24 * 60))
            spot = (CENTRE[0] + r.uniform(-0.3, 0.3), CENTRE[1] + r.uniform(-0.2, 0.2))
            busy.append(Busy(at, at + timedelta(minutes=r.choice((45, 60, 90, 120))), spot))
        out.append(EngineerDays(uuid.uuid4(), home, shift, tuple(busy)))
    return out


def scan(slots: list[Slot], engineers: list[EngineerDays], job: Job) -> list[int]:
    """Baseline: every minute of every slot, one engineer at a time."""
    counts = []
    for slot in slots:
        able = 0
        for e in engineers:
            t = slot.start
            while t <= slot.end:
                # A one-minute slice, so an arrival range shorter than a minute is not missed.
                piece = Slot(t, min(t + timedelta(minutes=1), slot.end))
                if arrival_range(e, job, piece, RULES) is not None:
                    able += 1
                    break
                t += timedelta(minutes=1)
        counts.append(able)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--engineers", type=int, default=None)
    parser.add_argument("--planned", type=int, default=12)
    parser.add_argument("--seed", type=int, default=20261204)
    ns = parser.parse_args()
    n = ns.engineers or (20 if ns.quick else 60)
    reps = 5 if ns.quick else 15
    now = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # a Monday morning
    engineers = world(n, ns.planned, ns.seed, now)
    job = Job((CENTRE[0] + 0.05, CENTRE[1]), timedelta(minutes=60))
    slots = grid(now, timezone="Europe/Berlin", slot=timedelta(hours=2), day_start_h=8,
                 day_end_h=18, days_ahead=5, lead=timedelta(hours=2))  # fmt: skip
    times = []
    for _ in range(reps):
        # Cold caches each time: what one request pays (they are per process and bounded).
        slots_mod._stretches.cache_clear()
        slots_mod._travel.cache_clear()
        started = time.perf_counter()
        result = offers(slots, engineers, job, RULES, capacity=2)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    baseline = scan(slots, engineers, job)
    scan_s = time.perf_counter() - started
    mismatch = [o.slot for o, b in zip(result, baseline, strict=True) if len(o.engineers) != b]
    if mismatch:
        raise SystemExit(f"offers and the minute scan disagree on {len(mismatch)} slots")
    offers_s = statistics.median(times)
    print(f"{len(slots)} slots x {n} engineers x {ns.planned} planned jobs each")
    print(f"offers: median {offers_s * 1000:.1f} ms over {reps} runs; minute scan {scan_s:.2f} s")
    result_line(
        "booking",
        offers_ms=round(offers_s * 1000, 2),
        scan_ms=round(scan_s * 1000, 1),
        speedup=round(scan_s / offers_s, 1),
        slots=len(slots),
        engineers=n,
        offered=sum(1 for o in result if o.places > 0),
    )


if __name__ == "__main__":
    main()
