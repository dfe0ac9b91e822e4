"""Pass 1 on a plan too big for VROOM in its time: VROOM per group of neighbouring engineers,
each ticket in the group with most of the engineers allowed to take it. PURE.

Why: VROOM's construction heuristics run before its timeout is looked at, and their time
grows much faster than the plan: measured (exploration 2, timeout 0.01 s) 0.5 s at 1,000 x
100, 4.4 s at 2,000 x 200, 22 s at 3,000 x 300 on a busy 2-core machine; minutes at 5,000 x
1,000. ``estimate_s`` models that as ``C * (jobs x engineers)^1.5``; when it would take more
than pass 1's share of the budget, the engineers are cut into ``k`` groups (each group
~1/k^2 of the time, so k groups 1/k of it). Only then: VROOM on the whole plan packs more
tickets (3,000 x 300 with 18 s: 2,189 tickets routed whole, 2,113 in two groups). A ticket
only meets the engineers of its group in pass 1; the ones it strands are inserted with
their SLA windows across the whole plan, then pass 2 (``optimize.place``) places the
left-overs, and the search's rounds (``optimize.decompose``) move tickets across borders.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from backend.dispatch.optimize.decompose import groups
from backend.dispatch.optimize.vroom import Built

C_S = 1.8e-8  # seconds per (jobs x engineers)^1.5: 0.5 s at 1,000 x 100, 4.4 s at 2,000 x 200
MIN_GROUP = 20  # engineers: smaller groups strand too many tickets at their borders
Solve = Callable[[Built, set[int], float | None], dict[str, Any]]


def estimate_s(jobs: int, vehicles: int) -> float:
    """VROOM's construction time for a plan of this size (see the module docstring)."""
    return C_S * math.pow(jobs * vehicles, 1.5)


def parts(jobs: int, vehicles: int, pass_s: float | None, slowdown: float = 1.0) -> int:
    """How many groups pass 1 needs to fit in ``pass_s`` (1: VROOM on the whole) on a
    machine running ``slowdown`` times slower than the one ``C_S`` was measured on."""
    if pass_s is None or pass_s <= 0:
        return 1
    k = math.ceil(math.sqrt(slowdown * estimate_s(jobs, vehicles) / pass_s))
    return max(1, min(k, vehicles // MIN_GROUP))


def subset(b: Built, vehicles: Sequence[int], jobs: Sequence[int]) -> Built:
    """``b`` for ``vehicles`` and ``jobs`` only (renumbered in the given orders)."""
    nv = len(b.vehicles)
    pts = [*vehicles, *(nv + j for j in jobs)]
    ix = np.ix_(pts, pts)
    return Built(
        vehicles=[b.vehicles[v] for v in vehicles],
        jobs=[b.jobs[j] for j in jobs],
        km=b.km[ix],
        seconds=b.seconds[ix],
        t0=b.t0,
        skill_ids=b.skill_ids,
        territory_ids=b.territory_ids,
        pre_unassigned=[],
    )


def owners(allowed: Sequence[frozenset[int]], cut: Sequence[Sequence[int]]) -> list[list[int]]:
    """Per group, the jobs whose allowed engineers are mostly in it (a pinned job's single
    engineer decides); jobs nobody may take go nowhere."""
    group_of = {v: g for g, vs in enumerate(cut) for v in vs}
    out: list[list[int]] = [[] for _ in cut]
    for j, who in enumerate(allowed):
        if not who:
            continue
        counts: dict[int, int] = {}
        for v in who:
            counts[group_of[v]] = counts.get(group_of[v], 0) + 1
        out[max(counts, key=lambda g: (counts[g], -g))].append(j)
    return out


def pass1(
    b: Built,
    on_time: set[int],
    allowed: Sequence[frozenset[int]],
    xy: Sequence[tuple[float, float]],
    k: int,
    pass_s: float | None,
    solve: Solve,
) -> list[list[int]]:
    """Per engineer, the jobs VROOM routes when run on ``k`` groups of engineers (``xy``:
    planar starts of the engineers), each group's ``solve`` given its share of ``pass_s``."""
    nv = len(b.vehicles)
    routes: list[list[int]] = [[] for _ in range(nv)]
    if k <= 1:  # VROOM on the whole plan, as always below this size
        for r in solve(b, on_time, pass_s)["routes"]:
            routes[r["vehicle"]] = [s["id"] for s in r["steps"] if s["type"] == "job"]
        return routes
    size = math.ceil(nv / k)
    cut = groups(xy[:nv], size, 0)
    mine = owners(allowed, cut)
    until = None if pass_s is None else time.perf_counter() + pass_s
    for g, (vs, js) in enumerate(zip(cut, mine, strict=True)):
        todo = [j for j in js if j in on_time]
        if not todo:
            continue
        sub = subset(b, vs, todo)
        share = None
        if until is not None:  # a fair part of what is left: early groups may run over
            share = max(0.05, (until - time.perf_counter()) / (len(cut) - g))
        sol = solve(sub, set(range(len(todo))), share)
        for r in sol["routes"]:
            routes[vs[r["vehicle"]]] = [todo[s["id"]] for s in r["steps"] if s["type"] == "job"]
    return routes
