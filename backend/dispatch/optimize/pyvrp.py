"""Re-route a finished plan with PyVRP's iterated local search, under exactly its constraints.
PURE: a ``Rules`` model and routes in, routes out.

Why PyVRP here: VROOM decides *which* tickets fit (pass 1) and the insertion pass adds the
late ones, but on a busy 400 x 50 day their routes stay well above the best known. Our own
pure-Python ruin-and-recreate annealer, which this replaced, closed most of that gap, but a
few seconds of Python are few moves; PyVRP (a well-kept solver with a C++ core, MIT) ended
5 % shorter in the same 9 s on the bench's three days (2495 km against 2625). It is
warm-started from the passes' plan, so it only ever has to improve it.

The model is the one the other searches use (``optimize.rules.Rules``):
- one depot per engineer at their start point; routes are open (travel back costs nothing
  and takes no time), so the shift end bounds when the last job *finishes*;
- the route starts at the engineer's start time (``tw_early = start_late``); a job with an
  arrival window cannot start before it opens (``tw_early``): the engineer waits;
- a job that met its SLA keeps its window (``tw_late`` = the latest service start); a late
  one has only the shift; ``max_tasks`` is a capacity of one unit per job;
- who may take a job (skills, territories, pins) is a routing profile per distinct set of
  allowed jobs: the distance *to* a job the engineer may not take is prohibitive.

PyVRP works with penalties, so its answer is never taken on trust: ``improve`` checks every
route with ``optimize.rules.schedule`` (the same rules as everything else) and returns the
input unless the answer keeps every job, is feasible and is shorter.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import warnings
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # imported where used: pyvrp is slow to import
    import pyvrp
    from pyvrp.solve import SolveParams

from backend.dispatch.optimize.forked import collect
from backend.dispatch.optimize.rules import INF, Rules, schedule, total_cost

BIG = 10**9  # metres: the edge to a job this engineer may not take
HORIZON = 10**9  # seconds: "no window" in PyVRP's integer clock
# PyVRP's defaults (50 neighbours, up to 25 perturbations, late-acceptance history 300) are
# tuned for runs of minutes. On the bench's 400 x 50 days, warm-started from the passes and
# given 7 s, they ran ~650 iterations/s and reached 986 km (random layout); 30 neighbours,
# at most 10 perturbations and a history of 100 ran ~2,500/s and reached 932 (clustered 667
# against 662-680 for the other settings tried, mixed 902-977 by seed).
NEIGHBOURS, MAX_PERTURBATIONS, HISTORY = 30, 10, 100


def to_pyvrp(p: Rules, jobs: Sequence[int]) -> pyvrp.ProblemData:
    """ProblemData for the planned ``jobs`` (PyVRP client ``k`` is job ``jobs[k]``)."""
    import pyvrp

    nv = len(p.start_s)
    pts = list(range(nv)) + [nv + j for j in jobs]
    cost = np.asarray(p.cost, dtype=np.float64)[np.ix_(pts, pts)]
    dist = np.rint(cost * 1000).astype(np.int64)
    dur: Any = np.asarray(p.dur, dtype=np.int64)[np.ix_(pts, pts)]
    dist[:, :nv] = 0  # open routes: the day ends at the last job
    dur[:, :nv] = 0
    # Profile 0 bans nothing and no engineer uses it, so neighbourhoods PyVRP may derive from
    # the first matrix are not skewed by one engineer's bans (clustered 687 -> 682 km).
    profiles: dict[frozenset[int], int] = {}
    matrices: list[Any] = [dist]
    vehicle_types = []
    for v in range(nv):
        allowed = frozenset(k for k, j in enumerate(jobs) if v in p.allowed[j])
        if allowed not in profiles:
            m = dist.copy()
            banned = [nv + k for k in range(len(jobs)) if k not in allowed]
            m[:, banned] = BIG
            np.fill_diagonal(m, 0)
            profiles[allowed] = len(matrices)
            matrices.append(m)
        vehicle_types.append(
            pyvrp.VehicleType(
                1,
                capacity=[max(0, p.max_tasks[v])],
                start_depot=v,
                end_depot=v,
                tw_early=int(p.start_s[v]),
                start_late=int(p.start_s[v]),
                tw_late=int(p.end_s[v]),
                profile=profiles[allowed],
            )
        )
    clients = []
    for k, j in enumerate(jobs):
        late = HORIZON if p.latest[j] == INF else int(p.latest[j])
        # A window that closes before it opens never reaches here (the passes give such a
        # job only the shift); PyVRP refuses one outright, and ``accept`` judges anyway.
        early = min(int(p.earliest[j]), late) if p.earliest else 0
        clients.append(
            pyvrp.Client(
                nv + k,
                delivery=[1],
                service_duration=int(p.service_s[j]),
                tw_early=early,
                tw_late=late,
            )
        )
    return pyvrp.ProblemData(
        [pyvrp.Location(0, 0) for _ in pts],
        clients,
        [pyvrp.Depot(v) for v in range(nv)],
        vehicle_types,
        matrices,
        [dur] * len(matrices),
    )


def as_solution(data: Any, jobs: Sequence[int], routes: Sequence[Sequence[int]]) -> Any:
    """``routes`` (job indices per engineer) as a solution of ``data = to_pyvrp(p, jobs)``."""
    import pyvrp

    client = {j: k for k, j in enumerate(jobs)}
    visits = [
        pyvrp.Route(data, [pyvrp.Activity(pyvrp.ActivityType.CLIENT, client[j]) for j in r], v)
        for v, r in enumerate(routes)
        if r
    ]
    return pyvrp.Solution(data, visits)


def params() -> SolveParams:
    """PyVRP's settings for a run of seconds (``NEIGHBOURS``, ``MAX_PERTURBATIONS``,
    ``HISTORY``)."""
    from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams
    from pyvrp.search import NeighbourhoodParams, PerturbationParams
    from pyvrp.solve import SolveParams

    return SolveParams(
        ils=IteratedLocalSearchParams(history_length=HISTORY),
        neighbourhood=NeighbourhoodParams(num_neighbours=NEIGHBOURS),
        perturbation=PerturbationParams(1, MAX_PERTURBATIONS),
    )


def search(
    p: Rules,
    routes: Sequence[Sequence[int]],
    *,
    budget_s: float,
    max_iters: int | None = None,
    seed: int = 0,
) -> list[list[int]]:
    """One PyVRP run from ``routes``, bounded by the clock and, if given, an iteration count
    (a run the count ends is reproducible for a seed); the checked result (``accept``)."""
    import pyvrp
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    start = [list(r) for r in routes]
    jobs = [j for r in start for j in r]
    if not jobs or budget_s <= 0 or not feasible(p, start):
        return start
    started = time.perf_counter()
    data = to_pyvrp(p, jobs)
    warm = as_solution(data, jobs, start)
    left = budget_s - (time.perf_counter() - started)
    if left <= 0:
        return start
    stop: Any = MaxRuntime(left)
    if max_iters is not None:
        stop = MultipleCriteria([stop, MaxIterations(max_iters)])
    with warnings.catch_warnings():
        # "A penalty parameter has reached its maximum value": PyVRP's note that it is
        # struggling; the answer is checked below either way.
        warnings.simplefilter("ignore")
        best = pyvrp.solve(
            data, stop, seed=seed, collect_stats=False, initial_solution=warm, params=params()
        ).best
    out: list[list[int]] = [[] for _ in range(len(p.start_s))]
    for route in best.routes():
        out[route.vehicle_type()] = [jobs[a.idx] for a in route if a.is_client()]
    return accept(p, start, out)


def feasible(p: Rules, routes: Sequence[Sequence[int]]) -> bool:
    return all(schedule(p, v, r) is not None for v, r in enumerate(routes) if r)


def accept(
    p: Rules, routes: Sequence[Sequence[int]], answer: Sequence[Sequence[int]]
) -> list[list[int]]:
    """``answer`` if it plans exactly the same jobs, keeps every rule of ``p`` and is
    shorter; otherwise ``routes``. PyVRP only penalises what it violates, and its integer
    metres are not our kilometres, so this is the last word."""
    same = sorted(j for r in answer for j in r) == sorted(j for r in routes for j in r)
    if (
        same
        and len(answer) == len(routes)
        and feasible(p, answer)
        and total_cost(p, answer) < total_cost(p, routes)
    ):
        return [list(r) for r in answer]
    return [list(r) for r in routes]


def improve(
    p: Rules,
    routes: Sequence[Sequence[int]],
    *,
    budget_s: float,
    workers: int = 1,
    max_iters: int | None = None,
    seed: int = 0,
) -> list[list[int]]:
    """``workers`` PyVRP runs (seeds ``seed``, ``seed + 1``, ...; this process runs the
    first) from the same plan; the shortest wins. One run uses one core, and on the bench's
    mixed day one run's result varies by 8 % with its seed, so the best of two is better and
    steadier (two stages restarting both from the best so far, as the annealer this replaced
    had, were no better in one measurement: 2505 km against 2495 over the three days).
    Forked, so nothing is pickled on the way in; a worker that fails or is late is ignored
    (its plan is only a candidate)."""
    if "fork" not in mp.get_all_start_methods():
        workers = 1
    kw: dict[str, Any] = {"budget_s": budget_s, "max_iters": max_iters}
    return _race(p, [list(r) for r in routes], max(1, workers), seed, kw)


def _work(conn: Connection, p: Rules, routes: list[list[int]], kw: dict[str, Any]) -> None:
    try:
        conn.send(search(p, routes, **kw))
    finally:
        conn.close()


def _race(
    p: Rules, routes: list[list[int]], workers: int, seed: int, kw: dict[str, Any]
) -> list[list[int]]:
    """The best of ``workers`` runs from ``routes``."""
    if workers <= 1:
        return search(p, routes, seed=seed, **kw)
    ctx = mp.get_context("fork")
    started = time.perf_counter()
    children = []
    for k in range(1, workers):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_work, args=(send, p, routes, {**kw, "seed": seed + k}), daemon=True
        )
        proc.start()
        send.close()
        children.append((proc, recv))
    results = [search(p, routes, seed=seed, **kw)]
    for proc, recv in children:
        # Each child's plan is already checked by ``search`` there.
        results += collect(proc, recv, started + kw["budget_s"] * 1.05, most=1)
    return min(results, key=lambda r: total_cost(p, r))
