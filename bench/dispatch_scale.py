"""Batch plans the size of a region: time, memory and quality from 500 x 50 to 5,000 x 1,000.

    python bench/dispatch_scale.py [--quick] [--sizes 500x50,1000x100] [--reference-s S]
                                   [--stretch] [--memory-mb MB]

Instances come from ``bench/dispatch_quality.generate`` (seeded; 24 territories, so a
region-sized city has as many territories as a real one). Per size, on the same instance:

- ``batch``: the product's plan (``optimize.solve``) with the whole-plan budget the product
  would give it (``BUDGETS``; 60 s at 3,000 x 300) and its default memory budget; run in a
  forked process whose whole tree (the plan and the searches it forks) is sampled every
  0.1 s for memory: ``peak_mb`` counts the plan's RSS plus each forked search's *unique*
  pages (pages a fork shares with its parent are physical memory once);
  ``peak_rss_sum_mb``, the plain sum of RSS over the tree, counts them twice (an upper bound);
- ``greedy``: nearest available (``dispatch_quality.greedy``), the baseline;
- ``reference``: PyVRP on the **whole** instance, no decomposition, warm-started from the
  batch plan with the same tickets and SLA decisions (as ``dispatch_quality.reference``)
  and run for ``--reference-s``. The product's encoding (one matrix per engineer profile)
  cannot hold the whole instance at these sizes (45 GB at 3,000 x 300), so the reference
  encodes who may take what as capacity dimensions on one matrix instead: one dimension per
  skill, territory class and pin a ticket may need, the engineers that have it with room
  for every job, the others none. Slower per iteration, but exact and within memory, so
  whatever decomposition loses shows up as ``gap = batch km / reference km - 1``.

All judged by ``dispatch_quality.evaluate`` (the same simulator as bench/dispatch.py).
``--quick``: 500 x 50, 1,000 x 100 and 3,000 x 300 with a 120 s reference; full: a 600 s
reference; ``--stretch`` adds 5,000 x 1,000 (three layouts in full mode, the mixed one in
``--quick``). The last line is ``RESULT dispatch_scale seconds_3000=.. peak_mb_3000=..
gap_pct_3000=.. greedy_ratio_3000=.. seconds_5000=.. peak_mb_5000=..`` (``nan`` for a size
not run).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.dispatch.optimize import solver as opt
from backend.dispatch.optimize.vroom import build, job_skills, vehicle_skills
from bench import dispatch_quality as q

N_REGIONS = 24
BUDGETS = ((500, 10.0), (1000, 20.0))  # whole-plan seconds up to so many tickets; then 60
QUICK_SIZES = ((500, 50), (1000, 100), (3000, 300))
STRETCH = (5000, 1000)
MB = 2**20


# --- memory of a process tree ---------------------------------------------------------------


class TreeSampler:
    """Peak memory of process ``pid`` and its descendants, sampled every ``every_s`` from a
    thread of *this* process (the plan's own process cannot sample itself: VROOM holds the
    interpreter lock for seconds)."""

    def __init__(self, pid: int, every_s: float = 0.1):
        self.proc = psutil.Process(pid)
        self.every_s = every_s
        self.peak_mb = 0.0  # root RSS + descendants' unique pages
        self.peak_rss_sum_mb = 0.0  # RSS summed over the tree
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        try:
            root = self.proc.memory_info().rss
            kids = self.proc.children(recursive=True)
        except psutil.Error:
            return
        rss = uss = 0
        for kid in kids:
            try:
                rss += kid.memory_info().rss
                uss += kid.memory_full_info().uss
            except psutil.Error:
                continue
        self.peak_mb = max(self.peak_mb, (root + uss) / MB)
        self.peak_rss_sum_mb = max(self.peak_rss_sum_mb, (root + rss) / MB)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every_s)


def in_child(fn: Any, *args: Any) -> tuple[Any, TreeSampler]:
    """``fn(*args)`` in a forked process, its tree's memory sampled; (its result, sampler)."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_call, args=(send, fn, args))
    child.start()
    send.close()
    assert child.pid is not None
    with TreeSampler(child.pid) as sampler:
        result = recv.recv()
        child.join()
    recv.close()
    if isinstance(result, BaseException):
        raise result
    return result, sampler


def _call(conn: Any, fn: Any, args: tuple[Any, ...]) -> None:
    try:
        conn.send(fn(*args))
    except BaseException as exc:  # reported to the parent, which re-raises it
        conn.send(exc)
    finally:
        conn.close()


# --- the methods ------------------------------------------------------------------------------


def instance(layout: str, size: tuple[int, int], seed: int = 1) -> q.Instance:
    return q.generate(layout, size[0], size[1], seed=seed, n_regions=N_REGIONS)


def _batch(inst: q.Instance, budget_s: float, memory_mb: float) -> dict[str, Any]:
    started = time.perf_counter()
    plan = opt.solve(inst.problem(), budget_s=budget_s, memory_mb=memory_mb)
    seconds = time.perf_counter() - started
    return {
        "routes": {r.engineer_id: [s.task_id for s in r.stops] for r in plan.routes},
        "seconds": seconds,
        "strategy": plan.strategy,
        "estimate_mb": plan.estimate_mb,
        "met": sorted(s.task_id for r in plan.routes for s in r.stops if s.breach_min <= 0),
    }


def batch(inst: q.Instance, budget_s: float, memory_mb: float) -> dict[str, Any]:
    """The product's plan in a child process, with the child's tree memory."""
    out, sampler = in_child(_batch, inst, budget_s, memory_mb)
    out["peak_mb"] = round(sampler.peak_mb)
    out["peak_rss_sum_mb"] = round(sampler.peak_rss_sum_mb)
    return out


def reference(
    inst: q.Instance, routes: dict[str, list[str]], met: set[str], seconds: float, seed: int = 1
) -> dict[str, Any]:
    """PyVRP on the whole instance (see the module docstring), from ``routes``; the routes
    it ends with, or ``routes`` if its answer is not feasible."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    chosen = [t for t in inst.tasks if any(t.id in r for r in routes.values())]
    b = build(opt.Problem(inst.engineers, chosen, inst.now, q.SPEED_KMH, q.DETOUR))
    nv = len(b.vehicles)
    # Who may take what, as the VROOM encoding has it: a job needs every id of job_skills.
    needs = [job_skills(b, t) for t in b.jobs]
    dims = {s: k + 1 for k, s in enumerate(sorted(set().union(*needs)))}
    dist = np.rint(b.km * 1000).astype(np.int64)
    dur = np.rint(b.seconds).astype(np.int64)
    dist[:, :nv] = 0  # open routes, as in the product
    dur[:, :nv] = 0
    del b.km, b.seconds
    vtypes = []
    for i, e in enumerate(b.vehicles):
        assert e.available_from is not None and e.shift_end is not None
        has = vehicle_skills(b, i)
        room = max(0, e.max_tasks)
        t0 = int((max(e.available_from, inst.now) - inst.now).total_seconds())
        t1 = int((e.shift_end - inst.now).total_seconds())
        vtypes.append(
            pyvrp.VehicleType(
                1,
                capacity=[room] + [room if s in has else 0 for s in dims],
                start_depot=i,
                end_depot=i,
                tw_early=t0,
                start_late=t0,
                tw_late=t1,
            )
        )
    clients = []
    for j, t in enumerate(b.jobs):
        load = [1] + [0] * len(dims)
        for s in needs[j]:
            load[dims[s]] = 1
        late = 10**9
        if t.id in met and t.deadline is not None:
            late = int((t.deadline - inst.now).total_seconds()) - t.service_s
        clients.append(
            pyvrp.Client(nv + j, delivery=load, service_duration=t.service_s, tw_late=late)
        )
    points = [e.start for e in b.vehicles] + [t.location for t in b.jobs]
    data = pyvrp.ProblemData(
        [pyvrp.Location(x, y) for x, y in points],
        clients,
        [pyvrp.Depot(i) for i in range(nv)],
        vtypes,
        [dist],
        [dur],
    )
    del dist, dur
    index = {t.id: j for j, t in enumerate(b.jobs)}
    vidx = {e.id: i for i, e in enumerate(b.vehicles)}
    warm = pyvrp.Solution(
        data,
        [
            pyvrp.Route(
                data,
                [pyvrp.Activity(pyvrp.ActivityType.CLIENT, index[tid]) for tid in ids],
                vidx[eid],
            )
            for eid, ids in routes.items()
            if ids
        ],
    )
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PenaltyBoundWarning: the answer is checked below
        best = pyvrp.solve(
            data, MaxRuntime(seconds), seed=seed, collect_stats=False, initial_solution=warm
        ).best
    elapsed = time.perf_counter() - started
    if not best.is_feasible():
        return {"routes": routes, "seconds": elapsed, "feasible": False}
    out: dict[str, list[str]] = {}
    for route in best.routes():
        out[b.vehicles[route.vehicle_type()].id] = [
            b.jobs[a.idx].id for a in route if a.is_client()
        ]
    return {"routes": out, "seconds": elapsed, "feasible": True}


def qualified_everywhere(inst: q.Instance, routes: dict[str, list[str]]) -> bool:
    """Every ticket with an engineer allowed to take it (skills, territory, pin)."""
    engineers = {e.id: e for e in inst.engineers}
    tasks = {t.id: t for t in inst.tasks}
    for eid, ids in routes.items():
        for tid in ids:
            t = tasks[tid]
            ok = t.pinned_to == eid if t.pinned_to else q.qualified(engineers[eid], t, inst.now)
            if not ok:
                return False
    return True


# --- one size ---------------------------------------------------------------------------------


def budget_for(tickets: int) -> float:
    """The whole-plan budget a dispatcher would give a plan of ``tickets``."""
    return next((s for n, s in BUDGETS if tickets <= n), 60.0)


def run_size(
    size: tuple[int, int],
    layout: str,
    reference_s: float,
    memory_mb: float,
    budget_s: float | None = None,
) -> dict[str, dict[str, Any]]:
    inst = instance(layout, size)
    budget = budget_s if budget_s is not None else budget_for(size[0])
    res: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    greedy_routes = q.greedy(inst)
    res["greedy"] = q.evaluate(inst, greedy_routes, time.perf_counter() - started)
    b = batch(inst, budget, memory_mb)
    res["batch"] = q.evaluate(inst, b["routes"], b["seconds"])
    res["batch"].update(
        {k: b[k] for k in ("peak_mb", "peak_rss_sum_mb", "strategy", "estimate_mb")},
        budget_s=budget,
        qualified=qualified_everywhere(inst, b["routes"]),
    )
    if reference_s > 0:
        ref, sampler = in_child(reference, inst, b["routes"], set(b["met"]), reference_s)
        res["reference"] = q.evaluate(inst, ref["routes"], ref["seconds"])
        res["reference"].update(
            feasible=ref["feasible"],
            qualified=qualified_everywhere(inst, ref["routes"]),
            peak_mb=round(sampler.peak_mb),
        )
        ref_km = res["reference"]["travel_km"]
        res["batch"]["gap_pct"] = round(
            (res["batch"]["travel_km"] / max(ref_km, 1e-9) - 1) * 100, 2
        )
    res["batch"]["greedy_ratio"] = round(
        res["greedy"]["travel_km"] / max(res["batch"]["travel_km"], 1e-9), 3
    )
    return res


COLUMNS = (
    ("seconds", 8),
    ("peak_mb", 8),
    ("travel_km", 9),
    ("km_per_job", 10),
    ("assigned", 8),
    ("breaches", 8),
    ("unassigned", 10),
    ("shift_overruns", 14),
    ("gap_pct", 7),
)


def print_size(title: str, res: dict[str, dict[str, Any]]) -> None:
    print(f"\n{title}")
    print("  " + f"{'method':<10}" + " ".join(f"{k:>{w}}" for k, w in COLUMNS))
    for name in ("greedy", "batch", "reference"):
        if name in res:
            m = res[name]
            print("  " + f"{name:<10}" + " ".join(f"{m.get(k, ''):>{w}}" for k, w in COLUMNS))
    b = res["batch"]
    print(
        f"  batch: strategy {b['strategy']} (estimated peak {b['estimate_mb']} MB, measured "
        f"{b['peak_mb']} MB; RSS summed over the tree {b['peak_rss_sum_mb']} MB), budget "
        f"{b['budget_s']} s, every ticket with a qualified engineer: {b['qualified']}"
    )
    if "reference" in res:
        r = res["reference"]
        print(
            f"  reference: feasible {r['feasible']}, qualified {r['qualified']}, "
            f"peak {r['peak_mb']} MB"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="120 s reference, one layout")
    parser.add_argument("--sizes", default=None, help="e.g. 500x50,3000x300")
    parser.add_argument("--reference-s", type=float, default=None)
    parser.add_argument("--stretch", action="store_true", help="add 5,000 x 1,000")
    parser.add_argument("--memory-mb", type=float, default=opt.MEMORY_MB)
    args = parser.parse_args(argv)
    sizes = list(QUICK_SIZES)
    if args.sizes:
        sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]  # type: ignore[misc]
    if args.stretch:
        sizes.append(STRETCH)
    ref_s = args.reference_s if args.reference_s is not None else (120.0 if args.quick else 600.0)
    print(
        f"dispatch scale benchmark ({'quick' if args.quick else 'full'}); load "
        f"{os.getloadavg()[0]:.1f}; memory budget {args.memory_mb:.0f} MB"
    )
    started = time.perf_counter()
    by_size: dict[int, dict[str, dict[str, Any]]] = {}
    for size in sizes:
        layouts = ("mixed",) if args.quick or size != STRETCH else q.LAYOUTS
        for layout in layouts:
            res = run_size(size, layout, ref_s, args.memory_mb)
            print_size(f"{layout} {size[0]} x {size[1]} (reference {ref_s:.0f} s)", res)
            by_size.setdefault(size[0], res)  # the RESULT reports the first (mixed) layout
    print(f"\ntotal {time.perf_counter() - started:.0f} s")

    def get(n: int, key: str) -> Any:
        return by_size.get(n, {}).get("batch", {}).get(key, math.nan)

    print(
        f"RESULT dispatch_scale seconds_3000={get(3000, 'seconds')} "
        f"peak_mb_3000={get(3000, 'peak_mb')} gap_pct_3000={get(3000, 'gap_pct')} "
        f"greedy_ratio_3000={get(3000, 'greedy_ratio')} seconds_5000={get(5000, 'seconds')} "
        f"peak_mb_5000={get(5000, 'peak_mb')}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
