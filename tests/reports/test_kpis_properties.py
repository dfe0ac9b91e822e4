"""Property test: after random ticket life cycles through the real operations (the walk of
test_reports_properties.py, plus new tickets on the same assets now and then), first-time fix
and workload equal a recomputation in plain Python from the raw rows, following
docs/kpis.md's words rather than its SQL.

Workload counts the work of every ticket in the database (examples share the test's
transaction), so its recomputation reads every ticket's trail, not only the example's.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import hypothesis.strategies as st
from hypothesis import given
from sqlalchemy import select

from backend.assets.models import Asset, Site
from backend.db import db
from backend.workorders.models import Ticket, TicketEvent
from backend.workorders.states import Status
from tests.reports import test_reports_properties as walk
from tests.reports.test_reports_properties import SETTINGS, _options, _take, approx, tickets_st

# Examples 45 days apart (a walk lasts at most 100 x 600 min, under 42 days), all in the past
# even when hypothesis runs many more than max_examples.
SPACING = timedelta(days=45)
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - SPACING * 400
# (which ticket, 0-7: the next step of a normal job, 8-10: any other allowed move, 11: a new
# fault reported on one of the two assets, which one / which move, minutes since the last step)
steps_st = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 11), st.integers(0, 20), st.integers(1, 600)),
    min_size=20,
    max_size=100,
)
_windows = itertools.count()
ASSIGNMENT = ("assign", "reassign", "unassign")
TIMED = {"en_route": "travel", "on_site": "on_site", "in_progress": "work", "on_hold": "paused"}
WINDOW = timedelta(days=30)


def _walk(clock, people, make_ticket, assets, made, steps) -> None:
    """The random walk; a step of kind 11 reports a new fault on an asset instead (the repeat
    faults of first-time fix)."""
    for which, kind, choice, delay in steps:
        clock.advance(delay)
        if kind == 11:
            made.append(make_ticket(asset_id=assets[choice % 2].id, now=clock.now))
            continue
        ticket = db.session.get(Ticket, made[which % len(made)].id)
        options = _options(ticket, forward=kind < 8)
        if options:
            _take(ticket, options[choice % len(options)], people)


# ---- first-time fix, recomputed ------------------------------------------------------------


def expected_first_fix(start: datetime, end: datetime, now: datetime, group_by: str) -> dict:
    tickets = list(db.session.scalars(select(Ticket)))
    out: dict[Any, dict[str, int]] = {}
    for t in tickets:
        if not (start <= t.created_at < end) or t.status not in (Status.COMPLETED, Status.CLOSED):
            continue
        events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id))
        visits = sum(e.action == "arrive" for e in events)
        done = t.resolved_at
        assert done is not None
        repeated = any(
            n.asset_id == t.asset_id
            and t.asset_id is not None
            and n.id != t.id
            and done < n.created_at <= done + WINDOW
            for n in tickets
        )
        asset = db.session.get(Asset, t.asset_id) if t.asset_id else None
        site_id = t.site_id or (asset.site_id if asset else None)
        site = db.session.get(Site, site_id) if site_id else None
        key = {
            "none": None,
            "asset": str(t.asset_id) if t.asset_id else None,
            "asset_model": asset.model if asset else None,
            "customer": str(site.customer_id) if site else None,
        }[group_by]
        g = out.setdefault(
            key,
            dict.fromkeys(
                ("completed", "one_visit", "repeat_faults", "first_time_fix", "window_open"), 0
            ),
        )
        g["completed"] += 1
        g["one_visit"] += visits == 1
        g["repeat_faults"] += repeated
        g["first_time_fix"] += visits == 1 and not repeated
        g["window_open"] += done + WINDOW > now
    for g in out.values():
        g["first_time_fix_pct"] = round(100 * g["first_time_fix"] / g["completed"], 2)
        g["repeat_fault_pct"] = round(100 * g["repeat_faults"] / g["completed"], 2)
    return out


# ---- workload, recomputed ---------------------------------------------------------------------


def _day(at: datetime) -> str:
    return at.astimezone(UTC).date().isoformat()


def expected_workload(
    start: datetime, end: datetime, now: datetime, group_by: str, q: dict[str, Any]
) -> dict:
    tickets = {t.id: t for t in db.session.scalars(select(Ticket))}
    events = sorted(
        db.session.scalars(select(TicketEvent)), key=lambda e: (e.ticket_id, e.at, e.id)
    )
    rows: list[tuple[str, Ticket, str | None, datetime, str | None, float]] = []
    for tid, trail in itertools.groupby(events, key=lambda e: e.ticket_id):
        # the whole trail: a stretch ends at the next change, whenever that was received
        changes = [e for e in trail if e.from_status != e.to_status or e.action in ASSIGNMENT]
        engineer: str | None = None
        for i, e in enumerate(changes):
            if e.action in ASSIGNMENT:
                engineer = (e.data or {}).get("to_assignee")
            until = changes[i + 1].at if i + 1 < len(changes) else now
            lo, hi = max(e.at, start), min(until, end, now)
            while e.to_status in TIMED and hi > lo:  # one piece per UTC day
                midnight = datetime.combine(
                    lo.astimezone(UTC).date() + timedelta(days=1), time(0), tzinfo=UTC
                )
                cut = min(hi, midnight)
                rows.append(
                    (
                        "time",
                        tickets[tid],
                        engineer,
                        lo,
                        e.to_status,
                        (cut - lo).total_seconds() / 60,
                    )
                )
                lo = cut
            if e.action == "complete" and start <= e.at < end:
                rows.append(("done", tickets[tid], engineer, e.at, None, 0.0))
    out: dict[Any, dict[str, Any]] = {}
    for kind, t, engineer, at, status, minutes in rows:
        if q.get("priority") and t.priority != q["priority"]:
            continue
        if q.get("engineer_id") and engineer != q["engineer_id"]:
            continue
        keys = {
            "none": [None],
            "engineer": [engineer],
            "priority": [str(t.priority)],
            "day": [_day(at)],
            "region": [str(r) for r in t.region_ids] or [None],  # once in each region
        }[group_by]
        for key in keys:
            g = out.setdefault(
                key,
                {
                    "completed": 0,
                    "people": set(),
                    "days": set(),
                    "minutes": dict.fromkeys(TIMED.values(), 0.0),
                },
            )
            if kind == "done":
                g["completed"] += 1
            else:
                g["minutes"][TIMED[str(status)]] += minutes
            g["people"].add(engineer)
            if engineer is not None:
                g["days"].add((engineer, _day(at)))
    return {
        k: {
            "completed": g["completed"],
            "engineers": len(g["people"] - {None}),
            "engineer_days": len(g["days"]),
            "minutes": g["minutes"],
        }
        for k, g in out.items()
    }


# ---- the property -------------------------------------------------------------------------------


@SETTINGS
@given(
    tickets=tickets_st,
    steps=steps_st,
    ff_group=st.sampled_from(["none", "asset", "asset_model", "customer"]),
    wl_group=st.sampled_from(["none", "engineer", "priority", "day", "region"]),
    narrow=st.sampled_from(["none", "priority", "engineer"]),
    span_h=st.integers(1, 72),
)
def test_first_fix_and_workload_equal_a_recomputation(
    clock, people, make_ticket, make_asset, make_site, report, no_completion_rules,
    tickets, steps, ff_group, wl_group, narrow, span_h,
):  # fmt: skip
    start = START + SPACING * next(_windows)
    # Two assets of different models and customers, in region 1 and in region 2 only; tickets
    # without an asset at a place outside every region.
    assets = [make_asset(), make_asset(make_site(*walk.PLACES[2]))]
    assets[1].model = "ZX-1"
    db.session.commit()
    made = []
    for priority, place, offset in tickets:
        with clock.at(start + timedelta(minutes=offset)):
            asset = {0: assets[0], 1: assets[0], 2: assets[1]}.get(place)
            extra = {"asset_id": asset.id} if asset else {"lon": 0.5, "lat": 0.5}
            made.append(make_ticket(priority=priority, now=clock.now, **extra))
    with clock.at(start + timedelta(minutes=601)):
        _walk(clock, people, make_ticket, assets, made, steps)

    # the example's whole stretch, tickets reported during the walk included
    span = {"from": start.isoformat(), "to": (start + SPACING).isoformat()}
    r = report("first-fix", group_by=ff_group, **span)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    got = {}
    for g in body["groups"]:
        got[g.pop("key")] = g
    now = datetime.fromisoformat(body["generated_at"])
    assert got == expected_first_fix(start, start + SPACING, now, ff_group)

    q: dict[str, Any] = {}
    if narrow == "priority":
        q["priority"] = tickets[0][0]
    elif narrow == "engineer":
        q["engineer_id"] = str(people.engineers[0].id)
    # a stretch of the walk: from the first steps, span_h hours
    w_from = start + timedelta(minutes=601 + steps[0][3])
    w_to = w_from + timedelta(hours=span_h)
    r = report(
        "workload", group_by=wl_group, **q, **{"from": w_from.isoformat(), "to": w_to.isoformat()}
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    now = datetime.fromisoformat(body["generated_at"])
    got = {
        g["key"]: {k: g[k] for k in ("completed", "engineers", "engineer_days", "minutes")}
        for g in body["groups"]
    }
    expected = expected_workload(w_from, w_to, now, wl_group, q)
    assert got == approx(expected)
    assert all(uuid.UUID(k) for k in got if wl_group == "engineer" and k)
