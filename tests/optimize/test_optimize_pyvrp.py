"""The PyVRP search over a finished plan (``dispatch.optimize.pyvrp``): PyVRP's model of a
plan agrees with our rules, and on random small plans the search never drops a ticket, never
adds a breach, never lengthens travel, keeps every constraint and is reproducible for a seed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backend.dispatch.optimize import pyvrp as ov
from backend.dispatch.optimize import rules
from backend.dispatch.optimize import solver as opt
from bench import dispatch_quality as q
from tests.optimize.plans import assert_keeps_every_guarantee, random_problem


@pytest.mark.parametrize("seed", range(6))
def test_pyvrp_judges_a_plan_as_our_rules_do(seed):
    p, routes = random_problem(seed)
    jobs = [j for r in routes for j in r]
    data = ov.to_pyvrp(p, jobs)
    ok = ov.as_solution(data, jobs, routes)
    assert ok.is_feasible()
    assert ok.distance() == pytest.approx(rules.total_cost(p, routes) * 1000, abs=len(jobs))
    v = max(range(len(routes)), key=lambda v: len(routes[v]))
    starts = rules.schedule(p, v, routes[v])
    assert starts is not None
    # Each rule broken by one second, and PyVRP sees it as our rules do.
    j = routes[v][-1]
    latest, end_s, max_tasks = list(p.latest), list(p.end_s), list(p.max_tasks)
    latest[j] = starts[-1] - 1  # the last job's window closes a second too early
    end_s[v] = starts[-1] + p.service_s[j] - 1  # it finishes a second after the shift
    max_tasks[v] = len(routes[v]) - 1
    missed = replace(p, latest=latest)
    overrun = replace(p, end_s=end_s)
    full = replace(p, max_tasks=max_tasks)
    for broken in (missed, overrun, full):
        assert rules.schedule(broken, v, routes[v]) is None
        assert not ov.as_solution(ov.to_pyvrp(broken, jobs), jobs, routes).is_feasible()


def test_prohibited_engineer_is_never_feasible_for_pyvrp():
    p, routes = random_problem(2)
    j = routes[0][0]
    p.allowed = list(p.allowed)
    p.allowed[j] = frozenset({1})
    jobs = [k for r in routes for k in r]
    data = ov.to_pyvrp(p, jobs)
    assert ov.as_solution(data, jobs, routes).distance() >= ov.BIG


@pytest.mark.parametrize("seed", range(12))
def test_search_never_drops_never_breaches_never_lengthens(seed):
    p, routes = random_problem(seed)
    after = ov.improve(p, routes, budget_s=10.0, max_iters=300, seed=seed)
    assert_keeps_every_guarantee(p, routes, after)


def test_search_finds_the_obvious_improvement():
    p, _ = random_problem(3, nv=2, nj=8)
    p.allowed = [frozenset({0, 1})] * 8
    p.latest = [rules.INF] * 8
    zigzag = [[0, 7, 1, 6, 2, 5, 3, 4], []]
    after = ov.improve(p, zigzag, budget_s=10.0, max_iters=300)
    assert rules.total_cost(p, after) < rules.total_cost(p, zigzag) * 0.95
    assert_keeps_every_guarantee(p, zigzag, after)


def test_infeasible_input_is_returned_untouched():
    p, routes = random_problem(1)
    bad = [r[:] for r in routes]
    bad[0] = bad[0] + [j for r in bad[1:] for j in r]  # over max_tasks
    for r in bad[1:]:
        r.clear()
    assert ov.improve(p, bad, budget_s=1.0) == bad


def test_accept_takes_only_a_shorter_plan_that_keeps_every_rule():
    p, routes = random_problem(4)
    shorter = ov.improve(p, routes, budget_s=10.0, max_iters=300, seed=1)
    assert rules.total_cost(p, shorter) < rules.total_cost(p, routes)
    assert ov.accept(p, routes, shorter) == shorter
    dropped = [r[:-1] if r else r for r in shorter]
    assert ov.accept(p, routes, dropped) == routes  # shorter, but a ticket is gone
    assert ov.accept(p, shorter, routes) == shorter  # longer
    crowded = [[j for r in shorter for j in r]] + [[] for _ in shorter[1:]]
    assert ov.accept(p, routes, crowded) == routes  # over max_tasks


def test_search_is_reproducible_for_a_seed():
    p, routes = random_problem(7)
    runs = [ov.improve(p, routes, budget_s=30.0, max_iters=300, seed=11) for _ in range(2)]
    assert runs[0] == runs[1]


def test_parallel_runs_return_the_best_of_their_seeds():
    p, routes = random_problem(9, nv=5, nj=36)
    singles = [ov.search(p, routes, budget_s=30.0, max_iters=300, seed=s) for s in (4, 5)]
    both = ov.improve(p, routes, workers=2, budget_s=30.0, max_iters=300, seed=4)
    assert rules.total_cost(p, both) == pytest.approx(min(rules.total_cost(p, r) for r in singles))
    assert both in singles


def test_solve_with_the_search_keeps_tickets_and_breaches_of_the_plain_plan():
    # Big enough that VROOM's plan is not already the best (on 60 x 8 it is).
    inst = q.generate("mixed", 150, 15, seed=4)
    plain = opt.solve(inst.problem(), search_s=0)
    searched = opt.solve(inst.problem(), search_s=1.0, budget_s=5)
    ids = sorted(s.task_id for r in plain.routes for s in r.stops)
    assert sorted(s.task_id for r in searched.routes for s in r.stops) == ids
    assert searched.breaches <= plain.breaches
    assert searched.travel_km < plain.travel_km
    routes = {r.engineer_id: [s.task_id for s in r.stops] for r in searched.routes}
    m = q.evaluate(inst, routes, 0.0)
    assert m["shift_overruns"] == 0 and m["breaches"] == searched.breaches
