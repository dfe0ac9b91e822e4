"""Ruin-and-recreate with simulated-annealing acceptance on a finished plan (SISR-style).

Why this and not more single moves: on a 400 x 50 day most engineers are at ``max_tasks`` or
at the end of their shift and each ticket has a handful of eligible engineers, so nearly
every relocate/swap is blocked, and a descent that only accepts improvements stops at once.
Removing a few *strings* of consecutive jobs from neighbouring routes frees capacity and time
in several routes at the same moment; re-inserting the removed jobs one by one at their
cheapest feasible place (with "blinks": a place is skipped with a small probability) then
performs the multi-route exchanges single moves cannot. Accepting a slightly longer plan now
and then (simulated annealing, the temperature falling to almost nothing by the end of the
budget) lets the search cross the ridges between local optima; the best plan seen is kept.
See Christiaens & Vanden Berghe, "Slack induction by string removals for vehicle routing
problems", Transportation Science 54(2), 2020.

Guarantees (the same as ``optimize_polish``, which owns the constraint model ``Polish``):
every iteration either re-inserts every removed job feasibly - allowed engineer,
``max_tasks``, shift end, the SLA window of each job that had one - or is undone, so no job
is ever dropped and no breach is ever added; the result is the best plan seen, never longer
than the input. The run is bounded by an iteration cap and a wall-clock budget, whichever
ends first, and the temperature follows the nearer of the two: a run the cap ends (a small
plan) is reproducible for a seed; one the clock ends stops where the machine's speed put it.

Speed matters more than elegance here (pure Python): a route keeps, per position, the
finish time and the *slack* - how much later its suffix could run and still keep every SLA
window and the shift end. Since windows only have an upper bound there is no waiting, so a
delay propagates unchanged down the route and an insertion is checked in O(1).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import random
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from backend.dispatch.optimize_polish import INF, Polish, schedule, total_cost

EPS = 1e-7


class Routes:
    """Routes with per-position start/finish times, suffix slack and the cost of the edge
    into each position, for O(1) insertion checks."""

    def __init__(self, p: Polish, routes: Sequence[Sequence[int]]):
        self.p = p
        self.nv = nv = len(p.start_s)
        self.routes = [list(r) for r in routes]
        # Columns of the matrices (cost/duration *to* a job) so the inner loop indexes once.
        npts = nv + len(p.service_s)
        self.cost_to = [[p.cost[i][nv + j] for i in range(npts)] for j in range(len(p.service_s))]
        self.dur_to = [[p.dur[i][nv + j] for i in range(npts)] for j in range(len(p.service_s))]
        self.pts: list[list[int]] = [[] for _ in range(nv)]
        self.fin: list[list[int]] = [[] for _ in range(nv)]
        self.start: list[list[int]] = [[] for _ in range(nv)]
        self.room: list[list[float]] = [[] for _ in range(nv)]
        self.edge: list[list[float]] = [[] for _ in range(nv)]
        self.where: dict[int, int] = {}
        self.cost = [0.0] * nv
        for v in range(nv):
            self.refresh(v)

    def refresh(self, v: int) -> None:
        """Recompute ``v``'s times, slack and cost after its job list changed."""
        p, nv, r = self.p, self.nv, self.routes[v]
        t, prev = p.start_s[v], v
        pts, starts, fins, edges = [], [], [], []
        service, cost_to, dur_to, where = p.service_s, self.cost_to, self.dur_to, self.where
        for j in r:
            t += dur_to[j][prev]
            edges.append(cost_to[j][prev])
            starts.append(t)
            t += service[j]
            fins.append(t)
            prev = nv + j
            pts.append(prev)
            where[j] = v
        # room[i]: the latest start of position i that keeps it and everything after it
        # feasible (start + slack); no waiting, so a delay moves the whole suffix.
        n = len(r)
        room: list[float] = [0.0] * n
        latest = p.latest
        lim = float(p.end_s[v] - t)
        for i in range(n - 1, -1, -1):
            gap = latest[r[i]] - starts[i]
            if gap < lim:
                lim = gap
            room[i] = starts[i] + lim
        self.pts[v], self.start[v], self.fin[v] = pts, starts, fins
        self.room[v], self.edge[v], self.cost[v] = room, edges, sum(edges)

    def slack(self, v: int, i: int) -> float:
        """How much later position ``i`` of ``v`` could start and the route stay feasible."""
        return self.room[v][i] - self.start[v][i]

    def best_insertion(
        self, j: int, vehicles: Sequence[int], rng: random.Random, blink: float
    ) -> tuple[float, int, int] | None:
        """Cheapest feasible (extra km, vehicle, position) for job ``j``, or None.

        Position ``i`` means before the job now at ``i`` (``len(route)``: at the end)."""
        p = self.p
        x = self.nv + j
        c_to, d_to = self.cost_to[j], self.dur_to[j]
        c_from, d_from = p.cost[x], p.dur[x]
        latest, serv = p.latest[j], p.service_s[j]
        max_tasks, start_s, end_s = p.max_tasks, p.start_s, p.end_s
        best: tuple[float, int, int] | None = None
        best_d = INF
        rand = rng.random
        for v in vehicles:
            pts = self.pts[v]
            n = len(pts)
            if n >= max_tasks[v]:
                continue
            s = start_s[v] + d_to[v]
            if s > latest:
                continue
            a = v
            rows = zip(pts, self.room[v], self.fin[v], self.edge[v], strict=True)
            for i, (b, room, fin, edge) in enumerate(rows):
                if s + serv + d_from[b] <= room:
                    d = c_to[a] + c_from[b] - edge
                    if d < best_d and (blink <= 0 or rand() >= blink):
                        best_d, best = d, (d, v, i)
                a = b
                s = fin + d_to[b]
                if s > latest:
                    break  # later positions start even later (triangle inequality)
            else:
                if s + serv <= end_s[v]:
                    d = c_to[a]
                    if d < best_d and (blink <= 0 or rand() >= blink):
                        best_d, best = d, (d, v, n)
        return best

    def insert(self, j: int, v: int, i: int) -> None:
        self.routes[v].insert(i, j)
        self.refresh(v)

    def remove(self, jobs: Sequence[int]) -> None:
        drop = set(jobs)
        touched = {self.where.pop(j) for j in jobs}
        for v in touched:
            self.routes[v] = [j for j in self.routes[v] if j not in drop]
            self.refresh(v)

    def total(self) -> float:
        return sum(self.cost)

    def snapshot(self, vehicles: Sequence[int]) -> list[tuple[int, list[int]]]:
        return [(v, list(self.routes[v])) for v in vehicles]

    def restore(self, saved: Sequence[tuple[int, list[int]]]) -> None:
        for v, r in saved:
            self.routes[v] = list(r)
            self.refresh(v)


class Annealer:
    """SISR: string removal around a random job, greedy re-insertion with blinks, SA."""

    def __init__(
        self,
        p: Polish,
        routes: Sequence[Sequence[int]],
        seed: int,
        *,
        mean_removed: float = 10.0,
        max_string: int = 10,
        neighbours: int = 60,
        blink: float = 0.01,
    ):
        self.p, self.nv = p, len(p.start_s)
        self.state = Routes(p, routes)
        self.rng = random.Random(seed)
        self.mean_removed, self.max_string, self.blink = mean_removed, max_string, blink
        planned = sorted(self.state.where)
        self.jobs = planned
        self.allowed = [tuple(sorted(a)) for a in p.allowed]
        nv = self.nv
        self.near: dict[int, list[int]] = {}
        for j in planned:
            row = p.cost[nv + j]
            self.near[j] = sorted((n for n in planned if n != j), key=lambda n: row[nv + n])[
                :neighbours
            ]

    def ruin(self) -> list[int]:
        """Strings of consecutive jobs from routes near a random seed job."""
        st, rng = self.state, self.rng
        lengths = [len(r) for r in st.routes if r]
        avg = sum(lengths) / max(1, len(lengths))
        ls_max = min(float(self.max_string), avg)
        ks_max = 4.0 * self.mean_removed / (1.0 + ls_max) - 1.0
        k_s = int(rng.uniform(1.0, ks_max + 1.0))
        seed = rng.choice(self.jobs)
        removed: list[int] = []
        ruined: set[int] = set()
        for c in (seed, *self.near[seed]):
            if len(ruined) >= k_s:
                break
            v = st.where.get(c)
            if v is None or v in ruined:
                continue
            r = st.routes[v]
            lt = int(rng.uniform(1.0, min(len(r), ls_max) + 1.0))
            pos = r.index(c)
            first = rng.randint(max(0, pos - lt + 1), min(pos, len(r) - lt))
            removed.extend(r[first : first + lt])
            ruined.add(v)
        return removed

    def order(self, jobs: list[int]) -> None:
        """Re-insertion order, as in SISR: random, tightest first, farthest or closest."""
        rng, p, nv = self.rng, self.p, self.nv
        x = rng.random()
        if x < 4 / 11:
            rng.shuffle(jobs)
        elif x < 8 / 11:
            jobs.sort(key=lambda j: (p.latest[j], len(self.allowed[j])))
        elif x < 10 / 11:
            jobs.sort(key=lambda j: -min(p.cost[v][nv + j] for v in self.allowed[j]))
        else:
            jobs.sort(key=lambda j: min(p.cost[v][nv + j] for v in self.allowed[j]))

    def step(self, temperature: float, current: float) -> float | None:
        """One ruin-and-recreate; the new total if accepted, None if undone."""
        st = self.state
        removed = self.ruin()
        touched = {st.where[j] for j in removed}
        saved = st.snapshot(sorted(touched))
        st.remove(removed)
        self.order(removed)
        for j in removed:
            got = st.best_insertion(j, self.allowed[j], self.rng, self.blink)
            if got is None:
                got = st.best_insertion(j, self.allowed[j], self.rng, 0.0)
            if got is None:
                self.undo(saved)
                return None
            _, v, i = got
            if v not in touched:
                saved.append((v, [k for k in st.routes[v]]))
                touched.add(v)
            st.insert(j, v, i)
        new = st.total()
        threshold = current - temperature * math.log(self.rng.random() or 1e-300)
        if new < threshold:
            return new
        self.undo(saved)
        return None

    def undo(self, saved: Sequence[tuple[int, list[int]]]) -> None:
        st = self.state
        for v, _ in saved:
            for j in st.routes[v]:
                st.where.pop(j, None)
        st.restore(saved)


def anneal(
    p: Polish,
    routes: Sequence[Sequence[int]],
    *,
    budget_s: float = 2.0,
    max_iters: int | None = None,
    seed: int = 0,
    t_start: float = 0.6,
    t_end: float = 0.006,
) -> list[list[int]]:
    """The best plan the annealer finds for the same jobs, or the input when it finds none
    shorter. Temperatures are in units of the plan's mean leg (its km / its jobs), so they
    mean the same in a dense city as in the country: a plan longer by ``d`` km is accepted
    with probability ``exp(-d / T)``. Measured on the bench's days (12,000 iterations, four
    seeds each): starting at 0.6 leg beats 0.3 (too cold to move groups of tickets between
    engineers, which costs before it pays) and 1.2 (too hot to come back down in time, one
    run in four ended where it started). The temperature falls geometrically with the
    clock (``budget_s``) or the iteration count (``max_iters``), whichever is nearer its
    end, and the search stops when either runs out."""
    if any(schedule(p, v, r) is None for v, r in enumerate(routes) if r):
        return [list(r) for r in routes]
    search = Annealer(p, routes, seed)
    if not search.jobs:
        return [list(r) for r in routes]
    current = best_cost = search.state.total()
    best = [list(r) for r in search.state.routes]
    leg = max(current / len(search.jobs), EPS)
    hot, ratio = t_start * leg, t_end / t_start
    started = time.perf_counter()
    it = 0
    while True:
        now = time.perf_counter()
        progress = (now - started) / budget_s if budget_s > 0 else 1.0
        if max_iters is not None:
            progress = max(progress, it / max_iters)
        if progress >= 1.0:
            break
        it += 1
        got = search.step(hot * ratio**progress, current)
        if got is None:
            continue
        current = got
        if current < best_cost - EPS:
            best_cost = current
            best = [list(r) for r in search.state.routes]
    assert sorted(j for r in best for j in r) == sorted(j for r in routes for j in r)
    assert all(schedule(p, v, r) is not None for v, r in enumerate(best) if r)
    assert total_cost(p, best) <= total_cost(p, routes) + EPS
    return best


def _work(conn: Connection, p: Polish, routes: list[list[int]], kw: dict[str, Any]) -> None:
    try:
        conn.send(anneal(p, routes, **kw))
    finally:
        conn.close()


def anneal_parallel(
    p: Polish,
    routes: Sequence[Sequence[int]],
    *,
    workers: int,
    budget_s: float,
    max_iters: int | None = None,
    seed: int = 0,
    rounds: int = 1,
    t_start: float = 0.6,
    t_end: float = 0.006,
) -> list[list[int]]:
    """``workers`` annealers (seeds ``seed``, ``seed + 1``, ...; this process runs the first)
    from the same plan; the shortest result wins. Pure Python uses one core, the machine has
    more, and the result of one run varies by a per cent or two with its seed, so the best
    of two is both better and steadier. With ``rounds`` > 1 the budget and the cooling are
    cut in that many stages and every stage starts all annealers from the previous stage's
    winner. Forked, so nothing is pickled on the way in; a worker that fails or is late is
    ignored (its plan is only a candidate)."""
    best = [list(r) for r in routes]
    if "fork" not in mp.get_all_start_methods():
        workers = 1
    rounds = max(1, rounds)
    ratio = t_end / t_start
    for k in range(rounds):
        hot, cold = t_start * ratio ** (k / rounds), t_start * ratio ** ((k + 1) / rounds)
        kw: dict[str, Any] = {
            "budget_s": budget_s / rounds,
            "max_iters": None if max_iters is None else max(1, max_iters // rounds),
            "t_start": hot,
            "t_end": cold,
        }
        best = _race(p, best, workers, seed + k * workers, kw)
    return best


def _race(
    p: Polish, routes: list[list[int]], workers: int, seed: int, kw: dict[str, Any]
) -> list[list[int]]:
    """One stage of ``anneal_parallel``: the best of ``workers`` annealers from ``routes``."""
    if workers <= 1:
        return anneal(p, routes, seed=seed, **kw)
    ctx = mp.get_context("fork")
    started = time.perf_counter()
    children = []
    for k in range(1, workers):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_work, args=(send, p, routes, {**kw, "seed": seed + k}), daemon=True
        )
        proc.start()
        send.close()
        children.append((proc, recv))
    results = [anneal(p, routes, seed=seed, **kw)]
    for proc, recv in children:
        wait = max(0.05, kw["budget_s"] * 1.05 - (time.perf_counter() - started))
        try:
            if recv.poll(wait):
                results.append(recv.recv())
        except (EOFError, OSError):
            pass  # the worker died: its plan was only ever a candidate
        finally:
            recv.close()
            proc.join(0.05)
            if proc.is_alive():
                proc.kill()
                proc.join()
    return min(results, key=lambda r: total_cost(p, r))
