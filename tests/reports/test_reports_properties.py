"""Property test: after random ticket life cycles (assign, reassign, unassign, accept, reject,
travel, arrive, start, hold, resume, complete, close, cancel, reopen), taken through the real
operations at controlled times, every number of the three reports equals a recomputation in
plain Python from the raw rows (tickets and their ticket_events), following docs/kpis.md's
words rather than its SQL.

Each example builds its tickets in its own period (two days apart, long past), so examples
never see each other's tickets. ``derandomize=True`` draws the same examples on every run;
``REPORTS_PROPERTY_EXAMPLES`` raises the count for a longer local run.
"""

from __future__ import annotations

import itertools
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import given
from sqlalchemy import select

from backend.accounts.models import User
from backend.db import db
from backend.workorders.models import Ticket, TicketEvent
from backend.workorders.states import OPEN_STATUSES, TRANSITIONS, Actor, Status, allowed_actions
from tests.reports.conftest import People, act, assign, walk_settings

SETTINGS = walk_settings("REPORTS_PROPERTY_EXAMPLES", 50)
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=500)
_windows = itertools.count()
# Places: in region 1 only, in both (they overlap), in region 2 only, in none.
PLACES = [(13.36, 52.52), (13.425, 52.52), (13.49, 52.52), (0.5, 0.5)]
OPEN = {s.value for s in OPEN_STATUSES}
AT_RISK_FRACTION = 0.75


tickets_st = st.lists(
    st.tuples(st.sampled_from(["P1", "P2", "P3", "P4"]), st.integers(0, 3), st.integers(0, 600)),
    min_size=1,
    max_size=4,
)
# (which ticket, 0-6: the next step of a normal job, 7-9: any other allowed move, which one,
# minutes since the previous step)
steps_st = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 9), st.integers(0, 20), st.integers(1, 900)),
    min_size=10,
    max_size=80,
)
# A job's normal way forward from each status (the random walk mostly follows it, so tickets
# reach arrival and completion; the other moves reassign, reject, hold, cancel, reopen).
FORWARD = {
    Status.NEW: "assign:0",
    Status.ASSIGNED: "accept",
    Status.ACCEPTED: "start_travel",
    Status.EN_ROUTE: "arrive",
    Status.ON_SITE: "start_work",
    Status.IN_PROGRESS: "complete",
    Status.ON_HOLD: "resume",
    Status.COMPLETED: "close",
    # and round again: a second completion must replace the first in MTTR and the resolve clock
    Status.CLOSED: "reopen",
    Status.CANCELLED: "reopen",
}


def _options(ticket: Ticket, forward: bool) -> list[str]:
    if forward and ticket.status in FORWARD:
        return [FORWARD[Status(ticket.status)]]
    opts = sorted(allowed_actions(ticket.status, Actor.STAFF))
    if ticket.status in OPEN:
        opts += ["assign:0", "assign:1"]
        if ticket.assignee_id is not None:
            opts.append("unassign")
    return opts


def _take(ticket: Ticket, option: str, people: People) -> None:
    dispatcher = db.session.get(User, people.dispatcher.id)
    if option.startswith("assign:"):
        engineer = db.session.get(User, people.engineers[int(option[-1])].id)
        if ticket.assignee_id == engineer.id and ticket.status == Status.ASSIGNED:
            return  # the same assignment again is refused (409); nothing to learn
        assign(ticket, engineer, dispatcher)
    elif option == "unassign":
        assign(ticket, None, dispatcher)
    else:
        engineer_may = Actor.ENGINEER in TRANSITIONS[option].actors
        actor = (
            db.session.get(User, ticket.assignee_id)
            if engineer_may and ticket.assignee_id
            else dispatcher
        )
        act(ticket, actor, option)


# ---- the independent recomputation ------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """percentile_cont as docs/kpis.md words it: sorted x0..x(n-1), position p*(n-1), linear."""
    if not values:
        return None
    xs = sorted(values)
    pos = p * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


@dataclass
class Row:
    ticket: Ticket
    first_assign: datetime | None
    first_accept: datetime | None
    first_arrive: datetime | None
    last_complete: datetime | None

    @property
    def responded_at(self) -> datetime | None:
        return self.first_accept

    @property
    def resolved_at(self) -> datetime | None:
        done = self.ticket.status in (Status.COMPLETED, Status.CLOSED)
        return self.last_complete if done else None


def raw_rows(start: datetime, end: datetime) -> list[Row]:
    tickets = list(
        db.session.scalars(
            select(Ticket).where(Ticket.created_at >= start, Ticket.created_at < end)
        )
    )
    rows = []
    for t in tickets:
        events = list(db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id)))

        def at(action: str, pick: Any, events: list[TicketEvent] = events) -> datetime | None:
            times = [e.at for e in events if e.action == action]
            return pick(times) if times else None

        row = Row(t, at("assign", min), at("accept", min), at("arrive", min), at("complete", max))
        # the ticket's own clock columns agree with its audit trail
        assert (t.responded_at, t.resolved_at) == (row.responded_at, row.resolved_at)
        rows.append(row)
    return rows


def keys(row: Row, group_by: str, region: uuid.UUID | None) -> list[str | None]:
    t = row.ticket
    day = t.created_at.astimezone(UTC).date()
    match group_by:
        case "none":
            return [None]
        case "priority":
            return [str(t.priority)]
        case "engineer":
            return [str(t.assignee_id) if t.assignee_id else None]
        case "region":
            ids = [r for r in t.region_ids if region is None or r == region]
            return [str(r) for r in ids] if t.region_ids else [None]
        case "status":
            return [str(t.status)]
        case "day":
            return [day.isoformat()]
        case "week":
            return [(day - timedelta(days=day.weekday())).isoformat()]
        case _:
            return [day.replace(day=1).isoformat()]


def selected(row: Row, q: dict[str, Any]) -> bool:
    t = row.ticket
    return (
        (q.get("priority") is None or t.priority == q["priority"])
        and (q.get("engineer_id") is None or str(t.assignee_id) == q["engineer_id"])
        and (q.get("region_id") is None or uuid.UUID(q["region_id"]) in t.region_ids)
        and (q.get("status") is None or str(t.status) in q["status"].split(","))
    )


def grouped(rows: list[Row], q: dict[str, Any]) -> dict[str | None, list[Row]]:
    region = uuid.UUID(q["region_id"]) if q.get("region_id") else None
    out: dict[str | None, list[Row]] = {}
    for row in rows:
        if selected(row, q):
            for k in keys(row, q["group_by"], region):
                out.setdefault(k, []).append(row)
    return out


def expected_sla(rows: list[Row], now: datetime) -> dict[str, Any]:
    def clock(done_of: Any, deadline_of: Any) -> dict[str, Any]:
        due = met = 0
        late = []
        for r in rows:
            done, deadline = done_of(r), deadline_of(r.ticket)
            if done is not None or (deadline < now and r.ticket.status != Status.CANCELLED):
                due += 1
            if done is not None and done <= deadline:
                met += 1
            if done is not None and done > deadline:
                late.append(minutes(done - deadline))
        return {
            "due": due,
            "met": met,
            "met_pct": round(100 * met / due, 2) if due else None,
            "late_median_min": percentile(late, 0.5),
            "late_p90_min": percentile(late, 0.9),
        }

    def breached(done: datetime | None, deadline: datetime, status: str) -> bool:
        if done is not None:
            return done > deadline
        return deadline < now and status != Status.CANCELLED

    def at_risk_clock(r: Row, done: datetime | None, deadline: datetime) -> bool:
        start = r.ticket.created_at
        if done is not None or r.ticket.status == Status.CANCELLED or now > deadline:
            return False
        return deadline <= start or now >= start + AT_RISK_FRACTION * (deadline - start)

    n_breached = n_at_risk = 0
    for r in rows:
        t = r.ticket
        b = breached(r.responded_at, t.respond_by, t.status) or breached(
            r.resolved_at, t.resolve_by, t.status
        )
        n_breached += b
        n_at_risk += (
            not b
            and t.status in OPEN
            and (
                at_risk_clock(r, r.responded_at, t.respond_by)
                or at_risk_clock(r, r.resolved_at, t.resolve_by)
            )
        )
    return {
        "tickets": len(rows),
        "respond": clock(lambda r: r.responded_at, lambda t: t.respond_by),
        "resolve": clock(lambda r: r.resolved_at, lambda t: t.resolve_by),
        "at_risk": n_at_risk,
        "breached": n_breached,
    }


def expected_times(rows: list[Row]) -> dict[str, Any]:
    def stats(values: list[float]) -> dict[str, Any]:
        return {
            "n": len(values),
            "median_min": percentile(values, 0.5),
            "p90_min": percentile(values, 0.9),
        }

    def created(r: Row) -> datetime:
        return r.ticket.created_at

    return {
        "tickets": len(rows),
        "to_assign": stats([minutes(r.first_assign - created(r)) for r in rows if r.first_assign]),
        "to_accept": stats(
            [
                minutes(r.first_accept - r.first_assign)
                for r in rows
                if r.first_accept and r.first_assign
            ]
        ),
        "to_arrive": stats([minutes(r.first_arrive - created(r)) for r in rows if r.first_arrive]),
        "to_complete": stats(
            [minutes(r.resolved_at - created(r)) for r in rows if r.resolved_at is not None]
        ),
    }


def expected_backlog(groups: dict[str | None, list[Row]], now: datetime) -> dict[Any, Any]:
    bounds = [("lt_4h", 4), ("lt_1d", 24), ("lt_3d", 72), ("lt_7d", 168), ("older", math.inf)]
    out: dict[Any, Any] = {}
    for key, rows in groups.items():
        for r in rows:
            if r.ticket.status not in OPEN:
                continue
            age_h = (now - r.ticket.created_at).total_seconds() / 3600
            bucket = next(name for name, upper in bounds if age_h < upper)
            entry = out.setdefault((key, str(r.ticket.status)), {"total": 0, "ages": {}})
            entry["total"] += 1
            entry["ages"] = {n: entry["ages"].get(n, 0) + (n == bucket) for n, _ in bounds}
    return out


def approx(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: approx(v) for k, v in value.items()}
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-9, abs=1e-6)
    return value


# ---- the property -------------------------------------------------------------------------------


@SETTINGS
@given(
    tickets=tickets_st,
    steps=steps_st,
    group_by=st.sampled_from(
        ["none", "priority", "region", "engineer", "status", "day", "week", "month"]
    ),
    narrow=st.sampled_from(["none", "priority", "engineer", "region", "status", "statuses"]),
)
def test_reports_equal_a_recomputation_from_raw_rows(
    clock, people, make_ticket, report, no_completion_rules, tickets, steps, group_by, narrow
):
    start = START + timedelta(days=2 * next(_windows))
    made = []
    for priority, place, offset in tickets:
        with clock.at(start + timedelta(minutes=offset)):
            lon, lat = PLACES[place]
            made.append(make_ticket(priority=priority, now=clock.now, lon=lon, lat=lat))
    with clock.at(start + timedelta(minutes=601)):
        for which, kind, choice, delay in steps:
            clock.advance(delay)
            ticket = db.session.get(Ticket, made[which % len(made)].id)
            options = _options(ticket, forward=kind < 7)
            if options:
                _take(ticket, options[choice % len(options)], people)

    q: dict[str, Any] = {"group_by": group_by}
    if narrow == "priority":
        q["priority"] = tickets[0][0]
    elif narrow == "engineer":
        q["engineer_id"] = str(people.engineers[0].id)
    elif narrow == "region":
        q["region_id"] = str(people.regions[0])
    elif narrow == "status":  # the first ticket's status now
        q["status"] = str(db.session.get(Ticket, made[0].id).status)
    elif narrow == "statuses":  # several, any matches
        q["status"] = "new,accepted,completed,cancelled"
    period = {"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()}
    answers = {}
    for kind in ("sla", "times", "backlog"):
        r = report(kind, **period, **q)
        assert r.status_code == 200, r.get_json()
        answers[kind] = r.get_json()

    groups = grouped(raw_rows(start, start + timedelta(days=1)), q)
    now = datetime.fromisoformat(answers["sla"]["generated_at"])
    assert {g.pop("key"): g for g in answers["sla"]["groups"]} == approx(
        {k: expected_sla(rows, now) for k, rows in groups.items()}
    )
    assert {g.pop("key"): g for g in answers["times"]["groups"]} == approx(
        {k: expected_times(rows) for k, rows in groups.items()}
    )
    backlog_now = datetime.fromisoformat(answers["backlog"]["generated_at"])
    got = {(g.pop("key"), g.pop("status")): g for g in answers["backlog"]["groups"]}
    assert got == expected_backlog(groups, backlog_now)
