"""The scale benchmark at a tiny size: batch, greedy and the whole-instance reference run on
the same instance, the batch plan's process tree is measured, and the reference (warm-started
from the batch plan) is feasible, qualified and never longer."""

from __future__ import annotations

from bench import dispatch_scale


def test_sizes_side_by_side_on_a_tiny_instance(capsys):
    res = dispatch_scale.run_size((60, 8), "mixed", reference_s=1.0, memory_mb=1536, budget_s=3)
    assert set(res) == {"greedy", "batch", "reference"}
    b, ref = res["batch"], res["reference"]
    for name, m in res.items():
        assert m["assigned"] + m["unassigned"] == 60, name
        assert m["shift_overruns"] == 0, name
    assert b["qualified"] and ref["qualified"] and ref["feasible"]
    assert b["seconds"] <= 3 + 1.5
    assert 50 < b["peak_mb"] <= b["peak_rss_sum_mb"]
    assert b["strategy"] == "whole"
    assert ref["travel_km"] <= b["travel_km"] * 1.001
    assert b["gap_pct"] >= -0.1
    assert ref["assigned"] == b["assigned"] and ref["breaches"] <= b["breaches"]


def test_the_result_line(capsys):
    assert dispatch_scale.main(["--sizes", "40x6", "--reference-s", "0.5"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("RESULT dispatch_scale seconds_3000=nan ")
    keys = [kv.split("=")[0] for kv in last.split()[2:]]
    assert keys == [
        "seconds_3000", "peak_mb_3000", "gap_pct_3000", "greedy_ratio_3000", "seconds_5000",
        "peak_mb_5000",
    ]  # fmt: skip
