"""Plans too big for one PyVRP model (``optimize.decompose``, ``optimize.strategy``): a group
keeps exactly the rules of the whole plan, rounds cut along new borders, the strategy fits
the memory budget it is given, and a plan that would blow its budget still answers within it,
with every guarantee of the plan it improves."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from backend.dispatch.optimize import decompose, explain, rules, split, strategy
from backend.dispatch.optimize import solver as opt
from backend.dispatch.optimize.vroom import build, latest_start, run, to_vroom
from bench import dispatch_quality as q
from bench.dispatch_scale import TreeSampler, qualified_everywhere
from tests.optimize.plans import assert_keeps_every_guarantee, random_problem

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("seed", range(4))
def test_a_group_keeps_the_rules_of_the_whole_plan(seed):
    p, routes = random_problem(seed, nv=6, nj=40)
    group = [4, 1, 3]
    jobs = [j for v in group for j in routes[v]]
    sub = decompose.restrict(p, group, jobs)
    local = {j: k for k, j in enumerate(jobs)}
    for k, v in enumerate(group):
        mine = [local[j] for j in routes[v]]
        assert rules.schedule(sub, k, mine) == rules.schedule(p, v, routes[v])
        assert rules.route_cost(sub, k, mine) == pytest.approx(rules.route_cost(p, v, routes[v]))
    for k, j in enumerate(jobs):  # who may take a job: the same engineers, renumbered
        assert {group[i] for i in sub.allowed[k]} == p.allowed[j] & set(group)


def test_rounds_cut_every_engineer_into_groups_along_new_borders():
    where = [(i % 10 * 1.0, i // 10 * 1.0) for i in range(100)]
    cuts = [decompose.groups(where, 12, r) for r in range(3)]
    for cut in cuts:
        assert sorted(v for g in cut for v in g) == list(range(100))
        assert max(len(g) for g in cut) <= 18 and min(len(g) for g in cut) >= 6
    as_sets = [{frozenset(g) for g in cut} for cut in cuts]
    assert as_sets[0] != as_sets[1] != as_sets[2]
    assert decompose.groups(where[:5], 12, 0) == [[0, 1, 2, 3, 4]]


@pytest.mark.parametrize("seed", range(3))
def test_decomposed_search_never_drops_never_breaches_never_lengthens(seed):
    p, routes = random_problem(seed, nv=8, nj=60)
    xy = [(float(v % 3), float(v // 3)) for v in range(8)] + [(0.0, 0.0)] * 60
    chosen = strategy.Strategy("decompose", 0.0, workers=2, group=3)
    after = strategy.improve(p, routes, xy, chosen, search_s=2.0, seed=seed)
    assert_keeps_every_guarantee(p, routes, after)
    assert rules.total_cost(p, after) < rules.total_cost(p, routes)  # the start is poor


def test_the_strategy_is_the_best_that_fits_the_memory_budget():
    p, routes = random_problem(1, nv=6, nj=40)
    whole = strategy.choose(p, routes, 2, memory_mb=4096)
    assert whole.name == "whole" and whole.estimate_mb <= 4096
    # Room for a group of engineers but not for the whole model.
    nv, nj = 6, sum(len(r) for r in routes)
    need = decompose.memory_bytes(nv, nj, strategy.profiles(p, [j for r in routes for j in r]))
    base = strategy.plan_bytes(nv + len(p.service_s))
    tight = (base + need - 1) / strategy.MB  # a byte short of the whole model
    grouped = strategy.choose(p, routes, 1, memory_mb=tight)
    assert grouped.name == "decompose" and 2 <= grouped.group < nv
    assert grouped.estimate_mb <= tight
    assert strategy.choose(p, routes, 2, memory_mb=base / strategy.MB + 1).name == "skip"


SCRIPT = """
import json, sys, time
sys.path.insert(0, {root!r})
from bench import dispatch_quality as q
from backend.dispatch.optimize import solver as opt
from backend.dispatch.optimize.vroom import build, latest_start, run, to_vroom
inst = q.generate("mixed", 400, 50, seed=2)
started = time.perf_counter()
seen = {{}}
plan = opt.solve(
    inst.problem(), budget_s={budget}, memory_mb={memory},
    progress=lambda phase, facts: seen.update({{phase: facts}}),
)
print(json.dumps({{
    "seconds": time.perf_counter() - started,
    "strategy": plan.strategy,
    "estimate_mb": plan.estimate_mb,
    "routes": {{r.engineer_id: [s.task_id for s in r.stops] for r in plan.routes}},
    "breaches": plan.breaches,
    "unassigned": len(plan.unassigned),
    "before_search_km": seen["search"]["travel_km"],
    "travel_km": plan.travel_km,
    "within_shifts": all(
        s.finish <= next(e.shift_end for e in inst.engineers if e.id == r.engineer_id)
        for r in plan.routes for s in r.stops
    ),
}}))
"""


def _solve_in_a_process(budget: float, memory: float) -> tuple[dict, float]:
    """The plan in a fresh interpreter (a known baseline, not pytest's heap), its whole
    process tree's peak memory sampled from here."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(root=str(ROOT), budget=budget, memory=memory)],
        stdout=subprocess.PIPE,
        text=True,
    )
    with TreeSampler(proc.pid, every_s=0.05) as sampler:
        out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0
    return json.loads(out), sampler.peak_mb


def test_a_plan_that_would_blow_its_memory_budget_answers_within_it():
    # The whole model with two searches needs ~600 MB on this day (strategy.choose); 420 MB
    # leaves room for groups only.
    got, peak_mb = _solve_in_a_process(budget=6.0, memory=420)
    assert got["strategy"] == "decompose" and got["estimate_mb"] <= 420
    assert peak_mb <= 420, peak_mb
    assert got["seconds"] <= 6.0 + 1.5
    inst = q.generate("mixed", 400, 50, seed=2)
    assert sum(map(len, got["routes"].values())) + got["unassigned"] == 400
    assert got["within_shifts"]  # on the plan's clock (see the next test)
    assert qualified_everywhere(inst, got["routes"])
    assert got["travel_km"] < got["before_search_km"]  # the groups' search shortened it


def test_a_budget_below_the_plan_itself_skips_the_search():
    inst = q.generate("mixed", 150, 15, seed=4)
    plain = opt.solve(inst.problem(), search_s=0)
    skipped = opt.solve(inst.problem(), memory_mb=50)  # the search would get 3 s
    assert skipped.strategy == "skip"
    assert skipped.solve_s < plain.solve_s + 1.5  # not searched
    as_routes = [[s.task_id for s in r.stops] for r in skipped.routes]
    assert as_routes == [[s.task_id for s in r.stops] for r in plain.routes]


def test_the_whole_model_is_kept_where_it_fits():
    inst = q.generate("mixed", 150, 15, seed=4)
    plan = opt.solve(inst.problem(), search_s=1.0, budget_s=5)
    assert plan.strategy == "whole" and 0 < plan.estimate_mb < opt.MEMORY_MB


def test_pass_one_splits_only_when_vroom_would_outlast_its_share():
    assert split.parts(400, 50, 2.7) == 1  # the bench's day in the default 9 s budget
    assert split.parts(3000, 300, 18.0) == 1  # a region in 60 s: VROOM on the whole
    assert split.parts(3000, 300, None) == 1  # no budget, no hurry
    assert 1 < split.parts(5000, 1000, 18.0) <= 1000 // split.MIN_GROUP
    assert split.parts(3000, 300, 2.7) > split.parts(3000, 300, 9.0)


def test_pass_one_in_groups_routes_each_ticket_once_with_an_allowed_engineer():
    inst = q.generate("mixed", 400, 50, seed=3)
    b = build(inst.problem())
    on_time = {j for j, t in enumerate(b.jobs) if latest_start(b, t) >= 0}
    allowed = opt.allowed_sets(b)
    xy = strategy.planar([e.start for e in b.vehicles] + [t.location for t in b.jobs])

    def vroom_pass(sub, jobs, limit):
        return run(to_vroom(sub, jobs), 2, 1, limit)

    whole = split.pass1(b, on_time, allowed, xy, 1, 2.0, vroom_pass)
    grouped = split.pass1(b, on_time, allowed, xy, 2, 2.0, vroom_pass)
    routed = [j for r in grouped for j in r]
    assert len(routed) == len(set(routed)) and set(routed) <= on_time
    p = opt.rules_for(b, set(routed), allowed)
    for v, r in enumerate(grouped):
        assert rules.schedule(p, v, r) is not None  # allowed, on time, within shift and slots
    assert len(routed) >= 0.8 * sum(len(r) for r in whole)


def test_a_region_sized_plan_keeps_a_short_budget():
    inst = q.generate("mixed", 1000, 100, seed=1, n_regions=24)
    started = time.perf_counter()
    plan = opt.solve(inst.problem(), budget_s=2.0)
    assert time.perf_counter() - started <= 2.0 + 1.5
    routes = {r.engineer_id: [s.task_id for s in r.stops] for r in plan.routes}
    assert qualified_everywhere(inst, routes)
    assert sum(map(len, routes.values())) + len(plan.unassigned) == 1000
    # The plan's own clock (whole seconds, as VROOM's): the simulator's float minutes may
    # end a route that finishes on the second of the shift's end a fraction of it later.
    shift_end = {e.id: e.shift_end for e in inst.engineers}
    assert all(s.finish <= shift_end[r.engineer_id] for r in plan.routes for s in r.stops)


def test_reasons_from_the_region_index_are_the_full_scans():
    inst = q.generate("mixed", 300, 40, seed=5, n_regions=24)
    engineers = [
        replace(e, regions=frozenset()) if i % 7 == 0 else e  # some cover no region at all
        for i, e in enumerate(inst.engineers)
    ]
    tasks = [*inst.tasks, replace(inst.tasks[0], regions=frozenset({"nowhere"}))]
    index = explain.by_region(engineers)
    for t in tasks:
        assert explain.explain_static(t, engineers, inst.now, index) == explain.explain_static(
            t, engineers, inst.now
        )


def test_a_busy_machine_is_measured_as_slower_and_cuts_pass_one_into_more_groups():
    from backend.dispatch.optimize import forked

    assert forked.slowdown(2.0, 1.0) == 2.0  # half a core: twice as long
    assert forked.slowdown(0.9, 1.0) == 1.0  # never "faster than the CPU it used"
    assert forked.slowdown(100.0, 1.0) == forked.MAX_SLOWDOWN
    assert forked.slowdown(1.0, 0.01) == 1.0  # too short a sample to tell
    assert split.parts(3000, 300, 18.0, slowdown=3.0) > split.parts(3000, 300, 18.0) == 1


def test_a_vroom_run_past_its_deadline_is_given_up_and_its_process_is_gone():
    import multiprocessing as mp

    from backend.dispatch.optimize import forked

    small = build(q.generate("mixed", 40, 4, seed=2).problem())
    answer = forked.run_until(
        lambda: run(to_vroom(small, set(range(len(small.jobs)))), 2, 1, 1.0),
        time.perf_counter() + 30,
    )
    assert answer is not None and answer["routes"]  # an answer in time comes back whole
    big = build(q.generate("mixed", 1500, 150, seed=2, n_regions=24).problem())
    started = time.perf_counter()
    late = forked.run_until(  # VROOM's construction alone takes seconds here
        lambda: run(to_vroom(big, set(range(len(big.jobs)))), 2, 1, 0.01),
        started + 0.3,
    )
    assert late is None
    assert time.perf_counter() - started < 1.5
    assert mp.active_children() == []


@pytest.mark.slow
def test_a_region_sized_plan_keeps_its_budget_on_a_machine_other_processes_keep_busy():
    """Issue #19: the budget held on a quiet machine, but beside busy processes VROOM's
    construction (which ignores its timeout) ran past the whole plan's budget: 2,000 x 200
    with 4 s answered after 7.8 s beside four busy processes, 3,000 x 300 with 60 s after
    74-84 s. Real processes keep both cores busy here."""
    inst = q.generate("mixed", 2000, 200, seed=1, n_regions=24)
    problem = inst.problem()
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    try:
        started = time.perf_counter()
        plan = opt.solve(problem, budget_s=5.0)
        took = time.perf_counter() - started
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    assert took <= 5.0 + 1.5, took
    routes = {r.engineer_id: [s.task_id for s in r.stops] for r in plan.routes}
    assert qualified_everywhere(inst, routes)
    assert sum(map(len, routes.values())) + len(plan.unassigned) == 2000
    assert sum(map(len, routes.values())) > 0
