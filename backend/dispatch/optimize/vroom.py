"""The batch optimizer's VROOM encoding: engineers and tasks -> pass 1's ``vroom.Input``, and the
travel matrices both VROOM and the local searches use. PURE (no database).

Model (docs/dispatch.md, "Batch"):
- engineers are vehicles: time window = the rest of today's shift, start at the current (or
  home) location, open route (the day ends at the last job), ``max_tasks`` = free capacity;
- tickets are jobs: service time, VROOM priority from the ticket priority, one time window:
  from the arrival window's start (if any) to the earlier of the arrival window's end and
  the latest start that meets the SLA;
- skills are VROOM skills; territories are encoded as skills too: every distinct set of
  regions a ticket lies in becomes one "territory class" skill, held by each engineer who
  covers at least one of those regions (VROOM skills are all-of, territories are any-of,
  hence the class per region set);
- pinned tickets (accepted / en route / dispatcher-pinned) get a skill only their engineer
  has, so they stay where they are.

Travel uses the online dispatcher's model (haversine x detour factor at a configured speed,
``backend.dispatch.travel``), evaluated as a matrix with numpy so 450 points take milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import vroom

from backend.dispatch.optimize.explain import by_region, explain_static, usable
from backend.dispatch.optimize.model import Engineer, Problem, Task, Unassigned
from backend.dispatch.travel import EARTH_RADIUS_M

EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000.0

# VROOM maximises the sum of priorities first, then the number of jobs, then minimises cost.
PASS1_PRIORITY = {"P1": 100, "P2": 40, "P3": 12, "P4": 4}
PINNED_PRIORITY = 100

_TERRITORY_BASE = 10_000
_PIN_BASE = 1_000_000
BLOCK_CELLS = 1 << 20  # matrix cells per block of ``travel_matrices`` (8 MB of float64)


# --- travel ---------------------------------------------------------------------------------


def travel_matrices(
    points: Sequence[tuple[float, float]], speed_kmh: float, detour: float
) -> tuple[np.ndarray, np.ndarray]:
    """(km, seconds) between every pair of (lon, lat) points: haversine x detour at speed.

    The same formula as the single-ticket dispatcher's travel function, vectorised. Computed
    in blocks of rows: the whole-matrix formula held five temporaries of the matrix's size
    at once (0.6 GB of the peak at 3,000 x 300, 3,300 points); a block's are a few MB."""
    arr = np.radians(np.asarray(points, dtype=float).reshape(-1, 2))
    lon, lat = arr[:, 0], arr[:, 1]
    n = len(arr)
    km = np.empty((n, n))
    cos_lat = np.cos(lat)
    step = max(1, BLOCK_CELLS // max(1, n))
    for a in range(0, n, step):
        b = min(n, a + step)
        dlat = lat[a:b, None] - lat[None, :]
        dlon = lon[a:b, None] - lon[None, :]
        h = np.sin(dlat / 2) ** 2 + cos_lat[a:b, None] * cos_lat[None, :] * np.sin(dlon / 2) ** 2
        km[a:b] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))) * detour
    seconds = np.divide(km, speed_kmh)  # then * 3600 in place: one matrix, not two
    seconds *= 3600.0
    return km, seconds


def rounded(m: np.ndarray, scale: float, dtype: str) -> np.ndarray:
    """``rint(m * scale)`` as ``dtype``, a block of rows at a time: the one-line form held
    two float64 temporaries of the whole matrix (0.6 GB at 6,000 points)."""
    out = np.empty(m.shape, dtype=dtype)
    step = max(1, BLOCK_CELLS // max(1, m.shape[1] if m.ndim == 2 else 1))
    for a in range(0, len(m), step):
        block = m[a : a + step] * scale if scale != 1 else m[a : a + step]
        out[a : a + step] = np.rint(block)
    return out


# --- building the problem --------------------------------------------------------------------


@dataclass
class Built:
    """The VROOM-ready encoding plus what is needed to decode its answer."""

    vehicles: list[Engineer]  # engineers that can work (index = VROOM vehicle id)
    jobs: list[Task]  # tasks given to VROOM (index = VROOM job id)
    km: np.ndarray
    seconds: np.ndarray
    t0: datetime
    skill_ids: dict[str, int]
    territory_ids: dict[frozenset[str], int]
    pre_unassigned: list[Unassigned]


def seconds_from(t: datetime, t0: datetime) -> int:
    return max(0, int((t - t0).total_seconds()))


def build(problem: Problem) -> Built:
    """Encode engineers and tasks; tasks no engineer could ever take are explained up front."""
    vehicles = [e for e in problem.engineers if usable(e, problem.now)]
    skill_ids: dict[str, int] = {}
    for code in sorted({s for t in problem.tasks for s in t.skills}):
        skill_ids[code] = len(skill_ids) + 1
    territory_ids: dict[frozenset[str], int] = {}
    jobs: list[Task] = []
    pre: list[Unassigned] = []
    index = by_region(problem.engineers)
    for t in problem.tasks:
        reason = explain_static(t, problem.engineers, problem.now, index)
        if reason is not None:
            pre.append(reason)
            continue
        if t.regions and t.regions not in territory_ids:
            territory_ids[t.regions] = _TERRITORY_BASE + len(territory_ids)
        jobs.append(t)
    points = [e.start for e in vehicles] + [t.location for t in jobs]
    km, seconds = travel_matrices(points or [(0.0, 0.0)], problem.speed_kmh, problem.detour)
    return Built(vehicles, jobs, km, seconds, problem.now, skill_ids, territory_ids, pre)


def vehicle_skills(b: Built, i: int) -> set[int]:
    e = b.vehicles[i]
    skills = {b.skill_ids[s] for s in e.skills if s in b.skill_ids}
    skills |= {tid for regions, tid in b.territory_ids.items() if regions & e.regions}
    skills.add(_PIN_BASE + i)
    return skills


def job_skills(b: Built, t: Task) -> set[int]:
    if t.pinned_to is not None:
        idx = next(i for i, e in enumerate(b.vehicles) if e.id == t.pinned_to)
        return {_PIN_BASE + idx}
    skills = {b.skill_ids[s] for s in t.skills}
    if t.regions:
        skills.add(b.territory_ids[t.regions])
    return skills


def latest_start(b: Built, t: Task) -> int:
    """Latest service start (seconds from t0) that still finishes by the SLA deadline."""
    if t.deadline is None:
        return 2**31
    return int((t.deadline - b.t0).total_seconds()) - t.service_s


def earliest_start(b: Built, t: Task) -> int:
    """Earliest service start (seconds from t0): the arrival window's start, else now.
    Rounded *up* to the whole second: rounded down, a window opening at 10:00:00.8 had its
    job start 0.8 s before it."""
    if t.window is None:
        return 0
    return max(0, math.ceil((t.window[0] - b.t0).total_seconds()))


def window_latest(b: Built, t: Task) -> int:
    """Latest service start inside the arrival window (seconds from t0; may be negative:
    the window has passed)."""
    if t.window is None:
        return 2**31
    return int((t.window[1] - b.t0).total_seconds())


def pass1_latest(b: Built, t: Task) -> int:
    """Pass 1's latest start: inside the arrival window *and* finishing by the SLA."""
    return min(latest_start(b, t), window_latest(b, t))


def in_time(b: Built, t: Task) -> bool:
    """Whether the job can still start in its window and finish by its SLA at all."""
    latest = pass1_latest(b, t)
    return latest >= 0 and latest >= earliest_start(b, t)


def to_vroom(b: Built, jobs: set[int]) -> vroom.Input:
    """Pass 1's VROOM input: ``jobs``, each with the window that ends at its SLA deadline and
    the priority of its ticket priority (pinned jobs above all)."""
    inp = vroom.Input()
    inp.set_durations_matrix("car", rounded(b.seconds, 1, "uint32"))
    inp.set_distances_matrix("car", rounded(b.km, 1000, "uint32"))
    nv = len(b.vehicles)
    for i, e in enumerate(b.vehicles):
        assert e.available_from is not None and e.shift_end is not None
        start = seconds_from(max(e.available_from, b.t0), b.t0)
        end = seconds_from(e.shift_end, b.t0)
        inp.add_vehicle(
            vroom.Vehicle(
                i,
                start=i,
                skills=vehicle_skills(b, i),
                time_window=vroom.TimeWindow(start, end),
                max_tasks=max(0, e.max_tasks),
            )
        )
    for j, t in enumerate(b.jobs):
        if j not in jobs:
            continue
        windows: list[vroom.TimeWindow] = []
        if t.deadline is not None or t.window is not None:
            if not in_time(b, t):
                continue  # cannot meet the SLA or the window any more: only pass 2 can
            windows = [vroom.TimeWindow(earliest_start(b, t), pass1_latest(b, t))]
        prio = PINNED_PRIORITY if t.pinned_to is not None else PASS1_PRIORITY.get(t.priority, 1)
        inp.add_job(
            vroom.Job(
                j,
                location=nv + j,
                default_service=int(t.service_s),
                skills=job_skills(b, t),
                priority=prio,
                time_windows=windows,
            )
        )
    return inp


def run(
    inp: vroom.Input, exploration: int, threads: int, timeout_s: float | None
) -> dict[str, Any]:
    """Solve one input; the answer as VROOM's JSON-like dict."""
    timeout = timedelta(seconds=timeout_s) if timeout_s else None
    answer: dict[str, Any] = inp.solve(
        exploration_level=exploration, nb_threads=threads, timeout=timeout
    ).to_dict()
    return answer


def default_exploration(jobs: int) -> int:
    """VROOM's search depth by size: measured on the bench's 400 x 50 instances, level 2 plans
    both passes in a few seconds on one busy core and level 3+ costs 2-4x more for <1 %."""
    if jobs <= 150:
        return 5
    return 3 if jobs <= 250 else 2
