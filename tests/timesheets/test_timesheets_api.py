"""Time sheets through the API and sync, on real PostGIS: a day worked offline reads back with
the phone's times; corrections (REST and sync, idempotent, latest device time wins); approval
freezes and locks a day, a late correction becomes a conflict the dispatcher can apply; access
is the engineer's own; export is CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select, update

from backend.db import db
from backend.dispatch.models import EngineerProfile
from backend.sync.models import SyncConflict
from backend.timesheets.models import TimesheetCorrection
from backend.workorders.geo import point
from backend.workorders.models import TicketEvent
from tests.sync.phone import Phone

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture()
def alice(make_user):
    user = make_user()
    db.session.add(
        EngineerProfile(user_id=user.id, home=point(13.4, 52.5), shift_timezone="Europe/Berlin")
    )
    db.session.commit()
    return user


@pytest.fixture()
def worked(alice, make_ticket, assign, http, no_completion_rules):
    """Alice's job worked offline three hours ago: 30 min travel, 10 on site, 80 work."""
    job = make_ticket()
    assign(job, alice)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    # Within one Berlin day whatever the hour the suite runs: a job worked across midnight
    # is two days' entries (right, but not what these tests count), which from about 00:55
    # to 02:15 Berlin time made the three-hours-ago job do so.
    day = base.astimezone(BERLIN).date()
    if (base + timedelta(minutes=125)).astimezone(BERLIN).date() != day:
        midnight = datetime(day.year, day.month, day.day, tzinfo=BERLIN) + timedelta(days=1)
        base = midnight.astimezone(UTC) - timedelta(minutes=130)
    # the job was assigned before the phone's offline times below
    db.session.execute(
        update(TicketEvent)
        .where(TicketEvent.ticket_id == job.id)
        .values(at=base - timedelta(hours=1))
    )
    db.session.commit()
    phone = Phone(alice.id)
    steps = [
        ("accept", 0),
        ("start_travel", 5),
        ("arrive", 35),
        ("start_work", 45),
        ("complete", 125),
    ]
    for action, minute in steps:
        phone.queue(
            "ticket.transition",
            ticket_id=job.id,
            action=action,
            occurred_at=base + timedelta(minutes=minute),
        )
    res = http.push(alice, phone.envelope())
    assert {r["status"] for r in res["results"]} == {"applied"}, res
    return {"job": job, "base": base, "phone": phone}


def _days(base: datetime) -> dict[str, str]:
    first = base.astimezone(BERLIN).date()
    last = datetime.now(UTC).astimezone(BERLIN).date()
    return {"from": first.isoformat(), "to": last.isoformat()}


def _sheet(client, auth, user, base, **extra: Any) -> dict[str, Any]:
    res = client.get(
        "/api/v1/timesheets", query_string={**_days(base), **extra}, headers=auth(user)
    )
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def _entries(sheet: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for d in sheet["days"] for e in d["entries"]]


def _totals(sheet: dict[str, Any]) -> dict[str, int]:
    out = {"travel": 0, "on_site": 0, "work": 0, "pause": 0}
    for d in sheet["days"]:
        for k, v in d["totals"].items():
            out[k] += v
    return out


def test_a_day_worked_offline_reads_back_with_the_phones_times(client, auth, alice, worked):
    sheet = _sheet(client, auth, alice, worked["base"])
    assert sheet["timezone"] == "Europe/Berlin"
    assert _totals(sheet) == {"travel": 1800, "on_site": 600, "work": 4800, "pause": 0}
    travel = next(e for e in _entries(sheet) if e["kind"] == "travel")
    assert datetime.fromisoformat(travel["start"]) == worked["base"] + timedelta(minutes=5)
    assert travel["ticket_number"] == worked["job"].number
    assert not travel["corrected"] and not travel["open"]


def test_engineers_see_only_their_own_sheet_and_staff_must_name_one(
    client, auth, alice, worked, make_user, dispatcher
):
    bob = make_user()
    days = _days(worked["base"])
    res = client.get(
        "/api/v1/timesheets", query_string={**days, "engineer_id": alice.id}, headers=auth(bob)
    )
    assert res.status_code == 403
    assert _entries(_sheet(client, auth, bob, worked["base"])) == []  # bob's own: empty
    res = client.get("/api/v1/timesheets", query_string=days, headers=auth(dispatcher))
    assert res.status_code == 422 and "engineer_id" in res.get_json()["errors"]
    staff_view = _sheet(client, auth, dispatcher, worked["base"], engineer_id=alice.id)
    assert _totals(staff_view)["work"] == 4800


def _travel(client, auth, alice, worked) -> dict[str, Any]:
    return next(
        e for e in _entries(_sheet(client, auth, alice, worked["base"])) if e["kind"] == "travel"
    )


def test_a_correction_with_a_reason_changes_the_entry_once(client, auth, alice, worked):
    travel = _travel(client, auth, alice, worked)
    new_end = datetime.fromisoformat(travel["start"]) + timedelta(minutes=20)
    body = {
        "id": str(uuid.uuid4()),
        "entry_id": travel["id"],
        "end": new_end.isoformat(),
        "reason": "pressed arrive late",
    }
    res = client.post("/api/v1/timesheets/corrections", json=body, headers=auth(alice))
    assert res.status_code == 201, res.get_json()
    again = client.post("/api/v1/timesheets/corrections", json=body, headers=auth(alice))
    assert again.status_code == 200  # idempotent
    clash = client.post(
        "/api/v1/timesheets/corrections",
        json={**body, "reason": "something else"},
        headers=auth(alice),
    )
    assert clash.status_code == 409
    fixed = _travel(client, auth, alice, worked)
    assert fixed["seconds"] == 1200 and fixed["corrected"]
    assert fixed["reason"] == "pressed arrive late"


def test_corrections_refuse_bad_input_with_clear_4xx(client, auth, alice, worked, make_user):
    travel = _travel(client, auth, alice, worked)
    start = datetime.fromisoformat(travel["start"])
    cases = [
        ({"end": (start - timedelta(minutes=1)).isoformat()}, 422),  # before start
        ({"end": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}, 422),  # future
        ({"end": (start + timedelta(hours=30)).isoformat()}, 422),  # > 24 h
        ({"reason": ""}, 422),
        ({"reason": "half an emoji \ud83d"}, 422),
        ({"entry_id": str(uuid.uuid4())}, 404),  # no such entry
        ({"end": None, "removed": False}, 422),  # changes nothing
    ]
    for change, status in cases:
        body = {
            "id": str(uuid.uuid4()),
            "entry_id": travel["id"],
            "end": (start + timedelta(minutes=5)).isoformat(),
            "reason": "fix",
            **change,
        }
        res = client.post("/api/v1/timesheets/corrections", json=body, headers=auth(alice))
        assert res.status_code == status, (change, res.get_json())
    bob = make_user()
    body = {"id": str(uuid.uuid4()), "entry_id": travel["id"], "removed": True, "reason": "x"}
    assert (
        client.post("/api/v1/timesheets/corrections", json=body, headers=auth(bob)).status_code
        == 404
    )  # not bob's entry: no probing


def test_two_phones_corrections_settle_on_the_latest_device_time(client, auth, alice, worked, http):
    travel = _travel(client, auth, alice, worked)
    start = datetime.fromisoformat(travel["start"])
    made = datetime.now(UTC) - timedelta(minutes=30)
    tablet, phone = Phone(alice.id, "tablet"), Phone(alice.id, "phone")
    tablet.queue(
        "timesheet.correct",
        id=uuid.uuid4(),
        entry_id=travel["id"],
        end=start + timedelta(minutes=25),
        reason="later fix",
        occurred_at=made + timedelta(minutes=10),
    )
    phone.queue(
        "timesheet.correct",
        id=uuid.uuid4(),
        entry_id=travel["id"],
        end=start + timedelta(minutes=15),
        reason="earlier fix",
        occurred_at=made,
    )
    for device in (tablet, phone):  # the later correction reaches the server first
        res = http.push(alice, device.envelope())
        assert res["results"][0]["status"] == "applied", res
    fixed = _travel(client, auth, alice, worked)
    assert fixed["seconds"] == 1500 and fixed["reason"] == "later fix"
    # both are kept, and both reach the engineer's phones
    phone.pull_all(http.fetcher(alice))
    assert len(phone.ids("timesheet_corrections")) == 2


def _approve(client, auth, dispatcher, alice, day: str, status: int = 200, **body: Any):
    res = client.put(
        f"/api/v1/timesheets/{alice.id}/days/{day}/approval", json=body, headers=auth(dispatcher)
    )
    assert res.status_code == status, res.get_json()
    return res.get_json()


def test_an_approved_day_is_frozen_and_locked(client, auth, alice, worked, dispatcher, http):
    travel = _travel(client, auth, alice, worked)
    day = datetime.fromisoformat(travel["start"]).astimezone(BERLIN).date().isoformat()
    approved = _approve(client, auth, dispatcher, alice, day)
    assert approved["status"] == "approved" and approved["version"] == 1
    # engineers cannot approve
    res = client.put(
        f"/api/v1/timesheets/{alice.id}/days/{day}/approval", json={}, headers=auth(alice)
    )
    assert res.status_code == 403
    # REST correction refused, naming the day
    body = {"id": str(uuid.uuid4()), "entry_id": travel["id"], "removed": True, "reason": "x"}
    res = client.post("/api/v1/timesheets/corrections", json=body, headers=auth(alice))
    assert res.status_code == 409 and day in res.get_json()["message"]
    # a late offline correction is kept as a conflict, and the dispatcher can apply it
    phone = Phone(alice.id)
    cid = uuid.uuid4()
    phone.queue(
        "timesheet.correct",
        id=cid,
        entry_id=travel["id"],
        removed=True,
        reason="was not travel",
        occurred_at=datetime.now(UTC),
    )
    res = http.push(alice, phone.envelope())
    assert res["results"][0]["status"] == "conflict", res
    conflict = db.session.scalar(select(SyncConflict).where(SyncConflict.kind == "day_approved"))
    assert conflict is not None and conflict.mine["reason"] == "was not travel"
    assert db.session.get(TimesheetCorrection, cid) is None
    res = client.post(
        f"/api/v1/conflicts/{conflict.id}/resolve",
        json={"resolution": "apply_engineer"},
        headers=auth(dispatcher),
    )
    assert res.status_code == 200, res.get_json()
    assert db.session.get(TimesheetCorrection, cid).removed
    # the approved day still shows what was approved, and says it changed since
    sheet = _sheet(client, auth, dispatcher, worked["base"], engineer_id=alice.id)
    (frozen,) = [d for d in sheet["days"] if d["day"] == day]
    assert frozen["status"] == "approved" and frozen["changed_since_approval"]
    assert any(e["kind"] == "travel" and not e["removed"] for e in frozen["entries"])
    # reopening (with a reason) lets corrections flow and shows the live day again
    res = client.post(
        f"/api/v1/timesheets/{alice.id}/days/{day}/reopen",
        json={"reason": "payroll query", "version": 1},
        headers=auth(dispatcher),
    )
    assert res.status_code == 200, res.get_json()
    reopened = res.get_json()
    assert reopened["status"] == "open"
    assert any(e["kind"] == "travel" and e["removed"] for e in reopened["entries"])


def test_a_day_with_a_running_entry_cannot_be_approved(
    client, auth, alice, make_ticket, assign, http, dispatcher
):
    job = make_ticket()
    assign(job, alice)
    phone = Phone(alice.id)
    phone.queue("ticket.transition", ticket_id=job.id, action="accept")
    phone.queue("ticket.transition", ticket_id=job.id, action="start_travel")
    http.push(alice, phone.envelope())
    today = datetime.now(UTC).astimezone(BERLIN).date().isoformat()
    body = _approve(client, auth, dispatcher, alice, today, status=409)
    assert "open entry" in body["message"]
    tomorrow = (datetime.now(UTC).astimezone(BERLIN).date() + timedelta(days=1)).isoformat()
    _approve(client, auth, dispatcher, alice, tomorrow, status=422)
    _approve(client, auth, dispatcher, alice, "2026-02-30", status=422)


def test_stale_version_and_too_long_periods_are_refused(client, auth, alice, worked, dispatcher):
    day = worked["base"].astimezone(BERLIN).date().isoformat()
    _approve(client, auth, dispatcher, alice, day, status=409, version=7)
    res = client.get(
        "/api/v1/timesheets",
        query_string={"from": "2026-01-01", "to": "2026-06-01"},
        headers=auth(alice),
    )
    assert res.status_code == 422
    res = client.get(
        "/api/v1/timesheets",
        query_string={"from": "2026-06-01", "to": "2026-01-01"},
        headers=auth(alice),
    )
    assert res.status_code == 422


def test_export_is_a_csv_of_the_period(client, auth, alice, worked, dispatcher):
    res = client.get(
        "/api/v1/timesheets/export",
        query_string={**_days(worked["base"]), "engineer_id": alice.id},
        headers=auth(dispatcher),
    )
    assert res.status_code == 200 and res.mimetype == "text/csv"
    assert "attachment" in res.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))
    kinds = sorted(r["kind"] for r in rows)
    assert kinds == ["on_site", "travel", "work"]
    assert {r["ticket"] for r in rows} == {worked["job"].number}
    assert sum(float(r["minutes"]) for r in rows) == 120.0


def test_the_workload_report_counts_the_minutes_the_time_sheet_shows(
    client, auth, alice, worked, dispatcher
):
    """One rule for "how long was the engineer travelling": the report (SQL over the trail)
    and the time sheet (derive.py) read the same events and the same device times."""
    period = {
        "from": (worked["base"] - timedelta(hours=1)).isoformat(),
        "to": datetime.now(UTC).isoformat(),
        "engineer_id": str(alice.id),
    }
    res = client.get("/api/v1/reports/workload", query_string=period, headers=auth(dispatcher))
    assert res.status_code == 200, res.get_json()
    (group,) = res.get_json()["groups"]
    sheet = _totals(_sheet(client, auth, alice, worked["base"]))
    assert group["minutes"]["travel"] == sheet["travel"] / 60 == 30
    assert group["minutes"]["on_site"] == sheet["on_site"] / 60 == 10
    assert group["minutes"]["work"] == sheet["work"] / 60 == 80


def test_a_reason_that_looks_like_a_formula_is_exported_as_text(client, auth, alice, worked):
    travel = _travel(client, auth, alice, worked)
    body = {"id": str(uuid.uuid4()), "entry_id": travel["id"], "removed": True,
            "reason": '=HYPERLINK("http://example.test","payroll")'}  # fmt: skip
    assert client.post("/api/v1/timesheets/corrections", json=body,
                       headers=auth(alice)).status_code == 201  # fmt: skip
    query = _days(worked["base"])
    res = client.get("/api/v1/timesheets/export", query_string=query, headers=auth(alice))
    (row,) = [r for r in csv.DictReader(io.StringIO(res.get_data(as_text=True)))
              if r["kind"] == "travel"]  # fmt: skip
    assert row["reason"].startswith("'=") and row["removed"] == "True"
    res = client.get("/api/v1/timesheets/export", query_string={**query, "format": "xlsx"},
                     headers=auth(alice))  # fmt: skip
    assert res.status_code == 200 and res.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(res.get_data())).active
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    travel_row = next(r for r in rows[1:] if r[header.index("kind")].value == "travel")
    reason = travel_row[header.index("reason")]
    assert reason.value == body["reason"] and reason.data_type == "s"  # text, not a formula


def test_my_week_counts_the_hours_my_time_sheet_shows(client, auth, alice, worked):
    """The phone's week card and its "My time" screen read one rule: a day worked offline is
    counted when it was worked, corrections included (they read server times before)."""
    day = worked["base"].astimezone(BERLIN).date()
    res = client.get(
        "/api/v1/reports/me/week", query_string={"week_of": day.isoformat()}, headers=auth(alice)
    )
    assert res.status_code == 200, res.get_json()
    week = res.get_json()
    monday = day - timedelta(days=day.weekday())
    sheet = client.get(
        "/api/v1/timesheets",
        query_string={"from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()},
        headers=auth(alice),
    ).get_json()
    totals = _totals(sheet)
    assert week["travel_min"] == totals["travel"] / 60 == 30
    assert week["on_site_min"] == (totals["on_site"] + totals["work"]) / 60 == 90
    assert week["hours"] == 2.0
