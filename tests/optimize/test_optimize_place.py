"""Pass 2 (``dispatch.optimize.place``): the tickets VROOM could not fit on their SLA windows,
added to the plan without dropping one already there or turning one late."""

from __future__ import annotations

from backend.dispatch.optimize import rules
from backend.dispatch.optimize.place import place
from tests.optimize.plans import random_problem


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
        starts = rules.schedule(p, v, r)
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
    assert all(rules.schedule(p, v, r) is not None for v, r in enumerate(got))
