"""Arrival windows in the batch optimizer (pure, no database): VROOM's pass keeps jobs in
their windows and makes engineers wait for them to open; a job that cannot start in its
window is placed as a counted, explained window breach (or left out with reason ``window``
when no shift covers it); pins hold; PyVRP's model waits for windows exactly as our rules
do, and its search never moves a job out of its window."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from backend.dispatch.optimize import pyvrp as ov
from backend.dispatch.optimize import rules
from tests.optimize.plans import assert_keeps_every_guarantee, random_problem
from tests.optimize.test_optimize_pure import NOW, eng, reasons, solve, stops, task


def windowed(tid: str, start_h: float, end_h: float, **kw):
    return replace(
        task(tid, **kw), window=(NOW + timedelta(hours=start_h), NOW + timedelta(hours=end_h))
    )


def by_id(plan):
    return {s.task_id: s for r in plan.routes for s in r.stops}


@pytest.mark.parametrize("search_s", [0, 2.0])
def test_engineer_waits_for_the_window_and_keeps_it(search_s):
    tasks = [windowed("w", 3, 4), task("a", loc=(13.43, 52.53)), task("b", loc=(13.41, 52.51))]
    plan = solve([eng()], tasks, search_s=search_s)
    s = by_id(plan)["w"]
    assert s.start >= NOW + timedelta(hours=3) and s.start <= NOW + timedelta(hours=4)
    assert s.eta <= s.start and s.window_breach_min == 0
    assert plan.window_breaches == 0 and plan.to_dict()["summary"]["window_breaches"] == 0


def test_window_that_has_passed_is_a_counted_window_breach():
    plan = solve([eng()], [windowed("gone", -3, -1), task("a")], search_s=0)
    s = by_id(plan)["gone"]
    assert s.window_breach_min >= 60 and s.sla_pass == 2
    assert plan.window_breaches == 1
    row = next(
        t for r in plan.to_dict()["routes"] for t in r["tickets"] if t["ticket_id"] == "gone"
    )
    assert row["window_breach_min"] >= 60
    assert plan.to_dict()["summary"]["window_breaches"] == 1


def test_two_engineers_serve_clashing_windows_one_cannot():
    # Two one-hour jobs, both to start between 09:00 and 09:30, 20 km apart.
    tasks = [windowed("x", 1, 1.5, loc=(13.30, 52.52)), windowed("y", 1, 1.5, loc=(13.60, 52.52))]
    one = solve([eng(start=(13.45, 52.52))], tasks, search_s=0)
    assert len(by_id(one)) == 2 and one.window_breaches == 1
    late = next(s for s in by_id(one).values() if s.window_breach_min > 0)
    assert late.start > NOW + timedelta(hours=1.5)
    two = solve([eng("e1", start=(13.30, 52.52)), eng("e2", start=(13.60, 52.52))], tasks)
    assert two.window_breaches == 0 and stops(two) == {"x": "e1", "y": "e2"}


def test_window_after_the_shift_is_left_out_with_reason_window():
    plan = solve([eng(hours=8)], [windowed("evening", 10, 11), task("a")], search_s=0)
    assert reasons(plan) == {"evening": "window"}
    detail = next(u.detail for u in plan.unassigned)
    assert "arrival window" in detail and (NOW + timedelta(hours=10)).isoformat() in detail


def test_window_kept_rather_than_the_sla_when_both_cannot_be_met():
    # The SLA ends at 09:00, the customer booked 10:00-11:00: the booked time wins.
    plan = solve([eng()], [windowed("booked", 2, 3, due_h=1)], search_s=0)
    s = by_id(plan)["booked"]
    assert s.window_breach_min == 0 and s.breach_min > 0
    assert NOW + timedelta(hours=2) <= s.start <= NOW + timedelta(hours=3)


def test_pinned_windowed_job_stays_with_its_engineer_and_waits():
    tasks = [windowed("p", 2, 3, loc=(13.40, 52.52), pinned_to="e2"), task("a")]
    plan = solve([eng("e1"), eng("e2", start=(13.60, 52.60))], tasks)
    assert stops(plan)["p"] == "e2"
    assert by_id(plan)["p"].start >= NOW + timedelta(hours=2)
    assert plan.window_breaches == 0


def with_windows(seed: int):
    """A random plan whose jobs partly carry an earliest start at or before their current
    start, so the start routes stay feasible and waiting is part of the schedule."""
    p, routes = random_problem(seed)
    rng = random.Random(seed)
    earliest = [0] * len(p.service_s)
    for v, r in enumerate(routes):
        starts = rules.schedule(p, v, r)
        assert starts is not None
        for j, s in zip(r, starts, strict=True):
            if rng.random() < 0.4:
                earliest[j] = max(0, s - rng.randint(0, 900))
    return replace(p, earliest=earliest), routes


def test_rules_wait_for_the_window():
    p, routes = with_windows(0)
    v = max(range(len(routes)), key=lambda v: len(routes[v]))
    j = routes[v][0]
    early = list(p.earliest)
    early[j] = 3600
    latest = [rules.INF] * len(p.latest)
    waits = replace(p, earliest=early, latest=latest)
    assert rules.schedule(waits, v, routes[v][:1]) == [3600]
    latest[j] = 3599  # a window that closes before it opens cannot be met
    assert rules.schedule(replace(waits, latest=latest), v, routes[v][:1]) is None


@pytest.mark.parametrize("seed", range(4))
def test_pyvrp_waits_for_windows_as_our_rules_do(seed):
    p, routes = with_windows(seed)
    jobs = [j for r in routes for j in r]
    assert ov.as_solution(ov.to_pyvrp(p, jobs), jobs, routes).is_feasible()
    # Open the last job's window so late that waiting for it overruns the shift.
    v = max(range(len(routes)), key=lambda v: len(routes[v]))
    j = routes[v][-1]
    early = list(p.earliest)
    early[j] = p.end_s[v] - p.service_s[j] + 1
    latest = list(p.latest)
    latest[j] = rules.INF  # only the shift bounds it: the wait overruns the shift
    late = replace(p, earliest=early, latest=latest)
    assert rules.schedule(late, v, routes[v]) is None
    assert not ov.as_solution(ov.to_pyvrp(late, jobs), jobs, routes).is_feasible()


@pytest.mark.parametrize("seed", range(6))
def test_pyvrp_search_keeps_windows(seed):
    p, routes = with_windows(seed)
    after = ov.improve(p, routes, budget_s=10.0, max_iters=300, seed=seed)
    assert_keeps_every_guarantee(p, routes, after)
    for v, r in enumerate(after):
        starts = rules.schedule(p, v, r)
        assert starts is not None
        assert all(s >= p.earliest[j] for j, s in zip(r, starts, strict=True))


def test_a_window_opening_within_a_second_is_not_started_early():
    opens = NOW + timedelta(hours=1, milliseconds=800)
    t = replace(task("w"), window=(opens, opens + timedelta(hours=1)))
    s = by_id(solve([eng()], [t], search_s=0))["w"]
    assert s.start >= opens and s.window_breach_min == 0
