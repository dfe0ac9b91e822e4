"""Workload's rollups (docs/kpis.md, "Rollups"): a stretch over midnight is cut into day
buckets, and an event that arrives late for an already rolled-up day moves the minutes to the
day they were worked, through the catch-up; the served report equals the reference SQL all
along. The random life cycles are in test_rollups_properties.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from backend.accounts.models import User
from backend.db import db
from backend.reports import catchup, served_workload, workload
from backend.reports.scope import KpiFilter
from backend.workorders import operations as ops
from backend.workorders.models import Ticket
from tests.reports.test_reports_properties import _take

START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1400)


def _report(period: tuple[datetime, datetime], **q: Any) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    f = KpiFilter(period_from=period[0], period_to=period[1], **q)
    served = served_workload.workload_report(f, now=now)
    assert served == workload.workload_report(f, now=now), f
    return served


def _work(ticket_id: Any) -> list[tuple[Any, ...]]:
    rows = db.session.execute(
        text(
            "SELECT day, travel_s::float8, on_site_s::float8, work_s::float8, completed"
            " FROM ticket_work WHERE ticket_id = :t ORDER BY day"
        ),
        {"t": ticket_id},
    )
    return [tuple(r) for r in rows]


def test_a_stretch_over_midnight_counts_on_both_days(
    app, clock, people, make_ticket, no_completion_rules
):
    day = START + timedelta(days=1)
    with clock.at(day + timedelta(hours=20)):
        t = make_ticket(priority="P3", now=clock.now)
        for option, minutes in (("assign:0", 10), ("accept", 10), ("start_travel", 200)):
            clock.advance(minutes)
            _take(db.session.get(Ticket, t.id), option, people)
    # travelling from 23:40 to 00:20, on site 20 minutes, working 30
    for option, at in (("arrive", 20), ("start_work", 40), ("complete", 70)):
        with clock.at(day + timedelta(days=1, minutes=at)):
            _take(db.session.get(Ticket, t.id), option, people)
    catchup.catch_up(db.session)
    d1, d2 = day.date(), (day + timedelta(days=1)).date()
    assert _work(t.id) == [(d1, 1200.0, 0.0, 0.0, 0), (d2, 1200.0, 1200.0, 1800.0, 1)]
    rolled = db.session.execute(
        text(
            "SELECT day, travel_s::float8, completed FROM workload_rollups"
            " WHERE dim = 'all' AND day IN (:a, :b) ORDER BY day"
        ),
        {"a": d1, "b": d2},
    )
    assert [tuple(r) for r in rolled] == [(d1, 1200.0, 0), (d2, 1200.0, 1)]
    by_day = _report((day, day + timedelta(days=3)), group_by="day")
    assert [(g["key"], g["minutes"]["travel"], g["engineer_days"]) for g in by_day] == [
        (d1.isoformat(), 20.0, 1),
        (d2.isoformat(), 20.0, 1),
    ]
    # a period from 23:50: only the ten minutes before midnight of the first day
    whole = _report((day + timedelta(hours=23, minutes=50), day + timedelta(days=3)))
    assert whole[0]["minutes"]["travel"] == 30.0


def test_a_late_offline_event_moves_minutes_to_the_day_they_were_worked(
    app, clock, people, make_ticket, no_completion_rules
):
    """The engineer arrived on day 1 offline; the phone synced on day 3, after the catch-up
    had rolled up day 1 with the job still "travelling" up to the next change it knew of."""
    day = START + timedelta(days=10)
    with clock.at(day + timedelta(hours=9)):
        t = make_ticket(priority="P2", now=clock.now)
        for option in ("assign:1", "accept", "start_travel"):
            clock.advance(5)
            _take(db.session.get(Ticket, t.id), option, people)
    period = (day, day + timedelta(days=4))
    catchup.catch_up(db.session)
    _report(period, group_by="engineer")  # travelling still: read live
    assert _work(t.id) == []
    with clock.at(day + timedelta(days=2, hours=8)):
        ticket = ops.get_ticket(t.id)
        engineer = db.session.get(User, ticket.assignee_id)
        ops.transition(
            ticket, engineer, "arrive", via="sync", occurred_at=day + timedelta(hours=10)
        )
        db.session.commit()
        clock.advance(60)
        _take(db.session.get(Ticket, t.id), "start_work", people)
        clock.advance(60)
        _take(db.session.get(Ticket, t.id), "complete", people)
    before = _report(period, group_by="day")  # fresh ticket: read from its trail
    catchup.catch_up(db.session)
    after = _report(period, group_by="day")
    assert after == before
    # 45 minutes' travel on day 1 (09:15 to 10:00), not two days of it
    assert after[0]["key"] == day.date().isoformat()
    assert after[0]["minutes"]["travel"] == 45.0
    assert _work(t.id)[0] == (day.date(), 2700.0, 14 * 3600.0, 0.0, 0)  # on site from 10:00


def test_a_reassignment_after_the_watermark_moves_the_job_between_engineers(
    app, clock, people, make_ticket, no_completion_rules
):
    day = START + timedelta(days=20)
    with clock.at(day + timedelta(hours=8)):
        t = make_ticket(priority="P1", now=clock.now)
        for option in ("assign:0", "accept", "start_travel", "arrive", "start_work", "complete"):
            clock.advance(15)
            _take(db.session.get(Ticket, t.id), option, people)
    catchup.catch_up(db.session)
    period = (day, day + timedelta(days=2))
    first = _report(period, group_by="engineer")
    assert [g["key"] for g in first] == [str(people.engineers[0].id)]
    with clock.at(day + timedelta(days=1, hours=9)):
        _take(db.session.get(Ticket, t.id), "reopen", people)
        _take(db.session.get(Ticket, t.id), "assign:1", people)
    reopened = _report(period, group_by="engineer")  # the watermark is behind: fresh
    catchup.catch_up(db.session)
    assert _report(period, group_by="engineer") == reopened
    assert {g["key"] for g in reopened} == {str(people.engineers[0].id)}
