"""The timeline of today draws each engineer's started jobs from earlier days (accepted .. on
hold, still open) from now for their remaining estimated time, so a busy engineer does not look
free. Defect found by a tester: only jobs whose ETA fell on the day were drawn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from backend.db import db
from backend.workorders.models import Ticket


def _give(ticket, engineer, status: str, eta: datetime | None) -> None:
    """Put a ticket in a state reached on an earlier day (the API would take several requests
    on several days to get there; only the stored facts matter to the timeline)."""
    db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(assignee_id=engineer.id, status=status, eta=eta, assigned_at=eta)
    )
    db.session.commit()


def test_today_shows_jobs_started_on_earlier_days(
    client, auth, make_user, make_region, make_engineer, make_ticket
):
    region = make_region()
    eng = make_engineer(13.41, 52.52, regions=[region], name="Cy Busy")
    free = make_engineer(13.45, 52.50, regions=[region], name="Di Free")
    now = datetime.now(UTC)
    working = make_ticket(priority="P2", lon=13.40, lat=52.52)
    held = make_ticket(priority="P3", lon=13.38, lat=52.51)
    accepted = make_ticket(priority="P3", lon=13.39, lat=52.53)
    done = make_ticket(priority="P3", lon=13.39, lat=52.50)
    waiting = make_ticket(priority="P4", lon=13.37, lat=52.50)
    _give(working, eng, "in_progress", now - timedelta(days=2))
    _give(held, eng, "on_hold", now - timedelta(days=1))
    _give(accepted, eng, "accepted", None)  # no ETA stored: still the engineer's job
    _give(done, eng, "completed", now - timedelta(days=1))
    _give(waiting, free, "assigned", now - timedelta(days=1))  # not started: not drawn today
    disp = make_user("dispatcher")

    before = datetime.now(UTC)
    r = client.get(f"/api/v1/dispatch/timeline?date={now.date()}", headers=auth(disp))
    after = datetime.now(UTC)
    assert r.status_code == 200, r.json
    rows = {e["engineer_id"]: e for e in r.json["engineers"]}
    jobs = {j["ticket_id"]: j for j in rows[str(eng.id)]["jobs"]}
    assert set(jobs) == {str(working.id), str(held.id), str(accepted.id)}
    assert rows[str(free.id)]["jobs"] == []
    service = timedelta(minutes=r.json["service_min"])
    for job in jobs.values():
        start, end = datetime.fromisoformat(job["start"]), datetime.fromisoformat(job["end"])
        assert job["ongoing"] is True
        assert before - timedelta(seconds=1) <= start <= after  # drawn from now
        assert timedelta(0) < end - start <= service
    # Not yet on site (accepted, on hold): a whole service time remains; overrun work on site
    # is still drawn, shorter, so the bar stays visible.
    assert _length(jobs[str(accepted.id)]) == service == _length(jobs[str(held.id)])
    assert _length(jobs[str(working.id)]) < service

    # Other days do not repeat them: yesterday and tomorrow have no ongoing jobs.
    for other in (now.date() - timedelta(days=1), now.date() + timedelta(days=1)):
        r = client.get(f"/api/v1/dispatch/timeline?date={other}", headers=auth(disp))
        got = {e["engineer_id"]: e for e in r.json["engineers"]}[str(eng.id)]["jobs"]
        assert not any(j.get("ongoing") for j in got)


def test_ongoing_jobs_come_before_todays_planned_jobs(
    client, auth, make_user, make_region, make_engineer, make_ticket
):
    region = make_region()
    eng = make_engineer(13.41, 52.52, regions=[region], name="Ed Queue")
    started = make_ticket(priority="P3", lon=13.40, lat=52.52)
    planned = make_ticket(priority="P1", lon=13.38, lat=52.51)
    disp = make_user("dispatcher")
    r = client.post(
        f"/api/v1/dispatch/tickets/{planned.id}/assign",
        json={"engineer_id": str(eng.id)},
        headers=auth(disp),
    )
    assert r.status_code == 200, r.json
    _give(started, eng, "on_site", datetime.now(UTC) - timedelta(days=1))
    today = datetime.now(UTC).date()
    # Assignment plans the job from now on: pinned to today, so the test does not depend on
    # when it runs (just before midnight it was planned for tomorrow).
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    db.session.execute(update(Ticket).where(Ticket.id == planned.id).values(eta=noon))
    db.session.commit()
    r = client.get(f"/api/v1/dispatch/timeline?date={today}", headers=auth(disp))
    jobs = {e["engineer_id"]: e for e in r.json["engineers"]}[str(eng.id)]["jobs"]
    assert [(j["ticket_id"], j["ongoing"]) for j in jobs] == [
        (str(started.id), True),
        (str(planned.id), False),
    ]


def _length(job) -> timedelta:
    return datetime.fromisoformat(job["end"]) - datetime.fromisoformat(job["start"])
