"""How the search runs within the plan's memory budget: the whole plan in one PyVRP model,
groups of neighbouring routes (``optimize.decompose``), or not at all. PURE.

The memory of a plan is predictable from its size, so it is estimated *before* anything is
allocated and the cheapest strategy that fits is taken, instead of letting the kernel kill
the worker (and whatever else it picks) half-way. The estimate counts:
- the plan's own matrices: the travel km and seconds (float64) ``optimize.vroom.build``
  keeps, and the searches' clock rows (int32; their km rows share the km matrix,
  ``optimize.rules.rows``): 20 bytes a cell of the (engineers + tickets)^2 matrix;
- the process itself (interpreter, numpy, VROOM, PyVRP loaded): ``PROCESS_BYTES``;
- each concurrent PyVRP model (``decompose.memory_bytes``): one per worker, forked.
Measured peaks are in docs/dispatch.md ("Plans the size of a region").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from backend.dispatch.optimize import decompose
from backend.dispatch.optimize import pyvrp as ov
from backend.dispatch.optimize.rules import Rules

MB = 2**20
PROCESS_BYTES = 160 * MB  # measured: the interpreter with the optimizer's libraries loaded
PLAN_CELL_BYTES = 20  # km + seconds (float64) and clock rows (int32) per cell
GROUP_MAX = 30  # engineers per group: ~250 tickets, the size PyVRP's settings are tuned for
ITERS_PER_JOB = 100  # the search's iteration cap: small plans converge long before it
PARALLEL_MIN_JOBS = 120  # smaller plans converge in well under a second: not worth a fork


@dataclass(frozen=True)
class Strategy:
    """``name``: "whole" (one model), "decompose" (groups of ``group`` engineers) or "skip"
    (the passes' plan as it is); ``estimate_mb``: the plan's expected peak with it."""

    name: str
    estimate_mb: float
    workers: int = 1
    group: int = 0


def plan_bytes(points: int) -> int:
    """The plan's own peak before any search: the process and its matrices."""
    return PROCESS_BYTES + PLAN_CELL_BYTES * points * points


def profiles(p: Rules, jobs: Sequence[int]) -> int:
    """Distinct sets of allowed jobs among the engineers: PyVRP's routing profiles."""
    allowed: list[list[int]] = [[] for _ in p.start_s]
    for k, j in enumerate(jobs):
        for v in p.allowed[j]:
            allowed[v].append(k)
    return len({tuple(a) for a in allowed})


def choose(p: Rules, routes: Sequence[Sequence[int]], workers: int, memory_mb: float) -> Strategy:
    """The best search that fits in ``memory_mb`` for the whole plan: the whole model if it
    fits (``workers`` runs race), else groups as large as fit (``workers`` at a time), else
    none."""
    nv, points = len(p.start_s), len(p.start_s) + len(p.service_s)
    jobs = [j for r in routes for j in r]
    base = plan_bytes(points)
    room = memory_mb * MB - base
    w = max(1, workers) if len(jobs) >= PARALLEL_MIN_JOBS else 1
    whole = w * decompose.memory_bytes(nv, len(jobs), profiles(p, jobs))
    if whole <= room:
        return Strategy("whole", (base + whole) / MB, w)
    longest = max((len(r) for r in routes), default=1)
    w = max(1, workers)
    size = decompose.group_size(longest, int(room // w), GROUP_MAX)
    if size >= 2:
        group = decompose.memory_bytes(size, size * longest, size)
        return Strategy("decompose", (base + w * group) / MB, w, size)
    return Strategy("skip", base / MB)


def _group_search(
    sub: Rules, routes: list[list[int]], budget_s: float, seed: int
) -> list[list[int]]:
    n_jobs = sum(len(r) for r in routes)
    return ov.search(sub, routes, budget_s=budget_s, max_iters=ITERS_PER_JOB * n_jobs, seed=seed)


def improve(
    p: Rules,
    routes: Sequence[Sequence[int]],
    xy: Sequence[tuple[float, float]],
    chosen: Strategy,
    *,
    search_s: float,
    seed: int = 0,
) -> list[list[int]]:
    """Shorter routes for exactly the tickets the two passes placed, never a dropped one,
    never an extra breach (``p``: the jobs on time keep their SLA window, the late ones the
    shift), by ``chosen``; every answer goes through ``optimize.pyvrp.accept``."""
    start = [list(r) for r in routes]
    n_jobs = sum(len(r) for r in start)
    if chosen.name == "whole":
        return ov.improve(
            p, start, budget_s=search_s, workers=chosen.workers,
            max_iters=ITERS_PER_JOB * n_jobs, seed=seed,
        )  # fmt: skip
    if chosen.name == "decompose" and ov.feasible(p, start):
        answer = decompose.improve(
            p, start, xy, budget_s=search_s, size=chosen.group, search=_group_search,
            workers=chosen.workers, seed=seed,
        )  # fmt: skip
        return ov.accept(p, start, answer)
    return start


def planar(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """(lon, lat) as local planar coordinates (degrees of latitude), for grouping only."""
    if not points:
        return []
    kx = math.cos(math.radians(sum(lat for _, lat in points) / len(points)))
    return [(lon * kx, lat) for lon, lat in points]
