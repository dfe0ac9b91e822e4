"""Property test of the rollups (docs/kpis.md, "Rollups"): after random ticket life cycles
(assign, reassign, unassign, accept, reject, travel, arrive, start, hold, resume, complete,
close, cancel, reopen), corrections (priority changes that move the SLA deadlines, moves into
and out of regions) and customer ratings, all through the real operations at controlled
times, with catch-ups of the rollups at random moments in between, every KPI served from the
rollups equals the reference SQL over the raw rows (``backend.reports.queries``): exactly,
medians and p90 included, before and after a final catch-up.

Periods start and end at random hours over four days, so whole days come from the rollups and
the partial ones from the facts; the fresh part (tickets changed after the watermark) and the
live part (open tickets) are exercised whenever the last catch-up is older than the last step.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import given
from sqlalchemy import text

from backend.accounts.models import User
from backend.db import db
from backend.geo import Location
from backend.public.operations import RATEABLE, rate
from backend.reports import catchup, queries, served, served_workload, work, workload
from backend.reports.filters import ReportFilter
from backend.reports.scope import KpiFilter
from backend.workorders import operations as ops
from backend.workorders.models import Ticket
from tests.reports.conftest import People, walk_settings
from tests.reports.test_reports_properties import PLACES, _options, _take

SETTINGS = walk_settings("ROLLUP_PROPERTY_EXAMPLES", 30)
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=900)
_windows = itertools.count()
AT_RISK_FRACTION = 0.75
GROUPS = ["none", "priority", "region", "engineer", "status", "day", "week", "month"]
NARROW = ["none", "priority", "engineer", "region", "status", "open"]

tickets_st = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3", "P4"]),
        st.integers(0, 3),
        st.integers(0, 4 * 1440 - 700),
        st.booleans(),
    ),
    min_size=1,
    max_size=5,
)
# (which ticket, kind: 0-6 the next step of a normal job, 7-8 any other allowed move,
# 9 a correction, 10 a rating, 11-12 a catch-up, 13-14 the normal way on to completed;
# which option, minutes since the last step)
steps_st = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 14), st.integers(0, 20), st.integers(1, 900)),
    min_size=10,
    max_size=60,
)


def _correct(ticket: Ticket, choice: int, people: People, app: Any) -> None:
    """A dispatcher's correction: another priority (new deadlines) or another place."""
    dispatcher = db.session.get(User, people.dispatcher.id)
    if choice % 2:
        changes: dict[str, Any] = {"priority": ["P1", "P2", "P3", "P4"][choice % 4]}
    else:
        changes = {"location": Location(*PLACES[choice % len(PLACES)])}
    ops.update_ticket(
        ops.get_ticket(ticket.id),
        actor=dispatcher,
        changes=changes,
        version=ticket.version,
        sla_policy=app.config["SLA_POLICY"],
    )
    db.session.commit()


def _rate(ticket: Ticket, choice: int) -> None:
    if ticket.tracking_token and ticket.status in RATEABLE and ticket.rating is None:
        rate(ticket.tracking_token, score=1 + choice % 5)
        db.session.commit()


def _finish(ticket: Ticket, people: People, clock: Any) -> None:
    """Follow the normal way until the job is completed (or can go no further)."""
    for _ in range(8):
        ticket = db.session.get(Ticket, ticket.id)
        if ticket.status in ("completed", "closed"):
            return
        options = _options(ticket, forward=True)
        if not options:
            return
        clock.advance(17)
        _take(ticket, options[0], people)


def _filter(q: dict[str, Any], period: tuple[datetime, datetime]) -> ReportFilter:
    return ReportFilter(period_from=period[0], period_to=period[1], **q)


# Workload's groups beyond the cohort reports' (no rollup by customer; one by asset model).
WORKLOAD_MORE = [
    {"group_by": "customer"},
    {"group_by": "asset_model"},
    {"group_by": "engineer", "priority": "P2"},
    {"group_by": "none", "status": ("closed", "completed")},
]


def _assert_equal(filters: list[ReportFilter]) -> None:
    now = datetime.now(UTC)
    for f in filters:
        assert served.sla_report(f, now=now, at_risk_fraction=AT_RISK_FRACTION) == (
            queries.sla_report(f, now=now, at_risk_fraction=AT_RISK_FRACTION)
        ), f
        assert served.times_report(f, now=now) == queries.times_report(f), f
        assert served.backlog_report(f, now=now) == queries.backlog_report(f, now=now), f
    period = (filters[0].period_from, filters[0].period_to)
    kpi = [KpiFilter(**asdict(f)) for f in filters]
    kpi += [KpiFilter(period_from=period[0], period_to=period[1], **q) for q in WORKLOAD_MORE]
    for kf in kpi:
        assert served_workload.workload_report(kf, now=now) == (
            workload.workload_report(kf, now=now)
        ), kf


@SETTINGS
@given(
    tickets=tickets_st,
    steps=steps_st,
    group_by=st.sampled_from(GROUPS),
    narrow=st.sampled_from(NARROW),
    hours=st.tuples(st.sampled_from([0, 0, 5, 13]), st.sampled_from([0, 0, 7, 20])),
)
def test_rollups_equal_the_reference_sql_over_raw_rows(
    app, clock, people, make_ticket, no_completion_rules, tickets, steps, group_by, narrow, hours
):
    start = START + timedelta(days=6 * next(_windows))
    made = []
    for priority, place, offset, public in tickets:
        with clock.at(start + timedelta(minutes=offset)):
            lon, lat = PLACES[place]
            source = "public" if public else "staff"
            made.append(
                make_ticket(priority=priority, now=clock.now, lon=lon, lat=lat, source=source)
            )
    if not served.ready() or len(made) % 2:
        catchup.catch_up(db.session)  # facts of some tickets exist before their steps
    with clock.at(start + timedelta(minutes=4 * 1440 - 600)):
        for which, kind, choice, delay in steps:
            clock.advance(delay)
            ticket = db.session.get(Ticket, made[which % len(made)].id)
            if kind == 9:
                _correct(ticket, choice, people, app)
            elif kind == 10:
                _rate(ticket, choice)
            elif kind in (11, 12):
                catchup.catch_up(db.session, batch=1 + choice % 3)
            elif kind >= 13:
                _finish(ticket, people, clock)
            else:
                options = _options(ticket, forward=kind < 7)
                if options:
                    _take(ticket, options[choice % len(options)], people)

    q: dict[str, Any] = {"group_by": group_by}
    if narrow == "priority":
        q["priority"] = tickets[0][0]
    elif narrow == "engineer":
        q["engineer_id"] = people.engineers[0].id
    elif narrow == "region":
        q["region_id"] = people.regions[0]
    elif narrow == "status":  # the first ticket's status now, one value
        q["status"] = (str(db.session.get(Ticket, made[0].id).status),)
    elif narrow == "open":  # several values, any matches
        q["status"] = ("accepted", "assigned", "completed", "new")
    period = (start + timedelta(hours=hours[0]), start + timedelta(days=3, hours=hours[1]))
    filters = [
        _filter(q, period),
        _filter({"group_by": "week"}, period),
        _filter({"group_by": "region"}, period),
        _filter({"group_by": "day", "region_id": people.regions[1]}, period),
        _filter({"group_by": "status", "status": ("closed", "completed", "new")}, period),
    ]
    _assert_equal(filters)  # with whatever the last catch-up left behind
    catchup.catch_up(db.session)
    _assert_equal(filters)  # all caught up: the rollups answer the whole days
    # Workload's rollups, kept by adding each change's difference, are the sums of the work
    # rows a rebuild from scratch gives (no key left with nothing, none missing).
    # So are their per-day sums (rebuilt for each day a batch changed), engineers included.
    rolled = _workload_rollups()
    by_day = _workload_rollups("workload_day_rollups", "engineers::text")
    work.rebuild_all_work_days(db.session)
    assert rolled == _workload_rollups()
    assert by_day == _workload_rollups("workload_day_rollups", "engineers::text")


def _workload_rollups(
    table: str = "workload_rollups", engineer: str = "engineer_id::text"
) -> list[tuple[Any, ...]]:
    rows = db.session.execute(
        text(
            f"SELECT day, dim, value, {engineer}, travel_s, on_site_s, work_s, paused_s,"
            f" completed FROM {table}"
        )
    )
    return sorted((tuple(r) for r in rows), key=repr)


def test_catch_up_waits_for_a_transaction_still_open(app, session):
    """The watermark never passes a change whose transaction has not committed, although a
    later transaction (with a higher id) committed before it: a sequence would skip it.

    Two other connections commit for real (the test's own transaction is one more open one);
    the horizon is cluster-wide, so the wait for it is a poll, not one call."""
    first, second = db.engine.connect(), db.engine.connect()
    insert = text(
        "INSERT INTO sync_changes (entity, entity_id, op) VALUES"
        " ('tickets', gen_random_uuid(), 'u') RETURNING xid::text, id"
    )
    rows = []
    try:
        slow = first.begin()
        rows.append(first.execute(insert).one())
        with second.begin():
            rows.append(second.execute(insert).one())
        assert int(rows[0][1]) < int(rows[1][1])
        # From no rollups, whatever ran before: a periodic catch-up run by a real worker in
        # another test (tests/workorders' scheduler test drains every due job, this one too)
        # commits a watermark on its own connection, and with it this catch-up would not
        # rebuild. Deleted only now: this write gives the test's transaction an id, which must
        # be newer than the two rows' or it would hold the horizon below them to the end.
        db.session.execute(text("DELETE FROM report_rollup_state"))
        done = catchup.catch_up(db.session)
        assert done.rebuilt and done.changes == 0  # the open one holds both back
        mark = catchup.watermark(db.session)
        assert mark is not None and mark <= (int(rows[0][0]), int(rows[0][1]))
        slow.commit()
        # Any open transaction on the cluster (another database's included) holds the
        # horizon: wait until it has passed both rows, then one catch-up reads them.
        deadline = time.monotonic() + 300
        while (
            time.monotonic() < deadline
            and not db.session.execute(
                text("SELECT CAST(:x AS xid8) < pg_snapshot_xmin(pg_current_snapshot())"),
                {"x": rows[1][0]},
            ).scalar()
        ):
            time.sleep(0.2)
        assert catchup.catch_up(db.session).changes == 2
        assert catchup.watermark(db.session) >= (int(rows[0][0]), int(rows[0][1]))
    finally:
        with db.engine.begin() as conn:
            conn.execute(
                text("DELETE FROM sync_changes WHERE id = ANY(:ids)"),
                {"ids": [int(r[1]) for r in rows]},
            )
        first.close()
        second.close()


@pytest.mark.parametrize("group_by", ["region", "week"])
def test_reports_read_the_rollups_once_built(
    app, clock, people, make_ticket, report, no_completion_rules, group_by
):
    """Through the API: the same answer before the first catch-up (the reference SQL) and
    after it (rollups), for the Insights screen's groupings."""
    start = START - timedelta(days=30)
    with clock.at(start + timedelta(hours=3)):
        t = make_ticket(priority="P2", now=clock.now)
    with clock.at(start + timedelta(hours=4)):
        _take(t, "assign:0", people)
        _take(db.session.get(Ticket, t.id), "accept", people)
        _take(db.session.get(Ticket, t.id), "start_travel", people)
        _take(db.session.get(Ticket, t.id), "arrive", people)
        _take(db.session.get(Ticket, t.id), "start_work", people)
        _take(db.session.get(Ticket, t.id), "complete", people)
    period = {"from": start.isoformat(), "to": (start + timedelta(days=2)).isoformat()}
    before = {k: report(k, group_by=group_by, **period).get_json() for k in ("sla", "times")}
    catchup.catch_up(db.session)
    fact = db.session.execute(text("SELECT settled FROM ticket_facts WHERE id = :i"), {"i": t.id})
    assert fact.scalar_one() is True
    after = {k: report(k, group_by=group_by, **period).get_json() for k in ("sla", "times")}
    for k in before:
        before[k].pop("generated_at"), after[k].pop("generated_at")
    assert after == before
    assert after["times"]["groups"][0]["to_complete"]["n"] == 1


def test_a_rolled_up_ticket_changed_after_the_watermark_counts_once(
    app, clock, people, make_ticket, no_completion_rules
):
    """A completed ticket in the rollups, then closed and reopened before the next catch-up:
    the report reads its day from the facts with the fresh row, never the stale rollup too."""
    start = START - timedelta(days=60)
    with clock.at(start + timedelta(days=1, hours=3)):
        t = make_ticket(priority="P3", now=clock.now)
        for option in ("assign:0", "accept", "start_travel", "arrive", "start_work", "complete"):
            clock.advance(30)
            _take(db.session.get(Ticket, t.id), option, people)
    catchup.catch_up(db.session)
    period = (start, start + timedelta(days=3))
    filters = [_filter({"group_by": g}, period) for g in ("none", "week", "region")]
    _assert_equal(filters)
    rolled = db.session.execute(
        text("SELECT tickets FROM report_rollups WHERE dim = 'all' AND day = :d"),
        {"d": (start + timedelta(days=1)).date()},
    )
    assert rolled.scalar_one() == 1
    with clock.at(start + timedelta(days=1, hours=8)):
        _take(db.session.get(Ticket, t.id), "close", people)
        _assert_equal(filters)
        _take(db.session.get(Ticket, t.id), "reopen", people)
    _assert_equal(filters)
    catchup.catch_up(db.session)
    _assert_equal(filters)
