"""The dispatch benchmark at a tiny size: every method runs on the same instance, the batch
plan respects shifts, and the PyVRP reference (warm-started from it) is never worse."""

from __future__ import annotations

from bench import dispatch, dispatch_quality


def test_methods_side_by_side_on_a_tiny_instance():
    inst = dispatch_quality.generate("mixed", 40, 6, seed=7)
    again = dispatch_quality.generate("mixed", 40, 6, seed=7)
    assert [t.location for t in inst.tasks] == [t.location for t in again.tasks]  # seeded
    res = dispatch.run_instance(inst, reference_s=1.0, pass_s=2.0)
    assert set(res) == set(dispatch.METHODS)
    for name, m in res.items():
        assert m["assigned"] + m["unassigned"] == 40, name
    assert res["batch"]["shift_overruns"] == 0 and res["greedy"]["shift_overruns"] == 0
    assert res["reference"]["feasible"] is True
    assert res["reference"]["travel_km"] <= res["batch"]["travel_km"] * 1.001
    assert res["batch"]["travel_km"] < res["round_robin"]["travel_km"]
    total = dispatch.totals([res])
    assert total["batch"]["travel_km"] == res["batch"]["travel_km"]
