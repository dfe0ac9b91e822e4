"""Plan quality of the dispatch methods on seeded instances (docs/dispatch.md, "Benchmarks").

Generator (seeded): a ~30 x 28 km city around Berlin cut into Voronoi territories (tickets
near a border lie in both cells, so regions overlap); E engineers with 1-3 of 6 skills, a
territory (their cell, often a neighbour too), a start point, an 8.5 h shift starting now or
up to an hour later, and some existing load (0-2 jobs still to finish: later start, fewer
slots); N tickets that arrived over the last hours, P1-P4 (10/20/40/30 %) with 4/8/24/72 h
SLAs, lognormal service times (median 40 min), 60 % needing one skill; layouts clustered
(Solomon C-like), random (R) and mixed (RC). Windowed days (``windowed`` > 0): that share of
the tickets is planned work booked into a two-hour arrival window (earliest and latest start)
opening between one and six hours into the day, P4 with a 72 h SLA, mixed with the repairs.

Methods, all on the same instance and judged by the same simulator (travel = the
dispatcher's haversine x 1.3 at 40 km/h; work in route order, idling only to wait for an
arrival window to open; a job starting after its window is a window breach):

- ``round_robin``: next engineer in turn that is qualified and can still fit the job;
- ``greedy``: nearest available - the qualified engineer whose route currently ends nearest;
- ``online``: D1's single-ticket scorer (``backend.dispatch.scoring``) applied ticket by
  ticket in arrival order, each engineer working their list in priority/deadline order as the
  scorer assumes;
- ``batch``: the optimizer (``backend.dispatch.optimize``): VROOM's two passes, then a few
  seconds of PyVRP with settings tuned for short runs;
- ``reference``: PyVRP, warm-started from the batch plan and run for a long time on the same
  tickets with the same engineer/ticket compatibility, capacities, shifts and the same SLA
  decisions (tickets the batch met keep their SLA window, the others only the shift); two
  runs of PyVRP's default settings side by side (one per core), one warm-started from the
  batch plan and one from scratch, the shorter kept, so a plan stuck in a basin the warm
  run cannot leave still shows as a gap. It isolates routing quality:
  ``gap = batch km / reference km - 1``. A job the batch started in its arrival window
  keeps that window too, and every job waits for its window to open.
"""

from __future__ import annotations

import math
import random
import statistics
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from backend.dispatch.optimize import solver as opt
from backend.dispatch.travel import estimate

SKILLS = ("hvac", "electrical", "plumbing", "refrigeration", "gas", "lifts")
SLA_H = {"P1": 4, "P2": 8, "P3": 24, "P4": 72}
PRIORITY_MIX = (("P1", 0.1), ("P2", 0.2), ("P3", 0.4), ("P4", 0.3))
CENTER = (13.40, 52.52)
HALF = (0.22, 0.125)  # degrees lon/lat: ~30 x 28 km
SPEED_KMH, DETOUR = 40.0, 1.3
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LAYOUTS = ("clustered", "random", "mixed")


@dataclass
class Instance:
    name: str
    engineers: list[opt.Engineer]
    tasks: list[opt.Task]  # in arrival order
    now: datetime = NOW

    def problem(self) -> opt.Problem:
        return opt.Problem(self.engineers, self.tasks, self.now, SPEED_KMH, DETOUR)


def _pick_priority(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for p, share in PRIORITY_MIX:
        acc += share
        if x < acc:
            return p
    return "P4"


def generate(
    layout: str,
    n_tickets: int,
    n_engineers: int,
    seed: int,
    n_regions: int = 8,
    windowed: float = 0.0,
):
    rng = random.Random(f"{layout}-{n_tickets}-{n_engineers}-{seed}")
    # Its own stream, so a day without windows is the day it always was.
    wrng = random.Random(f"windows-{layout}-{n_tickets}-{n_engineers}-{seed}")
    kx = math.cos(math.radians(CENTER[1]))

    def uniform() -> tuple[float, float]:
        return (
            CENTER[0] + rng.uniform(-HALF[0], HALF[0]),
            CENTER[1] + rng.uniform(-HALF[1], HALF[1]),
        )

    sites = [uniform() for _ in range(n_regions)]

    def nearest(p: tuple[float, float]) -> list[tuple[float, int]]:
        d = [(math.hypot((p[0] - s[0]) * kx, p[1] - s[1]), i) for i, s in enumerate(sites)]
        return sorted(d)

    def cells(p: tuple[float, float]) -> frozenset[str]:
        (d1, c1), (d2, c2) = nearest(p)[:2]
        return frozenset({f"r{c1}", f"r{c2}"} if d2 < 1.1 * d1 else {f"r{c1}"})

    engineers = []
    for i in range(n_engineers):
        home = uniform()
        (_, c1), (_, c2) = nearest(home)[:2]
        regions = {f"r{c1}"} | ({f"r{c2}"} if rng.random() < 0.5 else set())
        load = rng.choice((0, 0, 1, 2))
        start = NOW + timedelta(minutes=rng.choice((0, 0, 30, 60)))
        engineers.append(
            opt.Engineer(
                id=f"e{i:03d}",
                start=home,
                available_from=start + timedelta(minutes=45 * load),
                shift_end=start + timedelta(hours=8.5),
                skills=frozenset(rng.sample(SKILLS, rng.randint(1, 3))),
                regions=frozenset(regions),
                max_tasks=10 - load,
            )
        )
    centres = [uniform() for _ in range(6)]
    tasks = []
    for j in range(n_tickets):
        clustered = layout == "clustered" or (layout == "mixed" and j % 2 == 0)
        if clustered:
            c = rng.choice(centres)
            loc = (c[0] + rng.gauss(0, 0.025), c[1] + rng.gauss(0, 0.015))
        else:
            loc = uniform()
        prio = _pick_priority(rng)
        created = NOW - timedelta(minutes=rng.uniform(0, 180))
        service = min(150.0, max(15.0, rng.lognormvariate(math.log(40), 0.45)))
        window = None
        if windowed and wrng.random() < windowed:  # planned work, booked for today
            opens = NOW + timedelta(minutes=wrng.choice(range(60, 361, 30)))
            window, prio = (opens, opens + timedelta(hours=2)), "P4"
        tasks.append(
            opt.Task(
                id=f"t{j:04d}",
                location=loc,
                priority=prio,
                deadline=created + timedelta(hours=SLA_H[prio]),
                service_s=int(service * 60),
                skills=frozenset({rng.choice(SKILLS)} if rng.random() < 0.6 else ()),
                regions=cells(loc),
                window=window,
            )
        )
    tasks.sort(key=lambda t: t.deadline - timedelta(hours=SLA_H[t.priority]))  # arrival order
    name = f"{layout}-{n_tickets}x{n_engineers}-s{seed}"
    if windowed:
        name += f"-w{round(windowed * 100)}"
    return Instance(name, engineers, tasks)


def qualified(e: opt.Engineer, t: opt.Task, now: datetime) -> bool:
    return opt.usable(e, now) and bool(t.regions & e.regions) and t.skills <= e.skills


def _minutes(a: tuple[float, float], b: tuple[float, float]) -> float:
    return estimate(a, b, speed_kmh=SPEED_KMH, detour=DETOUR).minutes


# --- the simulator every method is judged by ------------------------------------------------


def evaluate(inst: Instance, routes: dict[str, list[str]], seconds: float) -> dict[str, Any]:
    tasks = {t.id: t for t in inst.tasks}
    km = breaches = breach_min = overruns = window_breaches = windowed = 0.0
    late_by_p = {p: 0 for p in SLA_H}
    loads = []
    for e in inst.engineers:
        ids = routes.get(e.id, [])
        loads.append(len(ids))
        if not ids:
            continue
        assert e.available_from is not None and e.shift_end is not None
        t_now, here = max(e.available_from, inst.now), e.start
        for tid in ids:
            t = tasks[tid]
            trip = estimate(here, t.location, speed_kmh=SPEED_KMH, detour=DETOUR)
            km += trip.road_m / 1000
            t_now += timedelta(minutes=trip.minutes)
            if t.window is not None:
                windowed += 1
                t_now = max(t_now, t.window[0])  # wait for the window to open
                window_breaches += t_now > t.window[1]
            t_now += timedelta(seconds=t.service_s)
            here = t.location
            if t.deadline is not None and t_now > t.deadline:
                breaches += 1
                late_by_p[t.priority] += 1
                breach_min += (t_now - t.deadline).total_seconds() / 60
            if t_now > e.shift_end:
                overruns += 1
    assigned = {tid for ids in routes.values() for tid in ids}
    unassigned = {p: 0 for p in SLA_H}
    for t in inst.tasks:
        if t.id not in assigned:
            unassigned[t.priority] += 1
    return {
        "travel_km": round(km, 1),
        "assigned": len(assigned),
        "km_per_job": round(km / max(1, len(assigned)), 2),
        "breaches": int(breaches),
        "breach_min": round(breach_min),
        "breaches_by_p": late_by_p,
        "unassigned": sum(unassigned.values()),
        "unassigned_by_p": unassigned,
        "shift_overruns": int(overruns),
        "window_breaches": int(window_breaches),
        "windowed": int(windowed),
        "load_max": max(loads) if loads else 0,
        "load_sd": round(statistics.pstdev(loads), 2) if loads else 0.0,
        "seconds": round(seconds, 3),
    }


# --- baselines ------------------------------------------------------------------------------


@dataclass
class _State:
    at: datetime
    here: tuple[float, float]
    jobs: list[str]


def _states(inst: Instance) -> dict[str, _State]:
    return {
        e.id: _State(max(e.available_from, inst.now), e.start, [])
        for e in inst.engineers
        if opt.usable(e, inst.now) and e.available_from is not None
    }


def _fits(e: opt.Engineer, s: _State, t: opt.Task) -> datetime | None:
    """When the job would finish if appended to ``e``'s route, or None if it cannot."""
    if len(s.jobs) >= e.max_tasks or e.shift_end is None:
        return None
    arrive = s.at + timedelta(minutes=_minutes(s.here, t.location))
    if t.window is not None:
        arrive = max(arrive, t.window[0])
    finish = arrive + timedelta(seconds=t.service_s)
    return finish if finish <= e.shift_end else None


def round_robin(inst: Instance) -> dict[str, list[str]]:
    states, order = _states(inst), [e for e in inst.engineers if e.id in _states(inst)]
    turn = 0
    for t in inst.tasks:
        for k in range(len(order)):
            e = order[(turn + k) % len(order)]
            s = states[e.id]
            finish = _fits(e, s, t) if qualified(e, t, inst.now) else None
            if finish is not None:
                s.at, s.here = finish, t.location
                s.jobs.append(t.id)
                turn = (turn + k + 1) % len(order)
                break
    return {eid: s.jobs for eid, s in states.items()}


def greedy(inst: Instance) -> dict[str, list[str]]:
    states = _states(inst)
    for t in inst.tasks:
        best = None
        for e in inst.engineers:
            if e.id not in states or not qualified(e, t, inst.now):
                continue
            s = states[e.id]
            finish = _fits(e, s, t)
            if finish is None:
                continue
            key = (_minutes(s.here, t.location), s.at)
            if best is None or key < best[0]:
                best = (key, e, finish)
        if best is not None:
            _, e, finish = best
            s = states[e.id]
            s.at, s.here = finish, t.location
            s.jobs.append(t.id)
    return {eid: s.jobs for eid, s in states.items()}


def online(inst: Instance) -> dict[str, list[str]]:
    """D1's pure scorer, ticket by ticket; lists worked in priority, then deadline order."""
    import uuid

    from backend.dispatch import scoring
    from backend.dispatch.settings import DispatchSettings
    from backend.dispatch.shifts import Shift

    settings = DispatchSettings(speed_kmh=SPEED_KMH, detour=DETOUR)
    ids = {e.id: uuid.uuid5(uuid.NAMESPACE_URL, e.id) for e in inst.engineers}
    region_ids = {r: uuid.uuid5(uuid.NAMESPACE_URL, r) for e in inst.engineers for r in e.regions}
    region_ids |= {r: uuid.uuid5(uuid.NAMESPACE_URL, r) for t in inst.tasks for r in t.regions}
    queues: dict[str, list[opt.Task]] = {e.id: [] for e in inst.engineers}
    by_uuid = {ids[e.id]: e for e in inst.engineers}
    for t in inst.tasks:
        facts = scoring.TicketFacts(
            ticket_id=uuid.uuid5(uuid.NAMESPACE_URL, t.id),
            priority=t.priority,
            required_skills=t.skills,
            region_ids=frozenset(region_ids[r] for r in t.regions),
            location=t.location,
            resolve_by=t.deadline or inst.now + timedelta(days=3),
            window_start=t.window[0] if t.window else None,
            window_end=t.window[1] if t.window else None,
        )
        verdicts = []
        for e in inst.engineers:
            if e.available_from is None or e.shift_end is None:
                continue
            shift = Shift("UTC", tuple(range(7)), e.available_from.time(), e.shift_end.time())
            engineer = scoring.EngineerFacts(
                engineer_id=ids[e.id],
                name=e.id,
                status=e.status,
                skills=e.skills,
                region_ids=frozenset(region_ids[r] for r in e.regions),
                shift=shift,
                max_open_jobs=e.max_tasks,
                location=e.start,
                location_source="home",
                open_jobs=tuple(
                    scoring.OpenJob(q.priority, q.deadline or inst.now) for q in queues[e.id]
                ),
            )
            now = max(inst.now, e.available_from)
            verdicts.append(scoring.evaluate(facts, engineer, now, settings))
        chosen = next((v for v in scoring.rank(verdicts) if v.eligible), None)
        if chosen is not None:
            queues[by_uuid[chosen.engineer_id].id].append(t)
    return {
        eid: [t.id for t in sorted(q, key=lambda t: (t.priority, t.deadline or inst.now))]
        for eid, q in queues.items()
    }


def batch(inst: Instance) -> tuple[dict[str, list[str]], opt.Plan]:
    plan = opt.solve(inst.problem())
    return {r.engineer_id: [s.task_id for s in r.stops] for r in plan.routes}, plan


# --- the PyVRP reference ---------------------------------------------------------------------

BIG = 10**8  # metres: a ticket the engineer may not take


def reference(inst: Instance, plan: opt.Plan, seconds: float, seed: int = 1) -> dict[str, Any]:
    """The best of two long PyVRP runs in parallel: from the batch plan, and from scratch."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_reference_to, args=(send, inst, plan, seconds, seed + 1))
    child.start()
    send.close()
    mine = _reference(inst, plan, seconds, seed, warm_start=True)
    theirs = recv.recv() if recv.poll(seconds + 60) else None
    child.join(5)
    runs = [r for r in (mine, theirs) if r is not None and r["feasible"]] or [mine]
    best = min(runs, key=lambda r: r["km"])
    kms = {"from_batch_km": mine["km"], "from_scratch_km": theirs["km"] if theirs else None}
    seconds_ = max(r["seconds"] for r in (mine, theirs) if r is not None)
    return {**best, **kms, "seconds": seconds_}


def _reference_to(conn: Any, inst: Instance, plan: opt.Plan, seconds: float, seed: int) -> None:
    try:
        conn.send(_reference(inst, plan, seconds, seed, warm_start=False))
    finally:
        conn.close()


def _reference(
    inst: Instance, plan: opt.Plan, seconds: float, seed: int, warm_start: bool
) -> dict[str, Any]:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    # Built from the instance, not with the product's ``optimize.pyvrp.to_pyvrp``: a
    # modelling slip there (who may take what, windows) must not be repeated here unseen.
    met = {s.task_id for r in plan.routes for s in r.stops if s.breach_min <= 0}
    in_window = {s.task_id for r in plan.routes for s in r.stops if s.window_breach_min <= 0}
    chosen = [t for t in inst.tasks if t.id in {s.task_id for r in plan.routes for s in r.stops}]
    vehicles = [e for e in inst.engineers if opt.usable(e, inst.now)]
    nv = len(vehicles)
    points = [e.start for e in vehicles] + [t.location for t in chosen]
    km, sec = opt.travel_matrices(points, SPEED_KMH, DETOUR)
    dist = np.rint(km * 1000).astype(np.int64)
    dur = np.rint(sec).astype(np.int64)
    dist[:, :nv] = 0  # open routes: the day ends at the last job
    dur[:, :nv] = 0
    profiles: dict[frozenset[int], int] = {}
    matrices: list[np.ndarray] = []
    vtypes = []
    for i, e in enumerate(vehicles):
        pin = {j for j, t in enumerate(chosen) if t.pinned_to == e.id}
        allowed = frozenset(
            j
            for j, t in enumerate(chosen)
            if (t.pinned_to == e.id) or (t.pinned_to is None and qualified(e, t, inst.now))
        ) | frozenset(pin)
        if allowed not in profiles:
            m = dist.copy()
            banned = [nv + j for j in range(len(chosen)) if j not in allowed]
            m[:, banned] = BIG
            np.fill_diagonal(m, 0)
            profiles[allowed] = len(matrices)
            matrices.append(m)
        assert e.available_from is not None and e.shift_end is not None
        t0 = int((max(e.available_from, inst.now) - inst.now).total_seconds())
        t1 = int((e.shift_end - inst.now).total_seconds())
        vtypes.append(
            pyvrp.VehicleType(
                1,
                capacity=[e.max_tasks],
                start_depot=i,
                end_depot=i,
                tw_early=t0,
                tw_late=t1,
                start_late=t0,
                profile=profiles[allowed],
                unit_distance_cost=1,
            )
        )
    clients = []
    for j, t in enumerate(chosen):
        late, early = 10**9, 0
        if t.id in met and t.deadline is not None:
            late = int((t.deadline - inst.now).total_seconds()) - t.service_s
        if t.window is not None:
            early = max(0, int((t.window[0] - inst.now).total_seconds()))
            if t.id in in_window:
                late = min(late, int((t.window[1] - inst.now).total_seconds()))
        clients.append(
            pyvrp.Client(
                nv + j,
                delivery=[1],
                service_duration=t.service_s,
                tw_early=min(early, late),
                tw_late=late,
            )
        )
    data = pyvrp.ProblemData(
        [pyvrp.Location(p[0], p[1]) for p in points],
        clients,
        [pyvrp.Depot(i) for i in range(nv)],
        vtypes,
        matrices,
        [dur] * len(matrices),
    )
    index = {t.id: j for j, t in enumerate(chosen)}
    vidx = {e.id: i for i, e in enumerate(vehicles)}
    warm = [
        pyvrp.Route(
            data,
            [pyvrp.Activity(pyvrp.ActivityType.CLIENT, index[s.task_id]) for s in r.stops],
            vidx[r.engineer_id],
        )
        for r in plan.routes
        if r.stops
    ]
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PenaltyBoundWarning: the result is checked below
        result = pyvrp.solve(
            data,
            MaxRuntime(seconds),
            seed=seed,
            collect_stats=False,
            initial_solution=pyvrp.Solution(data, warm) if warm_start else None,
        )
    elapsed = time.perf_counter() - started
    best = result.best
    routes: dict[str, list[str]] = {}
    for route in best.routes():
        e = vehicles[route.vehicle_type()]
        routes[e.id] = [chosen[a.idx].id for a in route if a.is_client()]
    ok = best.is_feasible() and best.distance() < BIG
    km = best.distance() / 1000 if ok else math.inf
    return {"routes": routes, "feasible": ok, "seconds": elapsed, "km": km}
