"""Shared by the optimizer's pure tests: a random small plan and what any change to a plan must
keep (``optimize.rules``)."""

from __future__ import annotations

import random

import numpy as np

from backend.dispatch.optimize import rules
from backend.dispatch.optimize.solver import travel_matrices


def random_problem(seed: int, nv: int = 4, nj: int = 24) -> tuple[rules.Rules, list[list[int]]]:
    """A random instance and a feasible but poor start: jobs dealt round the engineers."""
    rng = random.Random(seed)
    pts = [(13.4 + rng.uniform(-0.1, 0.1), 52.5 + rng.uniform(-0.06, 0.06)) for _ in range(nv + nj)]
    km, sec = travel_matrices(pts, 40.0, 1.3)
    dur = np.rint(sec).astype(np.int64).tolist()
    allowed = [
        frozenset(v for v in range(nv) if rng.random() < 0.7) or frozenset({0}) for _ in range(nj)
    ]
    p = rules.Rules(
        cost=km.tolist(),
        dur=dur,
        start_s=[0] * nv,
        end_s=[9 * 3600] * nv,
        max_tasks=[9] * nv,
        service_s=[rng.randint(600, 2400) for _ in range(nj)],
        latest=[rules.INF] * nj,
        allowed=allowed,
    )
    routes: list[list[int]] = [[] for _ in range(nv)]
    for j in range(nj):
        for v in sorted(allowed[j], key=lambda v: len(routes[v])):
            if rules.schedule(p, v, routes[v] + [j]) is not None:
                routes[v].append(j)
                break
    # Jobs on time get a window ending a little after their current start: tight SLAs.
    latest = [rules.INF] * nj
    for v, r in enumerate(routes):
        starts = rules.schedule(p, v, r)
        assert starts is not None
        for j, s in zip(r, starts, strict=True):
            if rng.random() < 0.6:
                latest[j] = s + rng.randint(0, 1800)
    p.latest = latest
    return p, routes


def assert_keeps_every_guarantee(p: rules.Rules, routes: list[list[int]], after) -> None:
    """What any search over a plan must keep: every ticket placed, travel no longer, every
    route feasible (allowed engineer, max_tasks, shift end) and every SLA window met."""
    assert sorted(j for r in after for j in r) == sorted(j for r in routes for j in r)
    assert rules.total_cost(p, after) <= rules.total_cost(p, routes) + 1e-9
    for v, r in enumerate(after):
        starts = rules.schedule(p, v, r)
        assert starts is not None  # allowed engineer, max_tasks, shift end
        for j, s in zip(r, starts, strict=True):
            assert s <= p.latest[j]  # a job that met its SLA still meets it
