"""GET /api/v1/reports/me/week: the engineer's own week, worked out by hand.

The week is a past one (requests run on the real clock, histories are built in the past),
asked for with ``week_of``; engineers without a profile count in UTC weeks.

  eng1  A  P3 (resolve 24 h) created Sun 21:00: travel Sun 23:00 (before the week), arrive
           Mon 00:30, start 00:40, complete 02:40 -> travel 30 min inside the week, on site
           130, met; rated 4
        B  P1 (resolve 4 h), created Tue 08:00: travel 09:00, arrive 09:45, start 10:00,
           complete 13:00 (resolve_by 12:00) -> travel 45, on site 195, missed
  eng2  C  P3 completed Wed by eng2 -> in eng2's week only
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from backend.db import db
from backend.public.operations import rate
from backend.workorders.models import Ticket
from tests.reports.conftest import act, assign

MONDAY = (datetime.now(UTC) - timedelta(days=21)).replace(hour=0, minute=0, second=0, microsecond=0)
MONDAY -= timedelta(days=MONDAY.weekday())
WORK = ("start_travel", "arrive", "start_work", "complete")


def _rate(ticket: Ticket, score: int) -> None:
    t = db.session.get(Ticket, ticket.id)
    assert t is not None
    t.tracking_token = secrets.token_urlsafe(16)
    db.session.commit()
    rate(t.tracking_token, score=score)
    db.session.commit()


@pytest.fixture()
def week(clock, make_user, make_ticket, no_completion_rules):
    dispatcher = make_user("dispatcher")
    eng1, eng2 = make_user("engineer"), make_user("engineer")

    def at(minutes: float):
        return clock.at(MONDAY + timedelta(minutes=minutes))

    with at(-3 * 60):
        a = make_ticket(priority="P3", now=clock.now)
        assign(a, eng1, dispatcher)
        act(a, eng1, "accept")
    for minutes, step in zip((-60, 30, 40, 160), WORK, strict=True):
        with at(minutes):
            act(a, eng1, step)
    with at(24 * 60 + 8 * 60):
        b = make_ticket(priority="P1", now=clock.now)
        assign(b, eng1, dispatcher)
        act(b, eng1, "accept")
    for minutes, step in zip((9 * 60, 9 * 60 + 45, 10 * 60, 13 * 60), WORK, strict=True):
        with at(24 * 60 + minutes):
            act(b, eng1, step)
    with at(2 * 24 * 60):
        c = make_ticket(priority="P3", now=clock.now)
        assign(c, eng2, dispatcher)
        act(c, eng2, "accept")
        for step in WORK:
            clock.advance(20)
            act(c, eng2, step)
    _rate(a, 4)
    return {"eng1": eng1, "eng2": eng2}


def _week(client, auth, user, **query):
    r = client.get("/api/v1/reports/me/week", query_string=query, headers=auth(user))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_engineer_week_by_hand(week, client, auth):
    w = _week(client, auth, week["eng1"], week_of=(MONDAY + timedelta(days=3)).date().isoformat())
    assert w["week_start"] == MONDAY.isoformat()
    assert w["week_end"] == (MONDAY + timedelta(days=7)).isoformat()
    assert w["timezone"] == "UTC"
    assert w["jobs_done"] == 2
    assert w["travel_min"] == pytest.approx(30 + 45)
    assert w["on_site_min"] == pytest.approx(130 + 195)
    assert w["hours"] == pytest.approx(round((75 + 325) / 60, 2))
    assert w["sla"] == {"due": 2, "met": 1, "met_pct": 50.0}
    assert w["rating"] == {"rated": 1, "average": 4.0}


def test_an_engineer_sees_only_their_own_week(week, client, auth):
    day = MONDAY.date().isoformat()
    mine = _week(client, auth, week["eng2"], week_of=day)
    assert mine["jobs_done"] == 1 and mine["on_site_min"] == pytest.approx(40)
    assert mine["rating"] == {"rated": 0, "average": None}
    # No parameter reaches another engineer's numbers: an unknown one is ignored.
    other = _week(client, auth, week["eng2"], week_of=day, engineer_id=str(week["eng1"].id))
    assert other["jobs_done"] == 1 and other["sla"] == mine["sla"]


def test_week_before_and_after_is_empty_and_bad_input_is_422(week, client, auth):
    before = _week(client, auth, week["eng1"], week_of=(MONDAY - timedelta(days=1)).date())
    # Sunday's 60 minutes of travel before the week belong to that week, the job does not.
    assert before["jobs_done"] == 0 and before["travel_min"] == pytest.approx(60)
    assert before["sla"]["met_pct"] is None
    for bad in ("yesterday", "1999-12-31", "2026-02-30"):
        r = client.get(
            "/api/v1/reports/me/week", query_string={"week_of": bad}, headers=auth(week["eng1"])
        )
        assert r.status_code == 422, (bad, r.get_json())
    assert client.get("/api/v1/reports/me/week").status_code == 401


def test_week_follows_the_engineers_shift_time_zone(make_user, client, auth, session):
    from backend.dispatch.models import EngineerProfile
    from backend.workorders.geo import point

    eng = make_user("engineer")
    db.session.add(
        EngineerProfile(user_id=eng.id, home=point(13.4, 52.5), shift_timezone="Asia/Shanghai")
    )
    db.session.commit()
    w = _week(client, auth, eng, week_of="2026-11-04")
    assert w["timezone"] == "Asia/Shanghai"
    # Monday 2 November 2026, 00:00 in Shanghai (UTC+8) is Sunday 16:00 UTC.
    assert w["week_start"] == "2026-11-01T16:00:00+00:00"
    assert w["week_end"] == "2026-11-08T16:00:00+00:00"


def test_this_weeks_job_signed_with_a_rating(make_user, make_ticket, client, auth):
    """Completed by the customer's signature (the real sign-off over HTTP, now): the job is
    done this week and the sign-off's rating is its rating (no tracking-page rating)."""
    dispatcher, eng = make_user("dispatcher"), make_user("engineer")
    ticket = make_ticket(priority="P3")
    assign(ticket, eng, dispatcher)
    for step in ("accept", *WORK[:-1]):
        act(ticket, eng, step)
    h = auth(eng)
    assert client.post(f"/api/v1/tickets/{ticket.id}/parts/none", json={}, headers=h).status_code
    strokes = [[[10, 80], [40, 20], [70, 90]], [[120, 60], [180, 60]]]
    signed = client.post(
        f"/api/v1/tickets/{ticket.id}/signoff",
        json={"signer_name": "Dana", "signature": {"strokes": strokes}, "rating": 3},
        headers=h,
    )
    assert signed.status_code == 201 and signed.get_json()["completed"] is True, signed.get_json()
    w = _week(client, auth, eng)
    assert (w["jobs_done"], w["sla"]["met"]) == (1, 1)
    assert w["rating"] == {"rated": 1, "average": 3.0}
