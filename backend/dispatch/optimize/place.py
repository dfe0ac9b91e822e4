"""Pass 2 of the batch plan: the tickets VROOM could not fit on their SLA windows, added to
the pass-1 plan on widened windows (any time in the shift), each one placed late a breach.

Why not a second VROOM run, as pass 2 used to be: it re-solved all 400 tickets to add a
handful of late ones, took as long as pass 1, and when its heuristics dropped one pass-1 job
its whole result had to be thrown away. On the bench's days this places as many late
tickets or more (clustered 5 vs 3, random 6 vs 5, mixed 8 vs 6) in a fraction of the time,
and the search (``optimize.pyvrp``) re-routes them anyway. PURE.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from backend.dispatch.optimize.rules import Rules, schedule

# Ejection-chain depth: on the bench's days depth 2 places exactly the tickets depth 3 does
# (clustered 5 of 56 left-overs, random 6 of 8) in a fifth of the time (0.5 s vs 2.5 s on
# clustered, where most left-overs fit nowhere and every chain is tried).
DEPTH = 2


class Inserter:
    """A plan being added to: cheapest insertion, ejection chains, making room; every change
    checked with ``schedule``, so the plan stays feasible throughout."""

    def __init__(
        self,
        p: Rules,
        routes: Sequence[Sequence[int]],
        neighbours: int,
        seed: int,
        extra: Sequence[int] = (),
    ):
        self.p = p
        self.nv = len(p.start_s)
        self.routes = [list(r) for r in routes]
        self.where: dict[int, tuple[int, int]] = {}
        for v in range(self.nv):
            self._index(v)
        self.rng = random.Random(seed)
        self._k = neighbours
        self._known = set(self.where) | set(extra)
        self._planned = sorted(self._known)
        self._near: dict[int, list[int]] = {}

    def _index(self, v: int) -> None:
        for i, j in enumerate(self.routes[v]):
            self.where[j] = (v, i)

    def near(self, j: int) -> list[int]:
        """The nearest points to job ``j`` (jobs and starts of engineers allowed to take it)
        that could follow or precede it in some route. Computed when first asked for: only
        ``make_room`` needs them, for the few jobs that fit nowhere, and computing them for
        every job up front took 3 s at 3,000 x 300 (pass 2 has 1 s)."""
        if j not in self._near:
            if j not in self._known or self._k <= 0:
                return []
            nv, row, mine = self.nv, self.p.cost[self.nv + j], self.p.allowed[j]
            cand = [nv + n for n in self._planned if n != j and mine & self.p.allowed[n]]
            cand += [v for v in mine]
            cand.sort(key=lambda x: row[x])
            self._near[j] = cand[: self._k]
        return self._near[j]

    def _pt(self, v: int, route: list[int], i: int) -> int | None:
        """Point at position ``i`` of ``route`` (-1 = the start), None past the end."""
        if i < 0:
            return v
        return self.nv + route[i] if i < len(route) else None

    def _c(self, a: int | None, b: int | None) -> float:
        return 0.0 if a is None or b is None else self.p.cost[a][b]

    def _insert_delta(self, v: int, i: int, seg: list[int]) -> float:
        """Extra travel for inserting ``seg`` after position ``i`` of v (-1 = at the front)."""
        r = self.routes[v]
        u, w = self._pt(v, r, i), self._pt(v, r, i + 1)
        pts = [self.nv + j for j in seg]
        inner = sum(self._c(pts[k], pts[k + 1]) for k in range(len(pts) - 1))
        return self._c(u, pts[0]) + inner + self._c(pts[-1], w) - self._c(u, w)

    def insert(self, j: int) -> bool:
        """Put job ``j`` where it adds least travel among the feasible places."""
        cands = []
        for v in self.p.allowed[j]:
            r = self.routes[v]
            if len(r) >= self.p.max_tasks[v]:
                continue
            for i in range(-1, len(r)):
                cands.append((self._insert_delta(v, i, [j]), v, i))
        cands.sort()
        for _, v, i in cands:
            r = self.routes[v]
            new = [*r[: i + 1], j, *r[i + 1 :]]
            if schedule(self.p, v, new) is not None:
                self.routes[v] = new
                self._index(v)
                return True
        return False

    def _restore(self, saved: list[list[int]]) -> None:
        self.routes = saved
        self.where = {}
        for v in range(self.nv):
            self._index(v)

    def eject(self, j: int, depth: int, width: int = 4) -> bool:
        """Ejection chain: put ``j`` in place of some job ``x`` of an engineer allowed to take
        it, then ``x`` (recursively, ``depth`` links) elsewhere. For tickets whose engineers
        are all full (capacity binds in busy territories)."""
        if self.insert(j):
            return True
        if depth <= 0:
            return False
        owners = sorted(self.p.allowed[j], key=lambda v: self.p.cost[v][self.nv + j])[:width]
        for v in owners:
            victims = sorted(self.routes[v], key=lambda x: self.p.cost[self.nv + x][self.nv + j])[
                :width
            ]
            for x in victims:
                if len(self.p.allowed[x]) < 2:
                    continue
                saved = [list(r) for r in self.routes]
                self.remove([x])
                if self.insert(j) and self.eject(x, depth - 1, width):
                    return True
                self._restore(saved)
        return False

    def make_room(self, j: int, attempts: int) -> bool:
        """Insert ``j`` where it fits nowhere as things stand: take some of its nearest
        planned jobs out, put ``j`` in first, then them back; retried with other sizes."""
        nv = self.nv
        for _ in range(attempts):
            size = self.rng.randint(1, 10)
            near = [n - nv for n in self.near(j) if n - nv in self.where]
            out = self.rng.sample(near, min(size, len(near)))
            saved = [list(r) for r in self.routes]
            self.remove(out)
            out.sort(key=lambda x: (self.p.latest[x], -self.p.service_s[x]))
            if self.insert(j) and all(self.insert(x) for x in out):
                return True
            self._restore(saved)
        return False

    def remove(self, jobs: Sequence[int]) -> None:
        drop = set(jobs)
        for v in {self.where[j][0] for j in jobs}:
            self.routes[v] = [j for j in self.routes[v] if j not in drop]
            self._index(v)
        for j in jobs:
            del self.where[j]


def place(
    p: Rules,
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
    search = Inserter(p, routes, 25, 0, extra=jobs)
    deadline = time.perf_counter() + budget_s
    placed = []
    for j in jobs:
        if time.perf_counter() >= deadline:
            break
        if search.insert(j) or search.eject(j, DEPTH) or search.make_room(j, attempts):
            placed.append(j)
    return search.routes, placed
