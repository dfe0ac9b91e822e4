"""The generation job with a real database: which occurrences become tickets (with the job
type, the arrival window, from now on, within the horizon), the recurrence cases a planner
meets (clock changes, the 31st, the last Friday, COUNT and UNTIL, a plan started in the
past), skip and move before and after the ticket exists, and running it twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from backend.db import db, utcnow
from backend.jobs import enqueue_after_commit
from backend.jobs.periodic import all_periodic
from backend.maintenance import occurrences as occ
from backend.maintenance.models import Occurrence
from backend.maintenance.plans import set_state
from backend.maintenance.tasks import generate_all, generate_tickets
from backend.workorders.models import Ticket
from backend.workorders.states import Status
from tests.maintenance.conftest import utc


def _tickets(plan) -> list[Ticket]:
    stmt = (
        select(Ticket)
        .join(Occurrence, Occurrence.ticket_id == Ticket.id)
        .where(Occurrence.plan_id == plan.id)
        .order_by(Ticket.window_start)
    )
    return list(db.session.scalars(stmt))


def _berlin(at: datetime | None) -> str:
    from zoneinfo import ZoneInfo

    assert at is not None
    return at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M")


def test_tickets_within_the_horizon_with_job_type_and_window(make_plan, make_asset, job_type):
    asset = make_asset()
    plan = make_plan(
        asset_id=asset.id,
        rrule="FREQ=WEEKLY;BYDAY=MO",
        dtstart=datetime(2026, 3, 2, 9, 0),
        horizon_days=14,
        window_minutes=90,
    )
    result = generate_all(utc(2026, 3, 3))  # Tuesday: next Mondays 9th and 16th
    assert result == {"tickets": 2, "failed_plans": []}
    tickets = _tickets(plan)
    assert [_berlin(t.window_start) for t in tickets] == ["2026-03-09 09:00", "2026-03-16 09:00"]
    first = tickets[0]
    assert first.window_end - first.window_start == timedelta(minutes=90)
    assert first.job_type_id == job_type.id and first.job_type_version_id is not None
    assert first.asset_id == asset.id and first.site_id == asset.site_id
    assert first.source == "plan" and first.status == Status.NEW
    assert first.title == f"Monthly chiller check: {asset.name}"
    assert first.priority == "P3"  # the job type's default


def test_generation_run_twice_creates_each_occurrence_once(make_plan, make_site, make_asset):
    site = make_site()
    make_asset(site, name="Pump A"), make_asset(site, name="Pump B")
    plan = make_plan(site_id=site.id, rrule="FREQ=DAILY", dtstart=datetime(2026, 3, 1, 7, 0))
    now = utc(2026, 3, 10)
    first = generate_all(now)
    assert first["tickets"] == 2 * 14
    assert generate_all(now) == {"tickets": 0, "failed_plans": []}
    # a later run adds only the day that came into the horizon
    assert generate_all(now + timedelta(days=1))["tickets"] == 2
    assert len(_tickets(plan)) == 2 * 15


def test_clocks_going_forward_keep_the_local_time(make_plan, make_asset):
    plan = make_plan(
        asset_id=make_asset().id, rrule="FREQ=WEEKLY;BYDAY=MO", dtstart=datetime(2026, 3, 16, 9)
    )
    generate_all(utc(2026, 3, 15))
    tickets = _tickets(plan)
    assert [_berlin(t.window_start) for t in tickets] == ["2026-03-16 09:00", "2026-03-23 09:00"]
    plan.horizon_days = 23
    db.session.commit()
    generate_all(utc(2026, 3, 15))
    starts = [t.window_start for t in _tickets(plan)]
    assert [s.hour for s in starts if s is not None] == [8, 8, 7, 7]  # UTC moves, local stays
    # the skipped hour: 02:30 on 29 March happens at 03:30
    early = make_plan(
        name="Night check",
        asset_id=make_asset(name="Boiler").id,
        rrule="FREQ=DAILY",
        dtstart=datetime(2026, 3, 28, 2, 30),
        horizon_days=3,
    )
    generate_all(utc(2026, 3, 28))
    assert [_berlin(t.window_start) for t in _tickets(early)] == [
        "2026-03-28 02:30",
        "2026-03-29 03:30",
        "2026-03-30 02:30",
    ]


def test_clocks_going_back_make_one_occurrence(make_plan, make_asset):
    plan = make_plan(
        asset_id=make_asset().id,
        rrule="FREQ=DAILY",
        dtstart=datetime(2026, 10, 24, 2, 30),
        horizon_days=3,
    )
    generate_all(utc(2026, 10, 24))
    assert [t.window_start for t in _tickets(plan)] == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),  # 02:30 summer time, the first of the two
        utc(2026, 10, 26, 1, 30),
    ]


def test_the_31st_and_the_last_day_of_the_month(make_plan, make_asset):
    asset = make_asset()
    on_31st = make_plan(
        asset_id=asset.id,
        rrule="FREQ=MONTHLY;BYMONTHDAY=31",
        dtstart=datetime(2026, 1, 31, 10),
        horizon_days=160,
    )
    month_end = make_plan(
        name="Month end",
        asset_id=asset.id,
        rrule="FREQ=MONTHLY;BYMONTHDAY=-1",
        dtstart=datetime(2026, 1, 31, 10),
        horizon_days=160,
    )
    generate_all(utc(2026, 1, 1))
    assert [_berlin(t.window_start)[:10] for t in _tickets(on_31st)] == [
        "2026-01-31",
        "2026-03-31",
        "2026-05-31",
    ]
    assert [_berlin(t.window_start)[:10] for t in _tickets(month_end)] == [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
    ]


def test_the_last_friday(make_plan, make_asset):
    plan = make_plan(
        asset_id=make_asset().id,
        rrule="FREQ=MONTHLY;BYDAY=-1FR",
        dtstart=datetime(2026, 1, 1, 8),
        horizon_days=120,
    )
    generate_all(utc(2026, 1, 1))
    assert [_berlin(t.window_start) for t in _tickets(plan)] == [
        "2026-01-30 08:00",
        "2026-02-27 08:00",
        "2026-03-27 08:00",
        "2026-04-24 08:00",
    ]


def test_count_and_until_stop_the_plan(make_plan, make_asset):
    asset = make_asset()
    counted = make_plan(
        asset_id=asset.id,
        rrule="FREQ=WEEKLY;BYDAY=WE;COUNT=3",
        dtstart=datetime(2026, 3, 4, 9),
        horizon_days=60,
    )
    until = make_plan(
        name="Until",
        asset_id=asset.id,
        rrule="FREQ=WEEKLY;BYDAY=TH;UNTIL=20260319",
        dtstart=datetime(2026, 3, 5, 9),
        horizon_days=60,
    )
    generate_all(utc(2026, 3, 1))
    generate_all(utc(2026, 3, 20))
    assert [_berlin(t.window_start)[:10] for t in _tickets(counted)] == [
        "2026-03-04",
        "2026-03-11",
        "2026-03-18",
    ]
    # UNTIL as a date includes that whole local day
    assert [_berlin(t.window_start)[:10] for t in _tickets(until)] == [
        "2026-03-05",
        "2026-03-12",
        "2026-03-19",
    ]


def test_a_plan_created_for_the_past_does_not_catch_up(make_plan, make_asset):
    now = utcnow()
    start = (now - timedelta(days=400)).replace(tzinfo=None, microsecond=0)
    plan = make_plan(
        asset_id=make_asset().id, rrule="FREQ=DAILY", dtstart=start, timezone="UTC", horizon_days=3
    )
    generate_all(now)
    starts = [t.window_start for t in _tickets(plan)]
    assert len(starts) == 3
    assert all(s is not None and now <= s < now + timedelta(days=3) for s in starts)


def test_paused_and_ended_plans_generate_nothing(make_plan, make_asset):
    asset = make_asset()
    plan = make_plan(asset_id=asset.id, rrule="FREQ=DAILY", dtstart=datetime(2026, 3, 1, 9))
    set_state(plan, "pause")
    db.session.commit()
    assert generate_all(utc(2026, 3, 1))["tickets"] == 0
    set_state(plan, "resume")
    db.session.commit()
    assert generate_all(utc(2026, 3, 1))["tickets"] == 14
    set_state(plan, "end", now=utc(2026, 3, 20))
    db.session.commit()
    assert generate_all(utc(2026, 3, 2))["tickets"] == 0  # ended: no plan is due
    ends = make_plan(
        name="Ends ahead",
        asset_id=asset.id,
        rrule="FREQ=DAILY",
        dtstart=datetime(2026, 3, 1, 9),
        ends_at=utc(2026, 3, 4),
    )
    generate_all(utc(2026, 3, 1))
    assert len(_tickets(ends)) == 3  # 1st, 2nd, 3rd; nothing at or after ends_at


def test_skip_and_move_before_and_after_the_ticket(make_plan, make_asset, staff):
    plan = make_plan(
        asset_id=make_asset().id, rrule="FREQ=WEEKLY;BYDAY=MO", dtstart=datetime(2026, 3, 2, 9)
    )
    # before generation: the 9th skipped, the 16th moved to the 17th
    occ.skip(plan, staff, due_at=utc(2026, 3, 9, 8), reason="site closed")
    occ.move(plan, staff, due_at=utc(2026, 3, 16, 8), to=utc(2026, 3, 17, 12))
    db.session.commit()
    generate_all(utc(2026, 3, 4))  # the horizon ends on the 18th
    tickets = _tickets(plan)
    assert [t.window_start for t in tickets] == [utc(2026, 3, 17, 12)]
    assert generate_all(utc(2026, 3, 4))["tickets"] == 0
    # after generation: the 23rd's ticket is created, then cancelled by a skip; the 30th's
    # window moves with its occurrence
    generate_all(utc(2026, 3, 17))
    by_start = {t.window_start: t for t in _tickets(plan)}
    t23, t30 = by_start[utc(2026, 3, 23, 8)], by_start[utc(2026, 3, 30, 7)]
    occ.skip(plan, staff, due_at=utc(2026, 3, 23, 8), reason="site closed")
    occ.move(plan, staff, due_at=utc(2026, 3, 30, 7), to=utc(2026, 3, 31, 6), now=utc(2026, 3, 17))
    db.session.commit()
    assert db.session.get(Ticket, t23.id).status == Status.CANCELLED
    moved = db.session.get(Ticket, t30.id)
    assert (moved.window_start, moved.window_end) == (utc(2026, 3, 31, 6), utc(2026, 3, 31, 8))
    assert generate_all(utc(2026, 3, 17))["tickets"] == 0


def test_the_job_is_periodic_and_runs_on_the_queue(make_plan, make_asset, session, run_jobs):
    assert "backend.maintenance.tasks.generate_tickets" in [p.name for p in all_periodic()]
    now = utcnow()
    start = now.replace(tzinfo=None, microsecond=0) + timedelta(days=1, hours=1)
    plan = make_plan(
        asset_id=make_asset().id, rrule="FREQ=DAILY", dtstart=start, timezone="UTC", horizon_days=3
    )
    enqueue_after_commit(generate_tickets)
    enqueue_after_commit(generate_tickets)
    session.commit()
    run_jobs()
    assert len(_tickets(plan)) == 2  # tomorrow and the day after, once each
