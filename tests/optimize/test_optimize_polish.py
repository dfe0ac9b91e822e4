"""The local search on VROOM's routes (``optimize_polish``): on random small instances it
never drops a ticket, never adds a breach, never lengthens travel, and keeps every
constraint (compatibility, max_tasks, shift end, SLA windows of the jobs on time)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from backend.dispatch import optimize as opt
from backend.dispatch import optimize_anneal as oa
from backend.dispatch import optimize_polish as op
from backend.dispatch.optimize import travel_matrices
from backend.dispatch.optimize_place import place
from bench import dispatch_quality as q


def random_problem(seed: int, nv: int = 4, nj: int = 24) -> tuple[op.Polish, list[list[int]]]:
    """A random instance and a feasible but poor start: jobs dealt round the engineers."""
    rng = random.Random(seed)
    pts = [(13.4 + rng.uniform(-0.1, 0.1), 52.5 + rng.uniform(-0.06, 0.06)) for _ in range(nv + nj)]
    km, sec = travel_matrices(pts, 40.0, 1.3)
    dur = np.rint(sec).astype(np.int64).tolist()
    allowed = [
        frozenset(v for v in range(nv) if rng.random() < 0.7) or frozenset({0}) for _ in range(nj)
    ]
    p = op.Polish(
        cost=km.tolist(),
        dur=dur,
        start_s=[0] * nv,
        end_s=[9 * 3600] * nv,
        max_tasks=[9] * nv,
        service_s=[rng.randint(600, 2400) for _ in range(nj)],
        latest=[op.INF] * nj,
        allowed=allowed,
    )
    routes: list[list[int]] = [[] for _ in range(nv)]
    for j in range(nj):
        for v in sorted(allowed[j], key=lambda v: len(routes[v])):
            if op.schedule(p, v, routes[v] + [j]) is not None:
                routes[v].append(j)
                break
    # Jobs on time get a window ending a little after their current start: tight SLAs.
    latest = [op.INF] * nj
    for v, r in enumerate(routes):
        starts = op.schedule(p, v, r)
        assert starts is not None
        for j, s in zip(r, starts, strict=True):
            if rng.random() < 0.6:
                latest[j] = s + rng.randint(0, 1800)
    p.latest = latest
    return p, routes


def assert_keeps_every_guarantee(p: op.Polish, routes: list[list[int]], after) -> None:
    """What any search over a plan must keep: every ticket placed, travel no longer, every
    route feasible (allowed engineer, max_tasks, shift end) and every SLA window met."""
    assert sorted(j for r in after for j in r) == sorted(j for r in routes for j in r)
    assert op.total_cost(p, after) <= op.total_cost(p, routes) + 1e-9
    for v, r in enumerate(after):
        starts = op.schedule(p, v, r)
        assert starts is not None  # allowed engineer, max_tasks, shift end
        for j, s in zip(r, starts, strict=True):
            assert s <= p.latest[j]  # a job that met its SLA still meets it


@pytest.mark.parametrize("seed", range(12))
def test_polish_never_drops_never_breaches_never_lengthens(seed):
    p, routes = random_problem(seed)
    assert_keeps_every_guarantee(p, routes, op.polish(p, routes, budget_s=0.3, seed=seed))


# Both searches over a plan (the descent and the annealer) must pass the same two cases; each
# gets the time it has for the obvious improvement (the annealer stops at its iteration cap).
SEARCHES = {
    "polish": (lambda p, routes, budget_s: op.polish(p, routes, budget_s=budget_s), 0.5),
    "anneal": (
        lambda p, routes, budget_s: oa.anneal(p, routes, budget_s=budget_s, max_iters=500),
        5.0,
    ),
}


@pytest.mark.parametrize(("search", "budget_s"), SEARCHES.values(), ids=SEARCHES.keys())
def test_search_finds_the_obvious_improvement(search, budget_s):
    p, _ = random_problem(3, nv=2, nj=8)
    p.allowed = [frozenset({0, 1})] * 8
    p.latest = [op.INF] * 8
    zigzag = [[0, 7, 1, 6, 2, 5, 3, 4], []]
    after = search(p, zigzag, budget_s)
    assert op.total_cost(p, after) < op.total_cost(p, zigzag) * 0.95


@pytest.mark.parametrize(("search", "_budget_s"), SEARCHES.values(), ids=SEARCHES.keys())
def test_infeasible_input_is_returned_untouched(search, _budget_s):
    p, routes = random_problem(1)
    bad = [r[:] for r in routes]
    bad[0] = bad[0] + [j for r in bad[1:] for j in r]  # over max_tasks
    for r in bad[1:]:
        r.clear()
    assert search(p, bad, 0.1) == bad


def test_place_adds_what_fits_and_keeps_the_plan_feasible():
    p, routes = random_problem(5)
    out = [routes[1].pop(), routes[2].pop()]
    p.allowed = list(p.allowed)
    p.allowed[out[1]] = frozenset()  # nobody may take it
    before = sorted(j for r in routes for j in r)
    placed_routes, placed = place(p, routes, out)
    assert placed == [out[0]]
    assert sorted(j for r in placed_routes for j in r) == sorted([*before, out[0]])
    for v, r in enumerate(placed_routes):
        starts = op.schedule(p, v, r)
        assert starts is not None
        assert all(s <= p.latest[j] for j, s in zip(r, starts, strict=True))


def test_place_makes_room_when_the_only_eligible_engineer_is_full():
    p, routes = random_problem(6, nv=2, nj=12)
    new = 11
    routes = [[j for j in r if j != new] for r in routes]
    # Only engineer 1 may take the new job and has no free slot; engineer 0 has one and may
    # take any other job, so placing it means moving one of 1's jobs over first.
    p.allowed = [frozenset({1}) if j == new else a | {0} for j, a in enumerate(p.allowed)]
    p.max_tasks = [len(routes[0]) + 1, len(routes[1])]
    got, placed = place(p, routes, [new])
    assert placed == [new] and new in got[1]
    assert len(got[0]) == len(routes[0]) + 1 and len(got[1]) == len(routes[1])
    assert all(op.schedule(p, v, r) is not None for v, r in enumerate(got))


def test_solve_with_polish_keeps_tickets_and_breaches_of_the_plain_plan():
    inst = q.generate("mixed", 60, 8, seed=4)
    plain = opt.solve(inst.problem(), search_s=0)
    polished = opt.solve(inst.problem(), search_s=0.5, budget_s=5)
    ids = sorted(s.task_id for r in plain.routes for s in r.stops)
    assert sorted(s.task_id for r in polished.routes for s in r.stops) == ids
    assert polished.breaches <= plain.breaches
    assert polished.travel_km <= plain.travel_km + 1e-6
    routes = {r.engineer_id: [s.task_id for s in r.stops] for r in polished.routes}
    m = q.evaluate(inst, routes, 0.0)
    assert m["shift_overruns"] == 0 and m["breaches"] == polished.breaches
