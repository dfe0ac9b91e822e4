"""Batch plan for today's open tickets, solved with VROOM. PURE: plain dataclasses in, a plan out.

The database side (``optimize_ops``) loads engineers and tickets into ``Engineer``/``Task``
values; this module builds the routing problem, solves it and explains the result, so every
rule here is tested without PostGIS or Redis.

Model (DISPATCH.md, "Batch"):
- engineers are vehicles: time window = the rest of today's shift, start at the current (or
  home) location, open route (the day ends at the last job), ``max_tasks`` = free capacity;
- tickets are jobs: service time, VROOM priority from the ticket priority, SLA window;
- skills are VROOM skills; territories are encoded as skills too: every distinct set of
  regions a ticket lies in becomes one "territory class" skill, held by each engineer who
  covers at least one of those regions (VROOM skills are all-of, territories are any-of,
  hence the class per region set);
- pinned tickets (accepted / en route / dispatcher-pinned) get a skill only their engineer
  has, so they stay where they are.

SLA windows are hard in VROOM, so two passes: pass 1 gives each job the window that ends at
its SLA deadline (service must *finish* by then). Pass 2 re-solves with the pass-1 jobs kept
on their SLA windows at top priority and the left-overs on widened windows (any time in the
shift) at a low priority, so they only fill spare time; every left-over that is placed late is
a breach. VROOM gives no reason for an unassigned job, so ``explain`` computes one.

Then ``improve``: the tickets the passes placed are re-solved once more and the shorter plan
goes through a local search (``optimize_polish``) under the same constraints - never a ticket
dropped, never an extra breach, only shorter travel.

Travel uses the online dispatcher's model (haversine x detour factor at a configured speed,
``backend.dispatch.travel``), evaluated as a matrix with numpy so 450 points take milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import vroom

from backend.dispatch.optimize_explain import explain, explain_static, usable
from backend.dispatch.optimize_model import (
    DEFAULT_DETOUR,
    DEFAULT_SPEED_KMH,
    Engineer,
    Plan,
    Problem,
    Route,
    Stop,
    Task,
    Unassigned,
)
from backend.dispatch.optimize_polish import INF, Polish, polish, repair, total_cost
from backend.dispatch.travel import EARTH_RADIUS_M

EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000.0

# VROOM maximises the sum of priorities first, then the number of jobs, then minimises cost.
PASS1_PRIORITY = {"P1": 100, "P2": 40, "P3": 12, "P4": 4}
PINNED_PRIORITY = 100
KEEP_PRIORITY = 100  # pass-1 placements in pass 2: never traded for a late job
LATE_PRIORITY = {"P1": 4, "P2": 3, "P3": 2, "P4": 1}

__all__ = [
    "DEFAULT_DETOUR",
    "DEFAULT_SPEED_KMH",
    "Engineer",
    "Plan",
    "Problem",
    "Route",
    "Stop",
    "Task",
    "Unassigned",
    "build",
    "solve",
    "travel_matrices",
]

_TERRITORY_BASE = 10_000
_PIN_BASE = 1_000_000


# --- travel ---------------------------------------------------------------------------------


def travel_matrices(
    points: Sequence[tuple[float, float]], speed_kmh: float, detour: float
) -> tuple[np.ndarray, np.ndarray]:
    """(km, seconds) between every pair of (lon, lat) points: haversine x detour at speed.

    The same formula as the single-ticket dispatcher's travel function, vectorised."""
    arr = np.radians(np.asarray(points, dtype=float).reshape(-1, 2))
    lon, lat = arr[:, 0], arr[:, 1]
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * detour
    seconds = km / speed_kmh * 3600.0
    return km, seconds


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


def _secs(t: datetime, t0: datetime) -> int:
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
    for t in problem.tasks:
        reason = explain_static(t, problem.engineers, problem.now)
        if reason is not None:
            pre.append(reason)
            continue
        if t.regions and t.regions not in territory_ids:
            territory_ids[t.regions] = _TERRITORY_BASE + len(territory_ids)
        jobs.append(t)
    points = [e.start for e in vehicles] + [t.location for t in jobs]
    km, seconds = travel_matrices(points or [(0.0, 0.0)], problem.speed_kmh, problem.detour)
    return Built(vehicles, jobs, km, seconds, problem.now, skill_ids, territory_ids, pre)


def _vehicle_skills(b: Built, i: int) -> set[int]:
    e = b.vehicles[i]
    skills = {b.skill_ids[s] for s in e.skills if s in b.skill_ids}
    skills |= {tid for regions, tid in b.territory_ids.items() if regions & e.regions}
    skills.add(_PIN_BASE + i)
    return skills


def _job_skills(b: Built, t: Task) -> set[int]:
    if t.pinned_to is not None:
        idx = next(i for i, e in enumerate(b.vehicles) if e.id == t.pinned_to)
        return {_PIN_BASE + idx}
    skills = {b.skill_ids[s] for s in t.skills}
    if t.regions:
        skills.add(b.territory_ids[t.regions])
    return skills


def _latest_start(b: Built, t: Task) -> int:
    """Latest service start (seconds from t0) that still finishes by the SLA deadline."""
    if t.deadline is None:
        return 2**31
    return int((t.deadline - b.t0).total_seconds()) - t.service_s


def to_vroom(b: Built, *, sla_jobs: set[int], late_jobs: set[int]) -> vroom.Input:
    """One VROOM input. ``sla_jobs`` keep windows ending at the deadline; ``late_jobs`` get the
    whole shift (pass 2). Priorities encode the pass (see the module docstring)."""
    inp = vroom.Input()
    inp.set_durations_matrix("car", np.rint(b.seconds).astype("uint32"))
    inp.set_distances_matrix("car", np.rint(b.km * 1000).astype("uint32"))
    nv = len(b.vehicles)
    for i, e in enumerate(b.vehicles):
        assert e.available_from is not None and e.shift_end is not None
        start = _secs(max(e.available_from, b.t0), b.t0)
        end = _secs(e.shift_end, b.t0)
        inp.add_vehicle(
            vroom.Vehicle(
                i,
                start=i,
                skills=_vehicle_skills(b, i),
                time_window=vroom.TimeWindow(start, end),
                max_tasks=max(0, e.max_tasks),
            )
        )
    late_pass = bool(late_jobs)
    for j, t in enumerate(b.jobs):
        if j not in sla_jobs and j not in late_jobs:
            continue
        windows: list[vroom.TimeWindow] = []
        if j in sla_jobs and t.deadline is not None:
            latest = _latest_start(b, t)
            if latest < 0:
                continue  # cannot meet the SLA any more: only pass 2 can place it
            windows = [vroom.TimeWindow(0, latest)]
        if t.pinned_to is not None:
            prio = PINNED_PRIORITY
        elif j in late_jobs:
            prio = LATE_PRIORITY.get(t.priority, 1)
        else:
            prio = KEEP_PRIORITY if late_pass else PASS1_PRIORITY.get(t.priority, 1)
        inp.add_job(
            vroom.Job(
                j,
                location=nv + j,
                default_service=int(t.service_s),
                skills=_job_skills(b, t),
                priority=prio,
                time_windows=windows,
            )
        )
    return inp


def _solve(inp: vroom.Input, exploration: int, threads: int, timeout_s: float | None) -> dict:
    timeout = timedelta(seconds=timeout_s) if timeout_s else None
    return inp.solve(exploration_level=exploration, nb_threads=threads, timeout=timeout).to_dict()


def default_exploration(jobs: int) -> int:
    """VROOM's search depth by size: measured on the bench's 400 x 50 instances, level 2 plans
    both passes in a few seconds on one busy core and level 3+ costs 2-4x more for <1 %."""
    if jobs <= 150:
        return 5
    return 3 if jobs <= 250 else 2


def solve(
    problem: Problem,
    *,
    exploration: int | None = None,
    threads: int = 2,
    timeout_s: float | None = None,
    polish_s: float = 2.5,
    budget_s: float | None = None,
) -> Plan:
    """Two-pass plan, then a re-solve and a local search on the chosen tickets.

    ``exploration`` 1-5 (default by size, ``default_exploration``); ``timeout_s`` bounds each
    VROOM pass; ``polish_s`` bounds the local search (``optimize_polish``; 0 switches the
    re-solve and the search off); ``budget_s`` bounds the whole plan: the re-solve and the
    search only use what the two passes left of it."""
    started = time.perf_counter()
    b = build(problem)
    if exploration is None:
        exploration = default_exploration(len(b.jobs))
    if not b.vehicles or not b.jobs:
        routes: dict[int, list[tuple[int, dict]]] = {}
        placed: dict[int, int] = {}
        passes = 0
    else:
        all_jobs = set(range(len(b.jobs)))
        # Jobs whose deadline is already too close for the service time go straight to pass 2.
        on_time = {j for j in all_jobs if _latest_start(b, b.jobs[j]) >= 0}
        sol: dict = {"routes": []}
        if on_time:
            sol = _solve(
                to_vroom(b, sla_jobs=on_time, late_jobs=set()), exploration, threads, timeout_s
            )
        placed = {s["id"]: 1 for r in sol["routes"] for s in r["steps"] if s["type"] == "job"}
        passes = 1
        left = all_jobs - set(placed)
        if left:
            sol2 = _solve(
                to_vroom(b, sla_jobs=set(placed), late_jobs=left), exploration, threads, timeout_s
            )
            placed2 = {s["id"] for r in sol2["routes"] for s in r["steps"] if s["type"] == "job"}
            # Pass 2 must keep every pass-1 job (priorities make that VROOM's first goal);
            # if a heuristic ever dropped one, keep the pass-1 plan rather than trade it.
            if set(placed) <= placed2:
                sol, passes = sol2, 2
                placed = {j: (1 if j in placed else 2) for j in placed2}
        routes = {
            r["vehicle"]: [(s["id"], s) for s in r["steps"] if s["type"] == "job"]
            for r in sol["routes"]
        }
        if polish_s > 0:
            left_s = INF if budget_s is None else budget_s - (time.perf_counter() - started)
            routes = improve(b, routes, exploration, threads, timeout_s, polish_s, left_s)
    plan = decode(b, routes, placed)
    plan.passes = passes
    plan.unassigned = b.pre_unassigned + [
        explain(b, j, plan) for j in range(len(b.jobs)) if j not in placed
    ]
    plan.solve_s = time.perf_counter() - started
    return plan


def polish_problem(b: Built, on_time: set[int]) -> Polish:
    """The plan's constraints for the local search: the same integer-second matrix, shift
    windows, capacities and compatibility as the VROOM input; ``on_time`` jobs keep their
    SLA window, the others (already late) only the shift."""
    vehicle_skills = [_vehicle_skills(b, i) for i in range(len(b.vehicles))]
    allowed = [
        frozenset(i for i, vs in enumerate(vehicle_skills) if _job_skills(b, t) <= vs)
        for t in b.jobs
    ]
    starts, ends = [], []
    for e in b.vehicles:
        assert e.available_from is not None and e.shift_end is not None
        starts.append(_secs(max(e.available_from, b.t0), b.t0))
        ends.append(_secs(e.shift_end, b.t0))
    return Polish(
        cost=b.km.tolist(),
        dur=np.rint(b.seconds).astype(np.int64).tolist(),
        start_s=starts,
        end_s=ends,
        max_tasks=[max(0, e.max_tasks) for e in b.vehicles],
        service_s=[int(t.service_s) for t in b.jobs],
        latest=[float(_latest_start(b, t)) if j in on_time else INF for j, t in enumerate(b.jobs)],
        allowed=allowed,
    )


def improve(
    b: Built,
    routes: dict[int, list[tuple[int, dict]]],
    exploration: int,
    threads: int,
    timeout_s: float | None,
    polish_s: float,
    left_s: float,
) -> dict[int, list[tuple[int, dict]]]:
    """Shorter routes for exactly the tickets the two passes placed, never a dropped one,
    never an extra breach (the jobs on time keep their SLA window, the late ones the shift).

    1. Re-solve: one more VROOM run on just those tickets with those windows (pass 2 had to
       fit the late ones around a fixed pass-1 set; on the final set VROOM often finds much
       shorter routes but may leave a ticket out). Tickets it left out are inserted at their
       cheapest feasible place; if one fits nowhere the re-solve is discarded.
    2. The shorter of the two goes through ``optimize_polish.polish`` (local search and
       ruin-and-recreate, each move checked against the same constraints).
    Steps' arrival times are recomputed for ``decode``."""
    t_start = time.perf_counter()
    on_time = set()
    for steps in routes.values():
        for j, step in steps:
            t = b.jobs[j]
            if t.deadline is None or int(step["arrival"]) <= _latest_start(b, t):
                on_time.add(j)
    p = polish_problem(b, on_time)
    nv = len(b.vehicles)
    best = [[j for j, _ in routes.get(v, [])] for v in range(nv)]
    final = {j for r in best for j in r}
    resolve_s = left_s - polish_s
    if timeout_s is not None:
        resolve_s = min(resolve_s, timeout_s)
    if resolve_s >= 0.5:
        sol = _solve(
            to_vroom(b, sla_jobs=on_time, late_jobs=final - on_time),
            exploration,
            threads,
            None if resolve_s == INF else resolve_s,
        )
        again: list[list[int]] = [[] for _ in range(nv)]
        for r in sol["routes"]:
            again[r["vehicle"]] = [s["id"] for s in r["steps"] if s["type"] == "job"]
        missing = final - {j for r in again for j in r}
        fixed = repair(p, again, sorted(missing))
        if fixed is not None and total_cost(p, fixed) < total_cost(p, best):
            best = fixed
    budget = min(polish_s, left_s - (time.perf_counter() - t_start))
    after = polish(p, best, budget_s=budget) if budget > 0 else best
    out: dict[int, list[tuple[int, dict]]] = {}
    nv = len(b.vehicles)
    for v, route in enumerate(after):
        clock, prev, steps = p.start_s[v], v, []
        for j in route:
            clock += p.dur[prev][nv + j]
            steps.append((j, {"arrival": clock, "waiting_time": 0}))
            clock += p.service_s[j]
            prev = nv + j
        if steps:
            out[v] = steps
    return out


def decode(b: Built, routes: dict[int, list[tuple[int, dict]]], placed: dict[int, int]) -> Plan:
    out: list[Route] = []
    nv = len(b.vehicles)
    for vi, e in enumerate(b.vehicles):
        route = Route(e.id)
        prev = vi
        for job_id, step in routes.get(vi, []):
            t = b.jobs[job_id]
            loc = nv + job_id
            arrival = b.t0 + timedelta(seconds=int(step["arrival"]))
            start = arrival + timedelta(seconds=int(step.get("waiting_time", 0)))
            finish = start + timedelta(seconds=t.service_s)
            breach = 0.0
            if t.deadline is not None and finish > t.deadline:
                breach = (finish - t.deadline).total_seconds() / 60.0
            route.stops.append(
                Stop(
                    task_id=t.id,
                    eta=arrival,
                    start=start,
                    finish=finish,
                    travel_km=float(b.km[prev, loc]),
                    travel_min=float(b.seconds[prev, loc]) / 60.0,
                    breach_min=breach,
                    pinned=t.pinned_to is not None,
                    sla_pass=placed.get(job_id, 1),
                )
            )
            prev = loc
        out.append(route)
    return Plan(out, [], 0.0, 0)
