"""Dispatch benchmark: plan quality of five methods side by side, then single-ticket latency.

    python bench/dispatch.py [--quick] [--reference-s S] [--skip-latency] [--windowed SHARE]

Quality (``bench/dispatch_quality.py`` has the generator, methods and simulator): for each
layout (clustered, random, mixed) and seed, a 400-ticket x 50-engineer day; round-robin,
greedy nearest-available, D1's online scorer, the batch optimizer (its VROOM pass bounded to
``--pass-s``, the whole plan - VROOM, the insertion pass for late tickets, then PyVRP in
what is left - to 9 s, so it is ready in <= 10 s even on a busy machine) and two long PyVRP
runs side by side, warm-started from the batch plan, as the near-optimal reference.
``--quick``: one seed and a 40 s reference per instance; full: three seeds, 300 s.
Windowed days: the same layouts again with ``--windowed`` (0.3) of the tickets planned work in
two-hour arrival windows, mixed with the repairs; reported apart (``windowed_gap_pct``,
``window_breaches_batch``), so the plain days' figures stay comparable with earlier runs.
``--windowed 0`` skips them.

Latency: ``bench/dispatch_latency.run(quick)`` (D1) - assign p50/p99 against PostGIS.

The last line is ``RESULT dispatch assign_p50_ms=.. assign_p99_ms=.. knn_ratio=..
batch_gap_pct=.. greedy_travel_ratio=.. batch_s=.. breaches_batch=.. breaches_greedy=..``:
``batch_gap_pct`` = batch travel above the reference (summed over instances),
``greedy_travel_ratio`` = greedy travel / batch travel, ``batch_s`` = slowest batch plan;
then ``windowed_gap_pct=.. window_breaches_batch=.. window_breaches_reference=..
windowed_jobs=.. windowed_batch_s=..`` for the windowed days.
Solomon RC208 is not run: its file ships only in the PyVRP source distribution, which is not
installed here.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.dispatch.optimize import solver as opt
from bench import dispatch_quality as q

METHODS = ("round_robin", "greedy", "online", "batch", "reference")
COLUMNS = (
    ("travel_km", 9),
    ("assigned", 8),
    ("km_per_job", 10),
    ("breaches", 8),
    ("breach_min", 10),
    ("unassigned", 10),
    ("shift_overruns", 14),
    ("window_breaches", 15),
    ("load_max", 8),
    ("load_sd", 7),
    ("seconds", 8),
)


def run_instance(inst: q.Instance, reference_s: float, pass_s: float) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, fn in (("round_robin", q.round_robin), ("greedy", q.greedy), ("online", q.online)):
        started = time.perf_counter()
        routes = fn(inst)
        out[name] = q.evaluate(inst, routes, time.perf_counter() - started)
    started = time.perf_counter()
    plan = opt.solve(inst.problem(), timeout_s=pass_s, budget_s=9.0)
    routes = {r.engineer_id: [s.task_id for s in r.stops] for r in plan.routes}
    out["batch"] = q.evaluate(inst, routes, time.perf_counter() - started)
    out["batch"]["passes"] = plan.passes
    ref = q.reference(inst, plan, reference_s)
    out["reference"] = q.evaluate(inst, ref["routes"], ref["seconds"])
    out["reference"]["feasible"] = ref["feasible"]
    for key in ("from_batch_km", "from_scratch_km"):
        out["reference"][key] = ref[key]
    return out


def _row(name: str, m: dict[str, Any]) -> str:
    cells = [f"{m.get(key, ''):>{width}}" for key, width in COLUMNS]
    return f"  {name:<12}" + " ".join(cells)


def print_table(title: str, results: dict[str, dict]) -> None:
    print(f"\n{title}")
    print("  " + f"{'method':<12}" + " ".join(f"{k:>{w}}" for k, w in COLUMNS))
    for name in METHODS:
        if name in results:
            print(_row(name, results[name]))


def totals(per_instance: list[dict[str, dict]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name in METHODS:
        rows = [r[name] for r in per_instance]
        out[name] = {
            "travel_km": round(sum(r["travel_km"] for r in rows), 1),
            "assigned": sum(r["assigned"] for r in rows),
            "breaches": sum(r["breaches"] for r in rows),
            "breach_min": sum(r["breach_min"] for r in rows),
            "unassigned": sum(r["unassigned"] for r in rows),
            "shift_overruns": sum(r["shift_overruns"] for r in rows),
            "window_breaches": sum(r["window_breaches"] for r in rows),
            "windowed": sum(r["windowed"] for r in rows),
            "load_max": max(r["load_max"] for r in rows),
            "load_sd": round(sum(r["load_sd"] for r in rows) / len(rows), 2),
            "seconds": round(max(r["seconds"] for r in rows), 2),
        }
        out[name]["km_per_job"] = round(out[name]["travel_km"] / max(1, out[name]["assigned"]), 2)
    return out


def quality(
    quick: bool,
    reference_s: float | None,
    pass_s: float,
    size=(400, 50),
    windowed: float = 0.0,
) -> dict:
    seeds = (1,) if quick else (1, 2, 3)
    ref_s = reference_s if reference_s is not None else (40.0 if quick else 300.0)
    per_instance = []
    for seed in seeds:
        for layout in q.LAYOUTS:
            inst = q.generate(layout, size[0], size[1], seed, windowed=windowed)
            res = run_instance(inst, ref_s, pass_s)
            print_table(f"{inst.name} (reference {ref_s:.0f} s)", res)
            r = res["reference"]
            print(
                f"  reference runs: from the batch plan {r['from_batch_km']} km, from scratch "
                f"{r['from_scratch_km']} km"
            )
            per_instance.append(res)
    total = totals(per_instance)
    label = f", {windowed:.0%} in arrival windows" if windowed else ""
    print_table(f"TOTAL over {len(per_instance)} instances{label}", total)
    batch, ref, greedy = total["batch"], total["reference"], total["greedy"]
    return {
        "batch_gap_pct": round((batch["travel_km"] / max(ref["travel_km"], 1e-9) - 1) * 100, 2),
        "greedy_travel_ratio": round(greedy["travel_km"] / max(batch["travel_km"], 1e-9), 3),
        "greedy_km_per_job_ratio": round(greedy["km_per_job"] / max(batch["km_per_job"], 1e-9), 3),
        "batch_s": batch["seconds"],
        "breaches_batch": batch["breaches"],
        "breaches_greedy": greedy["breaches"],
        "window_breaches_batch": batch["window_breaches"],
        "window_breaches_reference": ref["window_breaches"],
        "windowed_jobs": batch["windowed"],
        "reference_feasible": all(r["reference"]["feasible"] for r in per_instance),
        "totals": total,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 40 s reference")
    parser.add_argument("--reference-s", type=float, default=None)
    parser.add_argument("--pass-s", type=float, default=4.5, help="VROOM time cap")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument(
        "--windowed", type=float, default=0.3, help="share of planned work on windowed days"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(
        f"dispatch benchmark ({'quick' if args.quick else 'full'}); load {os.getloadavg()[0]:.1f}"
    )
    qual = quality(args.quick, args.reference_s, args.pass_s)
    print(
        f"\nbatch vs reference: {qual['batch_gap_pct']}% more travel (target <= 5); "
        f"greedy / batch travel: {qual['greedy_travel_ratio']} (per job "
        f"{qual['greedy_km_per_job_ratio']}; target >= 1.15); slowest batch plan "
        f"{qual['batch_s']} s (target <= 10); breaches batch {qual['breaches_batch']} vs greedy "
        f"{qual['breaches_greedy']}; reference feasible: {qual['reference_feasible']}"
    )
    win: dict[str, Any] = {
        "batch_gap_pct": "nan",
        "window_breaches_batch": "nan",
        "window_breaches_reference": "nan",
        "windowed_jobs": 0,
        "batch_s": "nan",
    }
    if args.windowed > 0:
        win = quality(args.quick, args.reference_s, args.pass_s, windowed=args.windowed)
        print(
            f"\nwindowed days ({args.windowed:.0%} planned work): batch vs reference "
            f"{win['batch_gap_pct']}% more travel (target <= 5); window breaches batch "
            f"{win['window_breaches_batch']} of {win['windowed_jobs']} windowed jobs planned, "
            f"reference {win['window_breaches_reference']}; slowest batch plan {win['batch_s']} s"
        )
    lat: dict[str, Any] = {"assign_p50_ms": "nan", "assign_p99_ms": "nan", "knn_ratio": "nan"}
    if not args.skip_latency:
        from bench import dispatch_latency

        lat = dispatch_latency.run(args.quick)
        print(
            f"\nlatency ({lat.get('engineers')} engineers, {lat.get('tickets')} tickets): "
            f"assign p50 {lat['assign_p50_ms']} ms, p99 {lat['assign_p99_ms']} ms "
            f"(target <= 30), bare KNN p50 {lat.get('knn_p50_ms')} ms"
        )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    print(
        f"RESULT dispatch assign_p50_ms={lat['assign_p50_ms']} "
        f"assign_p99_ms={lat['assign_p99_ms']} knn_ratio={lat['knn_ratio']} "
        f"batch_gap_pct={qual['batch_gap_pct']} greedy_travel_ratio={qual['greedy_travel_ratio']} "
        f"batch_s={qual['batch_s']} breaches_batch={qual['breaches_batch']} "
        f"breaches_greedy={qual['breaches_greedy']} "
        f"windowed_gap_pct={win['batch_gap_pct']} "
        f"window_breaches_batch={win['window_breaches_batch']} "
        f"window_breaches_reference={win['window_breaches_reference']} "
        f"windowed_jobs={win['windowed_jobs']} windowed_batch_s={win['batch_s']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
