"""Local improvement of a finished plan: shorter routes under exactly the same constraints.

VROOM's heuristics stop well short of the best routes on a 400 x 50 day when the time budget
is a few seconds. This step takes a plan (after the annealer, ``optimize_anneal``, has
re-routed it) and runs a first-improvement local search on it:
relocate, swap, or-opt (segments of 2-3, either way round), 2-opt inside a route and 2-opt*
(tail exchange) between routes, over granular neighbour lists (each job's nearest jobs and
engineer starts), until no move improves or the time budget runs out.

It is PURE and only ever accepts a move whose result is feasible under the rules the plan was
made with, so it can never make a plan worse:
- every job stays planned (moves only rearrange; nothing is removed);
- a job only goes to an engineer allowed to take it (skills, territory, pin);
- ``max_tasks`` and the shift end (open route: the last job finishes by then) hold;
- a job that met its SLA keeps meeting it (``latest`` = the latest service start), so there
  is never an extra breach; a late job may become on time, never the other way round;
- total travel strictly decreases with every accepted move.

The same insertion machinery (cheapest place, ejection chains, making room) is pass 2
(``optimize_place``): the tickets VROOM could not fit on their SLA windows, added late.

Times use the integer-second matrix VROOM was given, there is no waiting (windows only have
an upper bound), so a route's schedule is its start time plus cumulative travel and service.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

INF = float("inf")
EPS = 1e-7


@dataclass
class Polish:
    """The problem as the local search sees it: points are vehicle starts ``0..nv-1`` then
    jobs ``nv..nv+nj-1``; ``cost`` (km) is the objective, ``dur`` (s) the clock."""

    cost: Sequence[Sequence[float]]
    dur: Sequence[Sequence[int]]
    start_s: Sequence[int]  # per vehicle: when the route starts
    end_s: Sequence[int]  # per vehicle: the last job must finish by then
    max_tasks: Sequence[int]
    service_s: Sequence[int]  # per job
    latest: Sequence[float]  # per job: latest service start (INF: none)
    allowed: Sequence[frozenset[int]]  # per job: vehicles that may take it


def schedule(p: Polish, v: int, route: Sequence[int]) -> list[int] | None:
    """Service start of every job of ``route`` on vehicle ``v``, or None if infeasible."""
    if len(route) > p.max_tasks[v]:
        return None
    nv = len(p.start_s)
    t, prev, starts = p.start_s[v], v, []
    for j in route:
        if v not in p.allowed[j]:
            return None
        t += p.dur[prev][nv + j]
        if t > p.latest[j]:
            return None
        starts.append(t)
        t += p.service_s[j]
        prev = nv + j
    return starts if t <= p.end_s[v] else None


def route_cost(p: Polish, v: int, route: Sequence[int]) -> float:
    nv, prev, total = len(p.start_s), v, 0.0
    for j in route:
        total += p.cost[prev][nv + j]
        prev = nv + j
    return total


def total_cost(p: Polish, routes: Sequence[Sequence[int]]) -> float:
    return sum(route_cost(p, v, r) for v, r in enumerate(routes))


class LocalSearch:
    def __init__(
        self,
        p: Polish,
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
        self.near = self._neighbours(neighbours, set(self.where) | set(extra))

    def _index(self, v: int) -> None:
        for i, j in enumerate(self.routes[v]):
            self.where[j] = (v, i)

    def _neighbours(self, k: int, planned: set[int]) -> list[list[int]]:
        """Per job, the nearest points (jobs and starts of engineers allowed to take it) that
        could follow or precede it in some route."""
        nv, c = self.nv, self.p.cost
        jobs = sorted(planned)
        out: list[list[int]] = []
        for j in range(len(self.p.service_s)):
            if j not in planned or k <= 0:
                out.append([])
                continue
            row = c[nv + j]
            cand = [nv + n for n in jobs if n != j and self.p.allowed[j] & self.p.allowed[n]]
            cand += [v for v in self.p.allowed[j]]
            cand.sort(key=lambda x: row[x])
            out.append(cand[:k])
        return out

    # -- helpers -------------------------------------------------------------------------
    def _pt(self, v: int, route: list[int], i: int) -> int | None:
        """Point at position ``i`` of ``route`` (-1 = the start), None past the end."""
        if i < 0:
            return v
        return self.nv + route[i] if i < len(route) else None

    def _c(self, a: int | None, b: int | None) -> float:
        return 0.0 if a is None or b is None else self.p.cost[a][b]

    def _try(self, changes: dict[int, list[int]], delta: float) -> bool:
        """Apply ``changes`` (vehicle -> new route) if they improve and stay feasible."""
        if delta >= -EPS:
            return False
        for v, r in changes.items():
            if schedule(self.p, v, r) is None:
                return False
        for v, r in changes.items():
            self.routes[v] = r
            self._index(v)
        return True

    # -- moves ---------------------------------------------------------------------------
    def improve_job(self, j: int) -> bool:
        for n in self.near[j]:
            if n < self.nv:
                if self._moves_to_start(j, n):
                    return True
            elif self._moves_near(j, n - self.nv):
                return True
        return False

    def _moves_to_start(self, j: int, v: int) -> bool:
        a, p = self.where[j]
        ra, rv = self.routes[a], self.routes[v]
        if a == v:
            return self._intra(a, p, -1)
        # relocate j to the front of v
        d = self._relocate_delta(a, p, 1) + self._insert_delta(v, -1, [j])
        if self._try({a: ra[:p] + ra[p + 1 :], v: [j, *rv]}, d):
            return True
        # 2-opt*: v starts with a's tail from j, a continues with v's whole route
        d = (
            self._c(v, self.nv + j)
            + self._c(self._pt(a, ra, p - 1), self._pt(v, rv, 0))
            - self._c(self._pt(a, ra, p - 1), self.nv + j)
            - self._c(v, self._pt(v, rv, 0))
        )
        return self._try({a: ra[:p] + rv, v: ra[p:]}, d)

    def _relocate_delta(self, v: int, i: int, length: int) -> float:
        """Travel saved (negative) by cutting ``length`` jobs at position ``i`` out of v."""
        r = self.routes[v]
        before, first = self._pt(v, r, i - 1), self._pt(v, r, i)
        last, after = self._pt(v, r, i + length - 1), self._pt(v, r, i + length)
        inner = sum(
            self._c(self._pt(v, r, k), self._pt(v, r, k + 1)) for k in range(i, i + length - 1)
        )
        return self._c(before, after) - self._c(before, first) - inner - self._c(last, after)

    def _insert_delta(self, v: int, i: int, seg: list[int]) -> float:
        """Extra travel for inserting ``seg`` after position ``i`` of v (-1 = at the front)."""
        r = self.routes[v]
        u, w = self._pt(v, r, i), self._pt(v, r, i + 1)
        pts = [self.nv + j for j in seg]
        inner = sum(self._c(pts[k], pts[k + 1]) for k in range(len(pts) - 1))
        return self._c(u, pts[0]) + inner + self._c(pts[-1], w) - self._c(u, w)

    def _moves_near(self, j: int, n: int) -> bool:
        a, p = self.where[j]
        b, q = self.where[n]
        if a == b:
            return self._intra(a, p, q)
        ra, rb = self.routes[a], self.routes[b]
        nv = self.nv
        # relocate j (and or-opt segments starting at j) after n, or before n
        for length in (1, 2, 3):
            if p + length > len(ra):
                break
            seg = ra[p : p + length]
            cut = self._relocate_delta(a, p, length)
            rest = ra[:p] + ra[p + length :]
            for s in (seg, seg[::-1]) if length > 1 else (seg,):
                for at in (q, q - 1):
                    d = cut + self._insert_delta(b, at, s)
                    if self._try({a: rest, b: rb[: at + 1] + s + rb[at + 1 :]}, d):
                        return True
        # swap j and n
        pa, sa = self._pt(a, ra, p - 1), self._pt(a, ra, p + 1)
        pb, sb = self._pt(b, rb, q - 1), self._pt(b, rb, q + 1)
        jj, nn = nv + j, nv + n
        d = (
            self._c(pa, nn)
            + self._c(nn, sa)
            + self._c(pb, jj)
            + self._c(jj, sb)
            - self._c(pa, jj)
            - self._c(jj, sa)
            - self._c(pb, nn)
            - self._c(nn, sb)
        )
        new_a, new_b = [*ra[:p], n, *ra[p + 1 :]], [*rb[:q], j, *rb[q + 1 :]]
        if self._try({a: new_a, b: new_b}, d):
            return True
        # 2-opt*: j followed by n's tail, and n's predecessor by j's old tail (and mirrored)
        d = self._c(jj, nn) + self._c(pb, sa) - self._c(jj, sa) - self._c(pb, nn)
        if self._try({a: ra[: p + 1] + rb[q:], b: rb[:q] + ra[p + 1 :]}, d):
            return True
        d = self._c(nn, jj) + self._c(pa, sb) - self._c(nn, sb) - self._c(pa, jj)
        return self._try({b: rb[: q + 1] + ra[p:], a: ra[:p] + rb[q + 1 :]}, d)

    def _intra(self, v: int, p: int, q: int) -> bool:
        """Moves inside one route bringing job at ``p`` next to position ``q`` (-1 = start):
        relocate, or-opt and 2-opt (reversal), evaluated on the whole (short) route."""
        r = self.routes[v]
        base = route_cost(self.p, v, r)
        cands: list[list[int]] = []
        for length in (1, 2, 3):
            if p + length > len(r):
                break
            seg = r[p : p + length]
            rest = r[:p] + r[p + length :]
            qq = q if q < p else q - length
            if -1 <= qq < len(rest) and not (p <= q < p + length):
                for s in (seg, seg[::-1]) if length > 1 else (seg,):
                    cands.append(rest[: qq + 1] + s + rest[qq + 1 :])
        lo, hi = (q + 1, p) if q < p else (p + 1, q)
        if hi > lo:
            cands.append(r[:lo] + r[lo : hi + 1][::-1] + r[hi + 1 :])
        for new in cands:
            if new != r and self._try({v: new}, route_cost(self.p, v, new) - base):
                return True
        return False

    # -- insertion, ruin and recreate ---------------------------------------------------
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
            near = [n - nv for n in self.near[j] if n - nv in self.where]
            out = self.rng.sample(near, min(size, len(near)))
            saved = [list(r) for r in self.routes]
            self.remove(out)
            out.sort(key=lambda x: (self.p.latest[x], -self.p.service_s[x]))
            if self.insert(j) and all(self.insert(x) for x in out):
                return True
            self.routes = saved
            self.where = {}
            for v in range(nv):
                self._index(v)
        return False

    def remove(self, jobs: Sequence[int]) -> None:
        drop = set(jobs)
        for v in {self.where[j][0] for j in jobs}:
            self.routes[v] = [j for j in self.routes[v] if j not in drop]
            self._index(v)
        for j in jobs:
            del self.where[j]

    def ruin_recreate(self, deadline: float) -> None:
        """Remove a job and its nearest neighbours, put them back one by one at their
        cheapest feasible place; keep the result only if every job went back and travel
        fell. Gets out of the local optima where every single move hits a full route."""
        jobs = sorted(self.where)
        cost = total_cost(self.p, self.routes)
        nv = self.nv
        while time.perf_counter() < deadline:
            seed = self.rng.choice(jobs)
            size = self.rng.randint(4, 14)
            around = [n - nv for n in self.near[seed] if n - nv in self.where][: size - 1]
            out = [seed, *around]
            saved = [list(r) for r in self.routes]
            self.remove(out)
            self.rng.shuffle(out)
            if self.rng.random() < 0.5:
                out.sort(key=lambda j: self.p.latest[j])
            ok = all(self.insert(j) for j in out)
            new_cost = total_cost(self.p, self.routes) if ok else INF
            if new_cost < cost - EPS:
                cost = new_cost
                continue
            self.routes = saved
            self.where = {}
            for v in range(nv):
                self._index(v)

    def run(self, deadline: float) -> None:
        jobs = list(self.where)
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = False
            self.rng.shuffle(jobs)
            for j in jobs:
                while self.improve_job(j):
                    improved = True
                if time.perf_counter() >= deadline:
                    return


def polish(
    p: Polish,
    routes: Sequence[Sequence[int]],
    *,
    budget_s: float = 2.0,
    neighbours: int = 25,
    seed: int = 0,
    ruin: bool = True,
) -> list[list[int]]:
    """Better routes for the same jobs, or the input unchanged; see the module docstring.

    ``routes[v]`` are job indices in visiting order. The input must itself be feasible (a
    plan VROOM returned is); if it is not, it is returned untouched. ``ruin=False`` is the
    plain descent, for a plan the annealer (``optimize_anneal``) already ruined and
    recreated far longer than this could."""
    if any(schedule(p, v, r) is None for v, r in enumerate(routes) if r):
        return [list(r) for r in routes]
    search = LocalSearch(p, routes, neighbours, seed)
    started = time.perf_counter()
    if ruin:
        search.run(started + budget_s * 0.3)
        search.ruin_recreate(started + budget_s * 0.85)
    search.run(started + budget_s)
    out = search.routes
    # Belt and braces: every move was checked, but the result is what users get.
    assert sorted(j for r in out for j in r) == sorted(j for r in routes for j in r)
    assert all(schedule(p, v, r) is not None for v, r in enumerate(out) if r)
    return out
