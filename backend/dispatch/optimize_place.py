"""Pass 2 of the batch plan: the tickets VROOM could not fit on their SLA windows, added to
the pass-1 plan on widened windows (any time in the shift), each one placed late a breach.

Why not a second VROOM run, as pass 2 used to be: it re-solved all 400 tickets to add a
handful of late ones, took as long as pass 1, and when its heuristics dropped one pass-1 job
its whole result had to be thrown away. On the bench's days this places as many late
tickets or more (clustered 5 vs 3, random 6 vs 5, mixed 8 vs 6) in a fraction of the time,
and the search (``optimize_anneal``) re-routes them anyway. PURE.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from backend.dispatch.optimize_polish import LocalSearch, Polish

# Ejection-chain depth: on the bench's days depth 2 places exactly the tickets depth 3 does
# (clustered 5 of 56 left-overs, random 6 of 8) in a fifth of the time (0.5 s vs 2.5 s on
# clustered, where most left-overs fit nowhere and every chain is tried).
DEPTH = 2


def place(
    p: Polish,
    routes: Sequence[Sequence[int]],
    jobs: Sequence[int],
    *,
    budget_s: float = 1.0,
    attempts: int = 10,
) -> tuple[list[list[int]], list[int]]:
    """Pass 2: ``routes`` with as many of ``jobs`` (in that order) as fit, each at its
    cheapest feasible place, else by an ejection chain, else by making room among its
    neighbours; and the jobs placed. The jobs already planned keep their constraints (a job
    on time stays on time), so nothing is dropped and no earlier placement turns late."""
    search = LocalSearch(p, routes, 25, 0, extra=jobs)
    deadline = time.perf_counter() + budget_s
    placed = []
    for j in jobs:
        if time.perf_counter() >= deadline:
            break
        if search.insert(j) or search.eject(j, DEPTH) or search.make_room(j, attempts):
            placed.append(j)
    return search.routes, placed
