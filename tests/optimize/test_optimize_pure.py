"""Pure tests of the batch optimizer: problem build, two passes, decode, unassigned reasons,
pinned jobs. No database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.dispatch.optimize import solver as opt
from backend.dispatch.optimize import vroom as ov
from backend.dispatch.travel import estimate

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
BERLIN = (13.40, 52.52)


def eng(
    eid: str = "e1",
    *,
    start=BERLIN,
    hours: float = 9,
    skills=("hvac",),
    regions=("r1",),
    max_tasks: int = 6,
    status: str = "available",
    on_shift: bool = True,
) -> opt.Engineer:
    return opt.Engineer(
        id=eid,
        start=start,
        available_from=NOW if on_shift else None,
        shift_end=NOW + timedelta(hours=hours) if on_shift else None,
        skills=frozenset(skills),
        regions=frozenset(regions),
        max_tasks=max_tasks,
        status=status,
    )


def task(
    tid: str,
    *,
    loc=(13.42, 52.53),
    priority: str = "P3",
    due_h: float = 24,
    service_min: float = 60,
    skills=("hvac",),
    regions=("r1",),
    pinned_to=None,
) -> opt.Task:
    return opt.Task(
        id=tid,
        location=loc,
        priority=priority,
        deadline=NOW + timedelta(hours=due_h),
        service_s=int(service_min * 60),
        skills=frozenset(skills),
        regions=frozenset(regions),
        pinned_to=pinned_to,
    )


def solve(engineers, tasks, **kw) -> opt.Plan:
    return opt.solve(opt.Problem(engineers, tasks, NOW, speed_kmh=40, detour=1.3), **kw)


def stops(plan: opt.Plan) -> dict[str, str]:
    return {s.task_id: r.engineer_id for r in plan.routes for s in r.stops}


def reasons(plan: opt.Plan) -> dict[str, str]:
    return {u.task_id: u.reason for u in plan.unassigned}


def test_matrix_matches_the_online_travel_function():
    a, b, c = (13.40, 52.52), (13.50, 52.60), (18.95, 69.65)  # Berlin x2, Tromso
    km, sec = opt.travel_matrices([a, b, c], 40, 1.3)
    for i, j, p, q in ((0, 1, a, b), (1, 2, b, c), (0, 2, a, c)):
        ref = estimate(p, q, speed_kmh=40, detour=1.3)
        assert km[i, j] == pytest.approx(ref.road_m / 1000, rel=1e-9)
        assert sec[i, j] / 60 == pytest.approx(ref.minutes, rel=1e-9)
    assert km[0, 0] == 0 and km[0, 1] == km[1, 0]


def test_territories_are_any_of_encoded_as_one_skill_per_region_set():
    engineers = [eng("a", regions=("r1",)), eng("b", regions=("r2",)), eng("c", regions=("r3",))]
    tasks = [task("t1", regions=("r1", "r2")), task("t2", regions=("r3",))]
    built = opt.build(opt.Problem(engineers, tasks, NOW))
    classes = built.territory_ids
    assert set(classes) == {frozenset({"r1", "r2"}), frozenset({"r3"})}
    both = classes[frozenset({"r1", "r2"})]
    assert both in ov.vehicle_skills(built, 0) and both in ov.vehicle_skills(built, 1)
    assert both not in ov.vehicle_skills(built, 2)
    assert ov.job_skills(built, tasks[0]) == {built.skill_ids["hvac"], both}


def test_plan_orders_stops_with_etas_travel_and_service():
    near, far = (13.41, 52.52), (13.60, 52.52)
    plan = solve([eng()], [task("far", loc=far), task("near", loc=near)])
    (route,) = [r for r in plan.routes if r.stops]
    assert [s.task_id for s in route.stops] == ["near", "far"]
    first, second = route.stops
    leg = estimate(BERLIN, near, speed_kmh=40, detour=1.3)
    assert first.travel_km == pytest.approx(leg.road_m / 1000, rel=1e-6)
    assert (first.eta - NOW).total_seconds() == pytest.approx(leg.minutes * 60, abs=1)
    assert first.finish - first.start == timedelta(hours=1)
    assert second.eta >= first.finish
    assert route.travel_km == pytest.approx(first.travel_km + second.travel_km, abs=1e-3)
    body = plan.to_dict()
    assert body["summary"]["assigned"] == 2 and body["summary"]["breaches"] == 0
    assert body["routes"][0]["tickets"][0]["ticket_id"] == "near"


def test_skills_decide_who_goes():
    engineers = [eng("elec", skills=("electrical",)), eng("hvac", skills=("hvac",))]
    plan = solve(engineers, [task("t1", skills=("electrical",)), task("t2", skills=("hvac",))])
    assert stops(plan) == {"t1": "elec", "t2": "hvac"}


def test_unassigned_reasons_are_ours():
    engineers = [
        eng("a", skills=("hvac",), regions=("r1",)),
        eng("b", skills=("electrical",), regions=("r1",)),
        eng("off", skills=("lifts",), regions=("r1",), on_shift=False),
        eng("full", skills=("boilers",), regions=("r1",), max_tasks=0),
        eng("away", skills=("gas",), regions=("r1",), status="off_duty"),
    ]
    tasks = [
        task("nowhere", regions=()),
        task("other-region", regions=("r9",)),
        task("no-skill", skills=("plumbing",)),
        task("split-skills", skills=("hvac", "electrical")),
        task("off-shift", skills=("lifts",)),
        task("at-capacity", skills=("boilers",)),
        task("off-duty", skills=("gas",)),
    ]
    got = reasons(solve(engineers, tasks))
    assert got == {
        "nowhere": "outside_all_regions",
        "other-region": "not_in_region",
        "no-skill": "missing_skill:plumbing",
        "split-skills": "missing_skill:electrical+hvac",
        "off-shift": "off_shift",
        "at-capacity": "at_capacity",
        "off-duty": "status:off_duty",
    }


def test_shift_too_short_and_capacity_reasons():
    # 2.5 h shift, 3 h job: never fits -> shift; three 1 h jobs for max_tasks=2 -> capacity.
    plan = solve(
        [eng(hours=2.5, max_tasks=2)],
        [task("long", service_min=180), task("a"), task("b"), task("c")],
    )
    got = reasons(plan)
    assert got.pop("long") == "shift"
    assert list(got.values()) == ["capacity"]
    assert sum(len(r.stops) for r in plan.routes) == 2


def test_second_pass_places_late_jobs_and_counts_breaches():
    # Both due within 70 min, 60 min each: one meets its SLA, the other is placed late.
    plan = solve(
        [eng()],
        [task("p1", priority="P1", due_h=70 / 60), task("p4", priority="P4", due_h=70 / 60)],
    )
    assert plan.passes == 2
    by_id = {s.task_id: s for r in plan.routes for s in r.stops}
    assert by_id["p1"].breach_min == 0 and by_id["p1"].sla_pass == 1
    assert by_id["p4"].breach_min > 0 and by_id["p4"].sla_pass == 2
    assert plan.breaches == 1 and not plan.unassigned


def test_already_late_ticket_is_planned_in_pass_two():
    plan = solve([eng()], [task("late", due_h=-1)])
    (stop,) = [s for r in plan.routes for s in r.stops]
    assert stop.breach_min >= 60 and stop.sla_pass == 2


def test_pinned_tickets_stay_with_their_engineer():
    near_b = (13.70, 52.52)
    engineers = [eng("a", max_tasks=1), eng("b", start=near_b)]
    # The pinned ticket sits next to b, yet stays with a (a accepted it); a has one slot left,
    # so the free ticket at a's doorstep must go to b.
    tasks = [task("pinned", loc=near_b, pinned_to="a"), task("free", loc=(13.401, 52.52))]
    plan = solve(engineers, tasks)
    assert stops(plan) == {"pinned": "a", "free": "b"}
    (pinned,) = [s for r in plan.routes for s in r.stops if s.task_id == "pinned"]
    assert pinned.pinned


def test_pinned_to_an_engineer_off_shift_is_reported():
    plan = solve([eng("a", on_shift=False), eng("b")], [task("p", pinned_to="a")])
    assert reasons(plan) == {"p": "off_shift"} and not stops(plan)


def test_priorities_win_when_capacity_is_short():
    plan = solve([eng(max_tasks=1)], [task("p4", priority="P4"), task("p1", priority="P1")])
    assert stops(plan) == {"p1": "e1"} and reasons(plan) == {"p4": "capacity"}


def test_empty_problems():
    assert solve([], [task("t")]).unassigned[0].reason == "not_in_region"
    plan = solve([eng()], [])
    assert plan.to_dict()["summary"] == {
        "assigned": 0,
        "unassigned": 0,
        "breaches": 0,
        "window_breaches": 0,
        "travel_km": 0,
        "solve_s": plan.to_dict()["summary"]["solve_s"],
        "passes": 0,
    }
