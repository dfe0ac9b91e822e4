"""The search on a plan too big to model whole: PyVRP on groups of neighbouring routes, in
rounds with shifting borders. PURE: a ``Rules`` model and routes in, routes out.

Why: ``optimize.pyvrp`` models who may take a job (skills, territory, pin) as one routing
profile - a full distance and duration matrix - per distinct set of allowed jobs. At
3,000 tickets x 300 engineers that is ~260 profiles of 3,300 x 3,300 points: ~45 GB
(docs/dispatch.md, "Plans the size of a region"). A group of ~30 neighbouring engineers and
the jobs on their routes is a problem the size of the 400 x 50 day PyVRP is tuned for, with
at most 31 small profiles (~100 MB); the jobs of a group only move between its engineers,
so the groups' answers combine into a plan with no further checks needed - but the whole
plan is still checked with ``optimize.pyvrp.accept``, the same guard as every answer.

A job can only change engineer within a group, so each round cuts the engineers into groups
along a different direction (the borders move): a job on the border of one round's groups
lies inside a group of the next. Groups of one round are independent, so ``workers``
processes (forked: nothing pickled on the way in, only routes back) each take a share.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection

import numpy as np

from backend.dispatch.optimize.forked import collect
from backend.dispatch.optimize.rules import Rules, rows

GOLDEN = math.pi * (math.sqrt(5) - 1) / 2  # radians between two rounds' cutting directions
Search = Callable[[Rules, list[list[int]], float, int], list[list[int]]]


def restrict(p: Rules, vehicles: Sequence[int], jobs: Sequence[int]) -> Rules:
    """``p`` for ``vehicles`` and ``jobs`` only (renumbered 0.. in the given orders): the same
    matrices, windows, capacities and compatibility."""
    nv = len(p.start_s)
    pts = [*vehicles, *(nv + j for j in jobs)]
    inside = {v: k for k, v in enumerate(vehicles)}
    cost = np.array([np.asarray(p.cost[a], dtype=np.float64)[pts] for a in pts])
    dur = np.array([np.asarray(p.dur[a])[pts] for a in pts])
    return Rules(
        cost=rows(cost.reshape(len(pts), len(pts)), "d"),
        dur=rows(dur.reshape(len(pts), len(pts)), "i"),
        start_s=[p.start_s[v] for v in vehicles],
        end_s=[p.end_s[v] for v in vehicles],
        max_tasks=[p.max_tasks[v] for v in vehicles],
        service_s=[p.service_s[j] for j in jobs],
        latest=[p.latest[j] for j in jobs],
        earliest=[p.earliest[j] for j in jobs] if p.earliest else (),
        allowed=[frozenset(inside[v] for v in p.allowed[j] if v in inside) for j in jobs],
    )


def centres(
    routes: Sequence[Sequence[int]], xy: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Per vehicle, where its work is (planar ``xy`` of points: vehicles, then jobs): the
    mean of its jobs, or its start if it has none."""
    nv = len(routes)
    out = []
    for v, r in enumerate(routes):
        pts = [xy[nv + j] for j in r] or [xy[v]]
        out.append((sum(x for x, _ in pts) / len(pts), sum(y for _, y in pts) / len(pts)))
    return out


def groups(where: Sequence[tuple[float, float]], size: int, round_no: int) -> list[list[int]]:
    """Vehicles cut into groups of about ``size`` neighbours: strips across the direction of
    this round, each strip cut along it. Every round turns the direction by the golden
    angle, so the borders never repeat."""
    n = len(where)
    if n <= size:
        return [list(range(n))]
    k = math.ceil(n / size)
    strips = max(1, round(math.sqrt(k)))
    angle = round_no * GOLDEN
    ux, uy = math.cos(angle), math.sin(angle)

    def along(v: int) -> float:
        return where[v][0] * ux + where[v][1] * uy

    def across(v: int) -> float:
        return -where[v][0] * uy + where[v][1] * ux

    order = sorted(range(n), key=across)
    out: list[list[int]] = []
    for s in range(strips):
        strip = sorted(order[s * n // strips : (s + 1) * n // strips], key=along)
        parts = max(1, round(len(strip) / size))
        out += [
            strip[i * len(strip) // parts : (i + 1) * len(strip) // parts] for i in range(parts)
        ]
    return [g for g in out if g]


def solve_group(
    p: Rules, routes: Sequence[Sequence[int]], group: Sequence[int], budget_s: float, seed: int,
    search: Search,
) -> list[list[int]]:  # fmt: skip
    """The group's routes after ``search`` on the group alone (job and vehicle indices of
    ``p``, in ``group``'s order)."""
    jobs = [j for v in group for j in routes[v]]
    sub = restrict(p, group, jobs)
    local = {j: k for k, j in enumerate(jobs)}
    start = [[local[j] for j in routes[v]] for v in group]
    answer = search(sub, start, budget_s, seed)
    return [[jobs[k] for k in r] for r in answer]


def _share(
    p: Rules, routes: list[list[int]], mine: list[list[int]], until: float, seed: int,
    search: Search, send: Callable[[tuple[list[int], list[list[int]]]], None],
) -> None:  # fmt: skip
    """Work through ``mine`` (groups) by ``until``, each group a fair part of what is left."""
    for k, group in enumerate(mine):
        left = until - time.perf_counter()
        if left <= 0.05:
            return
        slice_s = left / (len(mine) - k)
        send((group, solve_group(p, routes, group, slice_s, seed + k, search)))


def _child(
    conn: Connection, p: Rules, routes: list[list[int]], mine: list[list[int]], until: float,
    seed: int, search: Search,
) -> None:  # fmt: skip
    try:
        _share(p, routes, mine, until, seed, search, conn.send)
    finally:
        conn.close()


def improve(
    p: Rules,
    routes: Sequence[Sequence[int]],
    xy: Sequence[tuple[float, float]],
    *,
    budget_s: float,
    size: int,
    search: Search,
    workers: int = 1,
    seed: int = 0,
    slice_s: float = 2.0,
) -> list[list[int]]:
    """Rounds of ``search`` on groups of ``size`` neighbouring engineers until ``budget_s``
    runs out, ``workers`` groups at a time; each round starts from the last one's plan.
    ``slice_s``: the time a group should get (fewer, longer rounds when there is time)."""
    started = time.perf_counter()
    out = [list(r) for r in routes]
    if "fork" not in mp.get_all_start_methods():
        workers = 1
    round_no = 0
    while True:
        left = budget_s - (time.perf_counter() - started)
        if left <= 0.1:
            break
        cut = groups(centres(out, xy), size, round_no)
        busy = [g for g in cut if any(out[v] for v in g)]
        if not busy:
            break
        per_worker = math.ceil(len(busy) / max(1, workers))
        rounds_left = max(1, int(left / max(0.1, per_worker * slice_s)))
        until = time.perf_counter() + left / rounds_left
        out = _round(p, out, busy, workers, until, seed + 1000 * round_no, search)
        round_no += 1
    return out


def _round(
    p: Rules, routes: list[list[int]], busy: list[list[int]], workers: int, until: float,
    seed: int, search: Search,
) -> list[list[int]]:  # fmt: skip
    """One round: the groups shared out over ``workers`` (largest first, each to the least
    loaded), the answers merged. A worker that fails or is late loses only its groups."""
    shares: list[list[list[int]]] = [[] for _ in range(max(1, workers))]
    load = [0] * len(shares)
    for g in sorted(busy, key=lambda g: -sum(len(routes[v]) for v in g)):
        w = load.index(min(load))
        shares[w].append(g)
        load[w] += sum(len(routes[v]) for v in g)
    results: list[tuple[list[int], list[list[int]]]] = []
    ctx = mp.get_context("fork")
    children = []
    for w in range(1, len(shares)):
        if not shares[w]:
            continue
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_child, args=(send, p, routes, shares[w], until, seed + w * 100, search),
            daemon=True,
        )  # fmt: skip
        proc.start()
        send.close()
        children.append((proc, recv))
    _share(p, routes, shares[0], until, seed, search, results.append)
    for proc, recv in children:
        results += collect(proc, recv, until + 1.0)
    out = [list(r) for r in routes]
    for group, answer in results:
        for v, r in zip(group, answer, strict=True):
            out[v] = r
    return out


def memory_bytes(vehicles: int, jobs: int, profiles: int) -> int:
    """What one PyVRP model of ``vehicles`` and ``jobs`` with ``profiles`` costs at its
    peak: per profile, our int64 distance matrix and PyVRP's own distance and duration
    copies (3 x 8 bytes a cell; ``optimize.pyvrp.to_pyvrp``), plus a fixed part."""
    points = vehicles + jobs
    return 24 * (profiles + 1) * points * points + FIXED_BYTES


FIXED_BYTES = 40 * 2**20  # a search's own heap besides the matrices (PyVRP, numpy buffers)


def group_size(jobs_per_vehicle: float, budget: int, largest: int) -> int:
    """The most engineers a group may have (at most ``largest``) for its model to fit in
    ``budget`` bytes, counting one profile per engineer; 0 if not even two fit."""
    for g in range(largest, 1, -1):
        if memory_bytes(g, math.ceil(g * jobs_per_vehicle), g) <= budget:
            return g
    return 0
