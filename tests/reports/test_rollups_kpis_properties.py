"""Property test of first-time fix, customers and parts served from the rollups (docs/kpis.md,
"Rollups"): after random ticket life cycles (the walk of test_reports_properties.py), reopens,
corrections (priority, location), ratings on the tracking page and with the signature (second
signatures kept as conflicts), new tickets on the same assets (which turn an earlier
completion into a repeat fault after it was rolled up), QR reports and parts used on the jobs
(online, offline and synced late, replayed, from a van running out: stock-outs), all through
the real operations at controlled times, with catch-ups at random moments in between, the
reports served from the rollups equal the reference SQL over the raw rows (``first_fix.py``,
``customers.py``, ``consumption.py``) exactly, before and after a final catch-up, for every
group and filter the rollups answer differently (a rollup dimension, a filter on one, the
facts or raw uses only).

Examples lie in the last months, so completions are still in their repeat window
(``window_open``) for some of them. ``ROLLUP_KPI_PROPERTY_EXAMPLES`` sets the count.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis.strategies as st
from hypothesis import event, given
from sqlalchemy import text

from backend.db import db
from backend.reports import (
    catchup,
    consumption,
    customers,
    first_fix,
    queries,
    served,
    served_parts,
)
from backend.reports.filters import ReportFilter
from backend.reports.scope import KpiFilter
from backend.workorders.models import Ticket
from tests.reports.conftest import walk_settings
from tests.reports.test_kpis_properties_more import (
    FINISHED,
    World,
    _make,
    _move_stock,
    _replay_or_offline,
    _sign,
    _use,
)
from tests.reports.test_reports_properties import _options, _take
from tests.reports.test_rollups_properties import _correct, _finish, _rate

SETTINGS = walk_settings("ROLLUP_KPI_PROPERTY_EXAMPLES", 25)
# Each example 3 days before the previous one, the first ending near now (walks overlap in
# time, never in assets or customers: each example has its own).
SPACING = timedelta(days=3)
END = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=4)
_windows = itertools.count()
WINDOW = timedelta(days=30)
AT_RISK_FRACTION = 0.75
GROUPS = [
    "none", "priority", "region", "engineer", "status", "customer", "asset_model", "asset", "day",
    "week",
]  # fmt: skip
NARROW = ["none", "priority", "engineer", "region", "customer", "asset_model", "status"]

tickets_st = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3", "P4"]),
        st.integers(0, 4),
        st.booleans(),
        st.integers(0, 2 * 1440),
    ),
    min_size=1,
    max_size=4,
)
# (which ticket; kind: 0-5 the next step of a normal job, 6 any other allowed move, 7 a
# correction, 8 a QR report finished and rated on its tracking page, 9 a sign-off, 10 the
# fault of a finished job comes back (a new ticket on its asset), 11 a new ticket, 12-13 a
# catch-up, 14-15 the normal way on to completed, 16-17 a part used on the job, 18 a replayed
# or offline use; which option, minutes since the last step)
steps_st = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 18), st.integers(0, 29), st.integers(1, 300)),
    min_size=10,
    max_size=50,
)


def _walk(clock, people, make_ticket, world, made, steps, app) -> None:
    for which, kind, choice, delay in steps:
        clock.advance(delay)
        ticket = db.session.get(Ticket, made[which % len(made)].id)
        if kind == 7:
            _correct(ticket, choice, people, app)
        elif kind == 8:  # a customer with a tracking page (a QR report) gets the job done, rates
            public = [t for t in made if db.session.get(Ticket, t.id).tracking_token]
            if public:
                chosen = public[choice % len(public)]
                _finish(db.session.get(Ticket, chosen.id), people, clock)
                _rate(db.session.get(Ticket, chosen.id), choice)
        elif kind == 9:
            _sign(ticket, choice, people, clock)
        elif kind == 10:  # the fault comes back: a new ticket on a finished job's asset
            done = [db.session.get(Ticket, t.id) for t in made]
            done = [t for t in done if t.status in FINISHED and t.asset_id is not None]
            if done:
                asset_id = done[choice % len(done)].asset_id
                place = next(i for i, a in enumerate(world.assets) if a.id == asset_id)
                made.append(_make(make_ticket, world, "P2", place, choice % 2 == 0, clock.now))
        elif kind == 11:
            place, qr = choice % 5, choice % 2 == 0  # QR reports have a tracking page
            made.append(_make(make_ticket, world, f"P{1 + choice % 4}", place, qr, clock.now))
        elif kind in (12, 13):
            catchup.catch_up(db.session, batch=1 + choice % 3)
        elif kind in (14, 15):
            _finish(ticket, people, clock)
        elif kind in (16, 17):
            _use(world, ticket, choice, people)
        elif kind == 18:
            _replay_or_offline(world, ticket, choice, clock)
        else:
            options = _options(ticket, forward=kind < 6)
            if options:
                _take(ticket, options[choice % len(options)], people)


def _assert_equal(filters: list[KpiFilter]) -> None:
    now = datetime.now(UTC)
    extra = [replace(filters[0], group_by=g) for g in ("part", "engineer", "asset_model")]
    for f in filters + extra:
        assert served_parts.parts_report(f) == consumption.parts_report(f), f
    for f in filters:
        assert served.first_fix_report(f, now=now, window=WINDOW) == first_fix.first_fix_report(
            f, now=now, window=WINDOW
        ), f
        assert served.customers_report(f, now=now) == customers.customers_report(f), f
        plain = ReportFilter(
            period_from=f.period_from,
            period_to=f.period_to,
            group_by=f.group_by if f.group_by in ("none", "region", "week") else "none",
        )
        assert served.sla_report(plain, now=now, at_risk_fraction=AT_RISK_FRACTION) == (
            queries.sla_report(plain, now=now, at_risk_fraction=AT_RISK_FRACTION)
        ), plain


@SETTINGS
@given(
    tickets=tickets_st,
    steps=steps_st,
    group_by=st.sampled_from(GROUPS),
    narrow=st.sampled_from(NARROW),
    hours=st.tuples(st.sampled_from([0, 0, 5, 13]), st.sampled_from([0, 0, 7, 20])),
)
def test_first_fix_and_customers_from_rollups_equal_the_reference_sql(
    app, clock, people, make_ticket, make_customer, make_site, make_asset, no_completion_rules,
    tickets, steps, group_by, narrow, hours,
):  # fmt: skip
    world = World(app, people, make_customer, make_site, make_asset)
    start = END - SPACING * (1 + next(_windows))
    made = []
    for priority, place, qr, offset in tickets:
        with clock.at(start + timedelta(minutes=offset)):
            made.append(_make(make_ticket, world, priority, place, qr, clock.now))
    if not served.ready() or len(made) % 2:
        catchup.catch_up(db.session)  # facts of some tickets exist before their steps
    with clock.at(start + timedelta(days=2, minutes=1)):
        _move_stock(world, 0, people)  # a little stock in the warehouse and engineer 0's van
        _move_stock(world, 6 + 1, people)
        _walk(clock, people, make_ticket, world, made, steps, app)

    q: dict[str, Any] = {"group_by": group_by}
    if narrow == "priority":
        q["priority"] = tickets[0][0]
    elif narrow == "engineer":
        q["engineer_id"] = people.engineers[0].id
    elif narrow == "region":
        q["region_id"] = people.regions[0]
    elif narrow == "customer":
        q["customer_id"] = world.customers[len(steps) % 2].id
    elif narrow == "asset_model":
        q["asset_model"] = "ZX-1" if len(steps) % 2 else "CX-900"
    elif narrow == "status":  # one status, or several (any matches)
        first = str(db.session.get(Ticket, made[0].id).status)
        q["status"] = (first,) if len(steps) % 2 else ("closed", "completed", "new")
    period = (start + timedelta(hours=hours[0]), start + timedelta(days=4, hours=hours[1]))
    whole = (start, start + timedelta(days=7))
    filters = [
        KpiFilter(period_from=period[0], period_to=period[1], **q),
        KpiFilter(period_from=whole[0], period_to=whole[1], group_by="asset_model"),
        KpiFilter(period_from=period[0], period_to=period[1], group_by="week"),
        KpiFilter(period_from=whole[0], period_to=whole[1], group_by="none"),
        KpiFilter(period_from=period[0], period_to=period[1], group_by="status"),
    ]
    _assert_equal(filters)  # with whatever the last catch-up left behind
    catchup.catch_up(db.session)
    _assert_equal(filters)  # all caught up: the rollups answer the whole days
    now = datetime.now(UTC)
    ftf = first_fix.first_fix_report(filters[-1], now=now, window=WINDOW)
    for what in ("completed", "repeat_faults", "window_open"):
        event(f"first-fix {what}: {'some' if any(g[what] for g in ftf) else 'none'}")
    uses = consumption.parts_report(replace(filters[3], group_by="part"))
    event(f"parts: {'some' if uses else 'none'}")
    event(f"parts stock-outs: {'some' if any(g['stockouts'] for g in uses) else 'none'}")
    cust = customers.customers_report(filters[-1])
    for what in ("rated_on_tracking", "rated_at_signoff"):
        event(f"customers {what}: {'some' if any(g[what] for g in cust) else 'none'}")


def test_a_new_ticket_on_the_asset_makes_a_rolled_up_fix_a_repeat_fault(
    app, clock, people, make_ticket, make_customer, make_site, make_asset, no_completion_rules
):
    """A job completed, closed and rolled up; days later the fault comes back on the same
    asset. Its first-time fix turns into a repeat fault at once (the request reads the rolled
    up ticket afresh) and stays one after the catch-up (which refreshes it and its day)."""
    world = World(app, people, make_customer, make_site, make_asset)
    start = END - timedelta(days=20)
    with clock.at(start + timedelta(hours=3)):
        t = _make(make_ticket, world, "P3", 0, False, clock.now)
        for option in ("assign:0", "accept", "start_travel", "arrive", "start_work", "complete"):
            clock.advance(30)
            _take(db.session.get(Ticket, t.id), option, people)
        clock.advance(60)
        _take(db.session.get(Ticket, t.id), "close", people)
    catchup.catch_up(db.session)
    period = KpiFilter(period_from=start, period_to=start + timedelta(days=2), group_by="asset")
    now = datetime.now(UTC)
    before = served.first_fix_report(period, now=now, window=WINDOW)
    assert [(g["first_time_fix"], g["repeat_faults"]) for g in before] == [(1, 0)]
    with clock.at(start + timedelta(days=5)):
        _make(make_ticket, world, "P2", 0, False, clock.now)
    for f in (period, replace(period, group_by="none")):
        fresh = served.first_fix_report(f, now=now, window=WINDOW)
        assert fresh == first_fix.first_fix_report(f, now=now, window=WINDOW)
        assert [(g["first_time_fix"], g["repeat_faults"]) for g in fresh] == [(0, 1)]
    catchup.catch_up(db.session)
    for f in (period, replace(period, group_by="none")):
        after = served.first_fix_report(f, now=now, window=WINDOW)
        assert after == first_fix.first_fix_report(f, now=now, window=WINDOW)
        assert [(g["first_time_fix"], g["repeat_faults"]) for g in after] == [(0, 1)]


def test_a_rating_synced_with_a_late_signature_counts_for_a_rolled_up_job(
    app, clock, people, make_ticket, make_customer, make_site, make_asset, no_completion_rules
):
    """A job completed by a second engineer and rolled up; the first engineer's phone then
    syncs the customer's signature with a rating (only a sign-off row changes, not the
    ticket). The customers report counts the rating at once and after the catch-up."""
    world = World(app, people, make_customer, make_site, make_asset)
    start = END - timedelta(days=40)
    with clock.at(start + timedelta(hours=3)):
        t = _make(make_ticket, world, "P3", 0, False, clock.now)
        for option in ("assign:0", "assign:1", "accept", "start_travel", "arrive", "start_work"):
            clock.advance(30)
            _take(db.session.get(Ticket, t.id), option, people)
        clock.advance(30)
        _take(db.session.get(Ticket, t.id), "complete", people)
    catchup.catch_up(db.session)
    f = KpiFilter(period_from=start, period_to=start + timedelta(days=2), group_by="none")
    now = datetime.now(UTC)
    assert [g["rated"] for g in served.customers_report(f, now=now)] == [0]
    with clock.at(start + timedelta(hours=9)):
        _sign(db.session.get(Ticket, t.id), 4, people, clock)  # 4: offline, former engineer
    signed = served.customers_report(f, now=now)
    assert signed == customers.customers_report(f)
    assert [(g["rated_at_signoff"], g["scores"]["s4"]) for g in signed] == [(1, 1)]
    catchup.catch_up(db.session)
    assert served.customers_report(f, now=now) == signed


def test_another_window_rebuilds_and_is_never_read_from_rollups_of_the_old_one(
    app, clock, people, make_ticket, make_customer, make_site, make_asset, no_completion_rules
):
    """The rollups' repeat faults are counted with one window: a catch-up under another
    FIELDOPS_FIRST_FIX_WINDOW_DAYS rebuilds them, and a request with a window they were not
    counted with reads the facts instead (the same answer as the reference either way)."""
    world = World(app, people, make_customer, make_site, make_asset)
    start = END - timedelta(days=80)
    with clock.at(start + timedelta(hours=3)):
        t = _make(make_ticket, world, "P3", 0, False, clock.now)
        for option in ("assign:0", "accept", "start_travel", "arrive", "start_work", "complete"):
            clock.advance(30)
            _take(db.session.get(Ticket, t.id), option, people)
        clock.advance(60)
        _take(db.session.get(Ticket, t.id), "close", people)
    with clock.at(start + timedelta(days=20)):
        _make(make_ticket, world, "P2", 0, False, clock.now)  # a repeat within 30 days, not 10
    catchup.catch_up(db.session)
    short = timedelta(days=10)
    assert catchup.catch_up(db.session, window=short).rebuilt
    assert catchup.window_of_rollups(db.session) == short
    f = KpiFilter(period_from=start, period_to=start + timedelta(days=2), group_by="none")
    now = datetime.now(UTC)
    for window, repeats in ((short, 0), (WINDOW, 1)):
        got = served.first_fix_report(f, now=now, window=window)
        assert got == first_fix.first_fix_report(f, now=now, window=window)
        assert [g["repeat_faults"] for g in got] == [repeats]
    assert catchup.catch_up(db.session).rebuilt  # back to the app's window
    assert catchup.window_of_rollups(db.session) == WINDOW


def test_a_use_synced_late_counts_on_its_rolled_up_day_and_its_own_stock_out(
    app, clock, people, make_ticket, make_customer, make_site, make_asset, no_completion_rules
):
    """A part used and rolled up; later the same day a phone syncs a use recorded offline on
    another ticket that empties the van. The parts report counts it at once (the day is read
    raw) and after the catch-up (the day rebuilt): two uses, two tickets, one stock-out, in
    the right asset model's rows."""
    world = World(app, people, make_customer, make_site, make_asset)
    start = END - timedelta(days=50)
    with clock.at(start + timedelta(hours=3)):
        first = _make(make_ticket, world, "P3", 0, False, clock.now)  # asset model CX-900
        second = _make(make_ticket, world, "P2", 1, False, clock.now)  # asset model ZX-1
        for t in (first, second):
            for option in ("assign:0", "accept", "start_travel", "arrive", "start_work"):
                _take(db.session.get(Ticket, t.id), option, people)
        _move_stock(world, 6 + 1, people)  # a little stock in engineer 0's van
        _use(world, db.session.get(Ticket, first.id), 1, people)
    catchup.catch_up(db.session)
    day = KpiFilter(period_from=start, period_to=start + timedelta(days=1), group_by="none")
    filters = [replace(day, group_by=g) for g in ("part", "asset_model", "engineer", "none")]
    for f in filters:
        assert served_parts.parts_report(f) == consumption.parts_report(f), f
    with clock.at(start + timedelta(hours=9)):
        _replay_or_offline(world, db.session.get(Ticket, second.id), 6, clock)
        _replay_or_offline(world, db.session.get(Ticket, second.id), 6, clock)
    fresh = [served_parts.parts_report(f) for f in filters]
    assert fresh == [consumption.parts_report(f) for f in filters]
    assert sum(g["usages"] for g in fresh[0]) == 3
    assert sum(g["stockouts"] for g in fresh[0]) == 2  # none of part 0 in the van
    assert {g["key"] for g in fresh[1]} == {"CX-900", "ZX-1"}
    assert catchup.catch_up(db.session).part_days == 1
    assert [served_parts.parts_report(f) for f in filters] == fresh
    rolled = db.session.execute(
        text("SELECT sum(usages), sum(stockouts) FROM part_rollups WHERE dim = 'all' AND day = :d"),
        {"d": start.date()},
    ).one()
    assert (int(rolled[0]), int(rolled[1])) == (3, sum(g["stockouts"] for g in fresh[0]))
