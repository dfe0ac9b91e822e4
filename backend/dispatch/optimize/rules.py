"""The constraints every step of the batch plan after VROOM works under, and their checks.
PURE.

Pass 2 (``optimize.place``) and the PyVRP search (``optimize.pyvrp``) both change a finished
plan; both must keep exactly the rules it was made with, checked by the same ``schedule``:
- every job stays planned (they only rearrange, or add);
- a job only goes to an engineer allowed to take it (skills, territory, pin);
- ``max_tasks`` and the shift end (open route: the last job finishes by then) hold;
- a job that met its SLA keeps meeting it (``latest`` = the latest service start), so there
  is never an extra breach; a late job may become on time, never the other way round.

- a job with an arrival window never starts before it opens (``earliest``): the engineer
  waits on site. A job placed on time keeps its window's end in ``latest`` too.

Times use the integer-second matrix VROOM was given; a route's schedule is its start time
plus cumulative travel, waiting for windows to open, and service.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

INF = float("inf")


@dataclass
class Rules:
    """The plan's problem as the searches see it: points are vehicle starts ``0..nv-1`` then
    jobs ``nv..nv+nj-1``; ``cost`` (km) is the objective, ``dur`` (s) the clock."""

    cost: Sequence[Sequence[float]]
    dur: Sequence[Sequence[int]]
    start_s: Sequence[int]  # per vehicle: when the route starts
    end_s: Sequence[int]  # per vehicle: the last job must finish by then
    max_tasks: Sequence[int]
    service_s: Sequence[int]  # per job
    latest: Sequence[float]  # per job: latest service start (INF: none)
    allowed: Sequence[frozenset[int]]  # per job: vehicles that may take it
    earliest: Sequence[int] = ()  # per job: earliest service start (empty: no job waits)


def schedule(p: Rules, v: int, route: Sequence[int]) -> list[int] | None:
    """Service start of every job of ``route`` on vehicle ``v``, or None if infeasible."""
    if len(route) > p.max_tasks[v]:
        return None
    nv = len(p.start_s)
    t, prev, starts = p.start_s[v], v, []
    for j in route:
        if v not in p.allowed[j]:
            return None
        t += p.dur[prev][nv + j]
        if p.earliest and t < p.earliest[j]:
            t = p.earliest[j]  # wait on site for the arrival window
        if t > p.latest[j]:
            return None
        starts.append(t)
        t += p.service_s[j]
        prev = nv + j
    return starts if t <= p.end_s[v] else None


def route_cost(p: Rules, v: int, route: Sequence[int]) -> float:
    nv, prev, total = len(p.start_s), v, 0.0
    for j in route:
        total += p.cost[prev][nv + j]
        prev = nv + j
    return total


def total_cost(p: Rules, routes: Sequence[Sequence[int]]) -> float:
    return sum(route_cost(p, v, r) for v, r in enumerate(routes))


def rows(m: np.ndarray, typecode: str) -> list[Any]:
    """``m`` as a list of compact rows, indexed like the nested lists the searches were
    written for (``m[a][b]``, as fast) but without a Python object per cell (32-36 bytes):
    nested lists were 1.1 GB of the 1.7 GB peak at 3,000 x 300 before any search ran.
    ``typecode`` "d": float64 rows *shared* with ``m`` (memoryviews: no copy; ``m`` must be
    float64); "i": rounded to whole seconds as int32 (4 bytes a cell), a row at a time, no
    temporary matrix. A forked search's reads touch no reference count inside either, so
    its pages stay shared with the parent."""
    if typecode == "d":
        shared = np.ascontiguousarray(m, dtype=np.float64)
        return [memoryview(r) for r in shared]
    return [array(typecode, np.rint(r).astype(np.int32).tobytes()) for r in m]
