"""Arrival windows in the single-ticket scorer (pure, no database): an early engineer waits
and the wait counts; one who would start after the window breaks ``outside_window``; work
booked for a later day is checked against that day's shift, not today's queue."""

from __future__ import annotations

from datetime import time, timedelta

from backend.dispatch.scoring import evaluate, plan_insertion, rank
from backend.dispatch.shifts import Shift
from tests.dispatch.test_scoring import NOW, S, engineer, jobs, ticket


def test_early_engineer_waits_for_the_window_and_the_wait_counts():
    t = ticket(window_start=NOW + timedelta(hours=3), window_end=NOW + timedelta(hours=5))
    v = evaluate(t, engineer(), NOW, S)
    assert v.eligible and v.reasons == ()
    assert v.eta == NOW + timedelta(hours=3)  # starts when the window opens, not on arrival
    window = v.to_dict()["window"]
    assert window["start"] == t.window_start.isoformat()
    assert window["end"] == t.window_end.isoformat()
    assert window["late_min"] == 0
    assert abs(window["wait_min"] - (180 - v.travel_min)) < 0.1
    assert v.terms["earliest_start"]["value"] == 180  # the wait is part of the start
    unwindowed = evaluate(ticket(), engineer(), NOW, S)
    assert v.score < unwindowed.score and unwindowed.to_dict()["window"] is None


def test_wait_delays_the_queued_jobs_behind_it():
    t = ticket(
        priority="P1", window_start=NOW + timedelta(hours=2), window_end=NOW + timedelta(hours=3)
    )
    e = engineer(open_jobs=jobs(2, "P4"))
    plan = plan_insertion(t, e, NOW, 10.0, S)
    assert plan.start == NOW + timedelta(hours=2) and plan.wait_min == 110
    # Two queued jobs each pushed by travel + wait + service (10 + 110 + 60 minutes).
    assert plan.disruption_min == 2 * 180


def test_starting_after_the_window_breaks_outside_window_and_names_it():
    t = ticket(window_start=NOW - timedelta(hours=1), window_end=NOW + timedelta(minutes=30))
    busy = engineer(open_jobs=jobs(2, "P2"))  # 160 minutes of queue ahead
    free = engineer()
    verdicts = rank([evaluate(t, busy, NOW, S), evaluate(t, free, NOW, S)])
    assert verdicts[0].engineer_id == free.engineer_id and verdicts[0].eligible
    late = verdicts[1]
    assert late.reasons == ("outside_window",) and not late.eligible
    window = late.to_dict()["window"]
    assert window["end"] == t.window_end.isoformat() and window["late_min"] > 120
    assert window["wait_min"] == 0


def test_a_window_on_a_later_day_is_checked_against_that_days_shift():
    monday = NOW + timedelta(days=3)  # NOW is a Friday 10:00 UTC
    t = ticket(window_start=monday, window_end=monday + timedelta(hours=2))
    # Today's shift is nearly over and the queue runs past it: not today's problem.
    full_today = engineer(open_jobs=jobs(5), shift=Shift("UTC", (0, 4), time(8), time(12)))
    v = evaluate(t, full_today, NOW, S)
    assert v.eligible, v.reasons
    assert v.eta == monday
    weekend_only = engineer(shift=Shift("UTC", (5, 6), time(8), time(18)))
    assert evaluate(t, weekend_only, NOW, S).reasons == ("off_shift",)
    # Without the window the same engineer is over-full today.
    assert "shift_full" in evaluate(ticket(), full_today, NOW, S).reasons
