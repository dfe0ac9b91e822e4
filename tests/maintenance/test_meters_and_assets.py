"""Meter readings on assets, meter plans (a ticket once the due reading is reached, once; the
next count starts at the service), and an asset's maintenance view, through the API and the
generation job."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from backend.accounts.models import User
from backend.db import db, utcnow
from backend.maintenance.models import Occurrence
from backend.maintenance.tasks import generate_all
from backend.workorders.models import Ticket
from backend.workorders.operations import assign_ticket, transition
from tests.api.conftest import _fresh_rate_limits, api  # noqa: F401 (fixtures)


def _read(api, staff, asset, value: float, at: datetime):  # noqa: F811
    r = api(
        "post",
        f"/api/v1/assets/{asset.id}/meter-readings",
        staff,
        json={"meter": "hours", "value": value, "at": at.isoformat()},
    )
    assert r.status_code == 201, r.json
    return r.json


def _plan_tickets(plan) -> list[Ticket]:
    stmt = (
        select(Ticket)
        .join(Occurrence, Occurrence.ticket_id == Ticket.id)
        .where(Occurrence.plan_id == plan.id)
        .order_by(Ticket.created_at)
    )
    return list(db.session.scalars(stmt))


def _service(ticket: Ticket, staff: User, engineer: User) -> None:
    """Do the job: assigned, accepted, travelled, arrived, worked, completed."""
    ticket = db.session.get_one(Ticket, ticket.id)
    assign_ticket(ticket, engineer, actor=db.session.get_one(User, staff.id))
    for action in ("accept", "start_travel", "arrive", "start_work", "complete"):
        transition(ticket, engineer, action)
    db.session.commit()


def test_readings_are_checked(api, staff, make_asset):  # noqa: F811
    asset = make_asset()
    path = f"/api/v1/assets/{asset.id}/meter-readings"
    made = api("post", path, staff, json={"meter": "hours", "value": 12.5})
    assert made.status_code == 201 and made.json["source"] == "manual"
    assert made.json["value"] == 12.5 and made.json["recorded_by_id"] == str(staff.id)
    negative = api("post", path, staff, json={"meter": "hours", "value": -1})
    assert negative.status_code == 422 and "value" in negative.json["errors"]["json"]
    future = (utcnow() + timedelta(days=1)).isoformat()
    ahead = api("post", path, staff, json={"meter": "hours", "value": 1, "at": future})
    assert ahead.status_code == 422 and "at" in ahead.json["errors"]
    blank = api("post", path, staff, json={"meter": "  ", "value": 1})
    assert blank.status_code == 422 and "meter" in blank.json["errors"]
    nowhere = "/api/v1/assets/00000000-0000-0000-0000-000000000001/meter-readings"
    assert api("post", nowhere, staff, json={"meter": "hours", "value": 1}).status_code == 404


def test_a_meter_plan_is_due_once_per_service(
    api,  # noqa: F811
    staff,
    make_user,
    make_asset,
    make_plan,
    no_completion_rules,
):
    asset = make_asset()
    plan = make_plan(asset_id=asset.id, meter_name="hours", meter_every=500)
    now = utcnow()
    _read(api, staff, asset, 1000, now - timedelta(days=20))
    _read(api, staff, asset, 1200, now - timedelta(days=10))
    assert generate_all(now)["tickets"] == 0

    view = api("get", f"/api/v1/assets/{asset.id}/maintenance", staff).json
    (entry,) = view["plans"]
    assert entry["meter"]["due_reading"] == 1500 and entry["meter"]["reached"] is False
    # 200 h in 10 days: 300 more take 15 days
    estimated = datetime.fromisoformat(entry["meter"]["estimated_at"])
    assert abs(estimated - (now + timedelta(days=5))) < timedelta(minutes=1)
    assert entry["next_due"] == entry["meter"]["estimated_at"] == view["next_due"]

    reached = now - timedelta(days=1)
    _read(api, staff, asset, 1510, reached)
    _read(api, staff, asset, 1600, now - timedelta(hours=1))
    assert generate_all(now)["tickets"] == 1
    assert generate_all(now)["tickets"] == 0  # the same due reading: no second ticket
    (ticket,) = _plan_tickets(plan)
    assert ticket.window_start is not None
    assert abs(ticket.window_start - reached) < timedelta(seconds=1)
    occurrence = db.session.scalars(select(Occurrence).where(Occurrence.plan_id == plan.id)).one()
    assert occurrence.due_reading == 1500

    _service(ticket, staff, make_user("engineer"))
    after = utcnow() + timedelta(seconds=1)
    view = api("get", f"/api/v1/assets/{asset.id}/maintenance", staff).json
    assert view["last_service"] is not None
    assert view["plans"][0]["last_service"] == view["last_service"]
    # the next count starts at the reading of the service (1600): due at 2100
    assert view["plans"][0]["meter"]["baseline"] == 1600
    assert view["plans"][0]["meter"]["due_reading"] == 2100
    assert [r["value"] for r in view["readings"]] == [1600, 1510, 1200, 1000]

    _read(api, staff, asset, 2000, after)
    assert generate_all(utcnow())["tickets"] == 0
    _read(api, staff, asset, 2150, after + timedelta(seconds=1))
    assert generate_all(utcnow())["tickets"] == 1
    assert len(_plan_tickets(plan)) == 2


def test_whichever_comes_first_and_the_asset_view(
    api,  # noqa: F811
    staff,
    make_asset,
    make_plan,
):
    asset = make_asset()
    now = utcnow()
    tomorrow = (now + timedelta(days=1)).replace(microsecond=0)
    calendar = make_plan(
        name="Calendar",
        asset_id=asset.id,
        rrule="FREQ=WEEKLY",
        dtstart=tomorrow.replace(tzinfo=None),
        timezone="UTC",
    )
    both = make_plan(
        name="Both",
        asset_id=asset.id,
        rrule="FREQ=MONTHLY",
        dtstart=(now + timedelta(days=20)).replace(tzinfo=None, microsecond=0),
        timezone="UTC",
        meter_name="hours",
        meter_every=100,
    )
    _read(api, staff, asset, 0, now - timedelta(days=2))
    _read(api, staff, asset, 50, now - timedelta(days=1))  # 50 a day: 100 reached in a day
    view = api("get", f"/api/v1/assets/{asset.id}/maintenance", staff)
    assert view.status_code == 200, view.json
    entries = {e["plan"]["name"]: e for e in view.json["plans"]}
    assert set(entries) == {"Calendar", "Both"}
    assert datetime.fromisoformat(entries["Calendar"]["next_due"]) == tomorrow
    meter_due = datetime.fromisoformat(entries["Both"]["next_due"])
    assert abs(meter_due - now) < timedelta(minutes=1)  # the meter, not the calendar's 20 days
    assert datetime.fromisoformat(view.json["next_due"]) == meter_due
    assert view.json["last_service"] is None
    listed = api("get", f"/api/v1/maintenance-plans?asset_id={asset.id}", staff).json
    assert {p["id"] for p in listed} == {str(calendar.id), str(both.id)}
    # a paused plan has no next due date
    api("post", f"/api/v1/maintenance-plans/{calendar.id}/pause", staff)
    again = api("get", f"/api/v1/assets/{asset.id}/maintenance", staff).json
    paused = next(e for e in again["plans"] if e["plan"]["name"] == "Calendar")
    assert paused["next_due"] is None and paused["plan"]["state"] == "paused"
