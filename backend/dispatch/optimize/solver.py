"""Batch plan for today's open tickets, solved with VROOM, then re-routed by PyVRP.
PURE: plain dataclasses in, a plan out.

The database side (``optimize.ops``) loads engineers and tickets into ``Engineer``/``Task``
values; ``optimize.vroom`` encodes them for VROOM; this module runs the passes, improves the
result and decodes it into a plan, so every rule here is tested without PostGIS or Redis.

SLA windows are hard in VROOM, so two passes (docs/dispatch.md, "Batch"). Pass 1 is VROOM: each
job gets the window that ends at its SLA deadline (service must *finish* by then) and VROOM
decides which tickets fit, by priority. Pass 2 places the left-overs on widened windows (any
time in the shift) in pinned-then-priority order, by insertion into the pass-1 plan with
ejection chains (``optimize.place``): the pass-1 jobs keep their SLA windows, so they
are never traded for a late one, and every left-over placed late is a breach. (Pass 2 used
to be a second VROOM run over all the tickets: as slow as pass 1 for a handful of late ones,
and thrown away whole whenever it dropped a pass-1 job.) VROOM gives no reason for an
unassigned job, so ``explain`` computes one.

Arrival windows (planned work) are one more bound on the same window: pass 1 gives a job
the window from its arrival window's start to the earlier of the window's end and the SLA's
latest start. Pass 2 places a windowed left-over inside its window first (only the SLA
breached), and only then anywhere in the shift (a window breach, ``Stop.window_breach_min``).
No job ever starts before its window opens: the engineer waits, in every pass and search.

Then ``improve``: VROOM decides *which* tickets fit and stops well short of short routes on
a busy 400 x 50 day (most engineers full, few eligible engineers per ticket), so the tickets
the passes placed are re-routed by PyVRP's iterated local search (``optimize.pyvrp``) under
the same constraints - never a ticket dropped, never an extra breach, only shorter travel.
The search gets what the passes leave of ``budget_s``: the bigger the plan, the more the
search is worth. (It replaced our own pure-Python ruin-and-recreate annealer, which ended
5 % longer over the bench's three days in the same 9 s: 2625 km against 2495.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from backend.dispatch.optimize import forked, split, strategy
from backend.dispatch.optimize.explain import explain, usable
from backend.dispatch.optimize.model import (
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
from backend.dispatch.optimize.place import place
from backend.dispatch.optimize.rules import INF, Rules, rows, total_cost
from backend.dispatch.optimize.vroom import (
    PASS1_PRIORITY,
    PINNED_PRIORITY,
    Built,
    build,
    default_exploration,
    earliest_start,
    in_time,
    job_skills,
    pass1_latest,
    run,
    seconds_from,
    to_vroom,
    travel_matrices,
    vehicle_skills,
    window_latest,
)

__all__ = [
    "DEFAULT_DETOUR",
    "DEFAULT_SPEED_KMH",
    "Built",
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
    "usable",
]

DEFAULT_SEARCH_S = 3.0  # the search's time when the caller sets no whole-plan budget
PASS_SHARE = 0.3  # of ``budget_s``: the most the VROOM pass may take
PLACE_S, PLACE_SHARE = 1.0, 0.1  # pass 2's cap: seconds, and share of ``budget_s``
RESERVE_S = 0.25  # of ``budget_s``: kept for decoding and explaining the plan
MEMORY_MB = 1536.0  # the plan's default memory budget: a 2 GB worker, with room to spare
# VROOM runs in a child it can be killed in only when its estimate times this could reach
# the deadline (the estimate is rough); a small plan's pass stays in process, as it was.
RISK = 4.0
RESERVE_PER_JOB_S = 1e-4  # more reserve per job: decoding and explaining grow with the plan


def finish_s(budget_s: float, jobs: int) -> float:
    """What a plan needs after pass 1 at the least: inserting the tickets pass 1 stranded,
    pass 2 and the reserve for decoding and explaining (the search may get nothing)."""
    place_s = min(PLACE_S, budget_s * PLACE_SHARE)
    return budget_s * PLACE_SHARE + place_s + RESERVE_S + RESERVE_PER_JOB_S * jobs


def solve(
    problem: Problem,
    *,
    exploration: int | None = None,
    threads: int = 2,
    timeout_s: float | None = None,
    search_s: float | None = None,
    budget_s: float | None = None,
    seed: int = 0,
    memory_mb: float = MEMORY_MB,
    progress: Progress | None = None,
) -> Plan:
    """Two-pass plan, then the search on the chosen tickets.

    ``exploration`` 1-5 (default by size, ``default_exploration``); ``threads`` is VROOM's
    thread count and the number of PyVRP runs on a big plan; ``timeout_s`` bounds the VROOM
    pass (and, with ``budget_s``, so does ``PASS_SHARE`` of it, so a busy machine cannot
    spend the whole budget in VROOM); ``search_s`` bounds the search (0 switches it off;
    None: what the passes left of ``budget_s``, or ``DEFAULT_SEARCH_S`` without one);
    ``budget_s`` bounds the whole plan. ``seed`` makes the search reproducible when its
    iteration cap (``strategy.ITERS_PER_JOB``), not the clock, ends it - as it does on a
    small plan. ``memory_mb`` bounds the search's memory with the plan's: the search models
    the whole plan, or groups of it, or is skipped, whichever fits (``optimize.strategy``);
    ``Plan.strategy`` says which. ``progress(phase, facts)`` is told when each phase starts
    (``pass1``, ``pass2``, ``search``, ``explain``), with what is known by then."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    report = progress or _silent
    b = build(problem)
    # Building the matrices is single-threaded work of known CPU: how much longer it took
    # than its CPU time is how busy the machine is now (optimize.forked.slowdown).
    slow = forked.slowdown(time.perf_counter() - started, time.process_time() - cpu_started)
    if exploration is None:
        exploration = default_exploration(len(b.jobs))
    pass_s = timeout_s
    if budget_s is not None:  # a share of what building the matrices left (seconds, big)
        after_build = max(0.0, budget_s - (time.perf_counter() - started))
        pass_s = min(pass_s or INF, after_build * PASS_SHARE)
    nv = len(b.vehicles)
    routes: list[list[int]] = [[] for _ in range(nv)]
    placed: dict[int, int] = {}
    passes = 0
    searched_from: float | None = None  # travel when the search began (None: no search)
    p: Rules | None = None
    chosen = strategy.Strategy("skip", 0.0)
    if b.vehicles and b.jobs:
        all_jobs = set(range(len(b.jobs)))
        # Jobs whose deadline is already too close for the service time go straight to pass 2.
        on_time = {j for j in all_jobs if in_time(b, b.jobs[j])}
        allowed = allowed_sets(b)
        xy = strategy.planar([e.start for e in b.vehicles] + [t.location for t in b.jobs])
        k = split.parts(len(on_time), nv, pass_s, slow)
        report(
            "pass1",
            {"tickets": len(b.jobs), "engineers": nv, "groups": k, "slowdown": round(slow, 2)},
        )
        cut_short = False  # a VROOM run was given up at its deadline (``hard``)
        if on_time:
            ex = exploration
            # VROOM's construction ignores its timeout: on a big plan with a budget it runs
            # in a child, killed when what is left would only just finish the plan in time
            # (optimize.forked). An overrun the search's share can absorb is kept: VROOM's
            # routes are worth more than the search's minutes (2,000 x 200 in 10 s beside
            # four busy processes: 1,492 tickets routed, against 929 when cut at its share).
            hard = started + (budget_s or 0.0) - finish_s(budget_s or 0.0, len(b.jobs))
            at_risk = split.estimate_s(len(on_time), nv) * slow * RISK > hard - time.perf_counter()
            bounded = budget_s is not None and at_risk and forked.can_fork()

            def vroom_pass(sub: Built, jobs: set[int], limit: float | None) -> dict[str, Any]:
                nonlocal cut_short

                def work() -> dict[str, Any]:
                    return run(to_vroom(sub, jobs), ex, threads, limit)

                if not bounded:
                    return work()
                # Past the deadline, the groups still to run are not even started.
                answer = forked.run_until(work, hard) if time.perf_counter() < hard else None
                if answer is None:
                    cut_short = True
                    return {"routes": []}  # its tickets are inserted below, as stranded
                return answer

            routes = split.pass1(b, on_time, allowed, xy, k, pass_s, vroom_pass)
        placed = {j: 1 for r in routes for j in r}
        passes = 1
        p = rules_for(b, set(placed), allowed)
        stranded = on_time - set(placed)
        if (k > 1 or cut_short) and stranded:
            # Pass 1 in groups strands tickets another group's engineers could take on time
            # (and a VROOM run given up leaves all of its own): insert them with their SLA
            # windows first, then they count as pass 1.
            sla = replace(p, latest=[float(pass1_latest(b, t)) for t in b.jobs])
            share = PLACE_S if budget_s is None else budget_s * PLACE_SHARE
            routes, found = place(sla, routes, late_order(b, stranded), budget_s=share)
            placed |= {j: 1 for j in found}
            p.latest = [sla.latest[j] if j in placed else INF for j in range(len(b.jobs))]
        left = all_jobs - set(placed)
        report("pass2", {"passes": 1, "placed": len(placed)})
        if left:
            place_s = PLACE_S if budget_s is None else min(PLACE_S, budget_s * PLACE_SHARE)
            routes, kept = keep_windows(b, p, routes, left, place_s / 2)
            placed |= {j: 2 for j in kept}
            routes, late = place(p, routes, late_order(b, left - set(kept)), budget_s=place_s)
            placed |= {j: 2 for j in late}
            passes = 2
        if budget_s is None:
            search = DEFAULT_SEARCH_S if search_s is None else search_s
        else:
            reserve = RESERVE_S + RESERVE_PER_JOB_S * len(b.jobs)
            left_s = budget_s - reserve - (time.perf_counter() - started)
            search = left_s if search_s is None else min(search_s, left_s)
        if search > 0:
            chosen = strategy.choose(p, routes, threads, memory_mb)
            searched_from = round(total_cost(p, routes), 1)
            report(
                "search",
                {"passes": passes, "placed": len(placed), "strategy": chosen.name,
                 "travel_km": searched_from, "search_s": round(search, 1)},
            )  # fmt: skip
            routes = strategy.improve(p, routes, xy, chosen, search_s=search, seed=seed)
    if p is not None:
        # With the travel the search began from, the console can say what it gained.
        report("explain", {"passes": passes, "travel_km": round(total_cost(p, routes), 1),
                           "search_from_km": searched_from})  # fmt: skip
    plan = decode(b, timed(p, routes) if p is not None else {}, placed)
    plan.passes = passes
    plan.strategy, plan.estimate_mb = chosen.name, round(chosen.estimate_mb, 1)
    plan.unassigned = b.pre_unassigned + [
        explain(b, j, plan) for j in range(len(b.jobs)) if j not in placed
    ]
    plan.solve_s = time.perf_counter() - started
    return plan


Progress = Callable[[str, dict[str, Any]], None]


def _silent(phase: str, facts: dict[str, Any]) -> None:
    """No one is listening (the bench, the request path)."""


def late_order(b: Built, jobs: set[int]) -> list[int]:
    """Pass 2's order: pinned tickets first, then by priority, then the earliest deadline
    (the order VROOM's priorities gave them when pass 2 was a VROOM run)."""

    def key(j: int) -> tuple[int, float]:
        t = b.jobs[j]
        rank = PINNED_PRIORITY if t.pinned_to is not None else PASS1_PRIORITY.get(t.priority, 1)
        return (-rank, t.deadline.timestamp() if t.deadline is not None else INF)

    return sorted(jobs, key=key)


def keep_windows(
    b: Built, p: Rules, routes: list[list[int]], left: set[int], budget_s: float
) -> tuple[list[list[int]], list[int]]:
    """Pass 2's first step for windowed left-overs: place them inside their arrival window
    (the SLA may be breached, the window not); those placed keep that window's end in ``p``
    from then on, so the search cannot push them out of it. A window breach is the last
    resort, after this."""
    windowed = {
        j
        for j in left
        if b.jobs[j].window is not None
        and window_latest(b, b.jobs[j]) >= max(0, earliest_start(b, b.jobs[j]))
    }
    if not windowed:
        return routes, []
    keep = replace(p, latest=[
        float(window_latest(b, t)) if j in windowed else p.latest[j] for j, t in enumerate(b.jobs)
    ])  # fmt: skip
    routes, kept = place(keep, routes, late_order(b, windowed), budget_s=budget_s)
    done = set(kept)
    p.latest = [keep.latest[j] if j in done else p.latest[j] for j in range(len(b.jobs))]
    return routes, kept


def allowed_sets(b: Built) -> list[frozenset[int]]:
    """Per job, the vehicles that may take it: VROOM's skills (skills, territory, pin)."""
    skills = [vehicle_skills(b, i) for i in range(len(b.vehicles))]
    needs = [job_skills(b, t) for t in b.jobs]
    return [frozenset(i for i, vs in enumerate(skills) if need <= vs) for need in needs]


def rules_for(b: Built, on_time: set[int], allowed: list[frozenset[int]] | None = None) -> Rules:
    """The plan's constraints for the searches: the same integer-second matrix, shift
    windows, capacities and compatibility as the VROOM input; ``on_time`` jobs keep their
    SLA and arrival window, the others (already late) only the shift; no job starts before
    its arrival window opens."""
    if allowed is None:
        allowed = allowed_sets(b)
    starts, ends = [], []
    for e in b.vehicles:
        assert e.available_from is not None and e.shift_end is not None
        starts.append(seconds_from(max(e.available_from, b.t0), b.t0))
        ends.append(seconds_from(e.shift_end, b.t0))
    return Rules(
        cost=rows(b.km, "d"),
        dur=rows(b.seconds, "i"),
        start_s=starts,
        end_s=ends,
        max_tasks=[max(0, e.max_tasks) for e in b.vehicles],
        service_s=[int(t.service_s) for t in b.jobs],
        latest=[float(pass1_latest(b, t)) if j in on_time else INF for j, t in enumerate(b.jobs)],
        allowed=allowed,
        # Empty without windows: the searches' hot loop then skips the wait check.
        earliest=[earliest_start(b, t) for t in b.jobs] if any(t.window for t in b.jobs) else (),
    )


def timed(p: Rules, routes: list[list[int]]) -> dict[int, list[tuple[int, dict[str, int]]]]:
    """Per vehicle, its jobs with arrival times as ``decode`` reads them: the searches'
    clock (start of shift, then travel, waiting for an arrival window to open, service)."""
    nv = len(p.start_s)
    out: dict[int, list[tuple[int, dict[str, int]]]] = {}
    for v, route in enumerate(routes):
        clock, prev, steps = p.start_s[v], v, []
        for j in route:
            clock += p.dur[prev][nv + j]
            wait = max(0, p.earliest[j] - clock) if p.earliest else 0
            steps.append((j, {"arrival": clock, "waiting_time": wait}))
            clock += wait + p.service_s[j]
            prev = nv + j
        if steps:
            out[v] = steps
    return out


def decode(
    b: Built, routes: dict[int, list[tuple[int, dict[str, int]]]], placed: dict[int, int]
) -> Plan:
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
            window_breach = 0.0
            if t.window is not None and start > t.window[1]:
                window_breach = (start - t.window[1]).total_seconds() / 60.0
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
                    window_breach_min=window_breach,
                )
            )
            prev = loc
        out.append(route)
    return Plan(out, [], 0.0, 0)
