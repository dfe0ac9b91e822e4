"""The annealer (``optimize_anneal``): its O(1) insertion check agrees with a full schedule
check, and on random instances it never drops a ticket, never adds a breach, never lengthens
travel, keeps every constraint and is reproducible for a seed."""

from __future__ import annotations

import random

import pytest

from backend.dispatch import optimize_anneal as oa
from backend.dispatch import optimize_polish as op
from tests.optimize.test_optimize_polish import assert_keeps_every_guarantee, random_problem


def brute_best(p: op.Polish, routes: list[list[int]], j: int) -> tuple[float, int, int] | None:
    """Cheapest feasible insertion of ``j`` by trying every place with the full check."""
    best = None
    for v in sorted(p.allowed[j]):
        r = routes[v]
        for i in range(len(r) + 1):
            new = [*r[:i], j, *r[i:]]
            if op.schedule(p, v, new) is None:
                continue
            d = op.route_cost(p, v, new) - op.route_cost(p, v, r)
            if best is None or d < best[0] - 1e-9:
                best = (d, v, i)
    return best


@pytest.mark.parametrize("seed", range(10))
def test_fast_insertion_check_agrees_with_the_full_schedule(seed):
    p, routes = random_problem(seed, nv=4, nj=28)
    rng = random.Random(seed)
    for j in rng.sample([j for r in routes for j in r], 8):
        without = [[k for k in r if k != j] for r in routes]
        state = oa.Routes(p, without)
        got = state.best_insertion(j, sorted(p.allowed[j]), rng, blink=0.0)
        want = brute_best(p, without, j)
        if want is None:
            assert got is None
            continue
        assert got is not None
        assert got[0] == pytest.approx(want[0], abs=1e-9)
        _, v, i = got
        new = [*without[v][:i], j, *without[v][i:]]
        assert op.schedule(p, v, new) is not None


def test_slack_and_cost_follow_the_route():
    p, routes = random_problem(2)
    state = oa.Routes(p, routes)
    for v, r in enumerate(routes):
        starts = op.schedule(p, v, r)
        assert starts == state.start[v]
        assert state.cost[v] == pytest.approx(op.route_cost(p, v, r))
        for i in range(len(r)):
            # Delaying the suffix by exactly its slack keeps it feasible, one second more not.
            worst = min(
                [p.latest[r[k]] - starts[k] for k in range(i, len(r))]
                + [p.end_s[v] - state.fin[v][-1]]
            )
            assert state.slack(v, i) == worst


@pytest.mark.parametrize("seed", range(12))
def test_anneal_never_drops_never_breaches_never_lengthens(seed):
    p, routes = random_problem(seed)
    after = oa.anneal(p, routes, budget_s=5.0, max_iters=400, seed=seed)
    assert_keeps_every_guarantee(p, routes, after)


def test_anneal_is_reproducible_for_a_seed():
    p, routes = random_problem(7)
    runs = [oa.anneal(p, routes, budget_s=30.0, max_iters=300, seed=11) for _ in range(2)]
    assert runs[0] == runs[1]


def test_parallel_annealers_return_the_best_of_their_seeds():
    p, routes = random_problem(9, nv=5, nj=36)
    singles = [oa.anneal(p, routes, budget_s=30.0, max_iters=300, seed=s) for s in (4, 5)]
    both = oa.anneal_parallel(p, routes, workers=2, budget_s=30.0, max_iters=300, seed=4)
    assert op.total_cost(p, both) == pytest.approx(min(op.total_cost(p, r) for r in singles))
    assert both in singles


def test_staged_parallel_annealers_keep_every_guarantee():
    p, routes = random_problem(10, nv=5, nj=36)
    after = oa.anneal_parallel(p, routes, workers=2, budget_s=30.0, max_iters=600, rounds=3)
    assert_keeps_every_guarantee(p, routes, after)
    again = oa.anneal_parallel(p, routes, workers=2, budget_s=30.0, max_iters=600, rounds=3)
    assert again == after  # capped by iterations: reproducible
