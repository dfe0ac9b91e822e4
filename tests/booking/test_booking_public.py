"""Booking on the customer's tracking page: slots from real availability, booking and
rebooking by tracking token, the dispatcher's changes seen by the customer, the rules of who
may book when, and nothing about engineers revealed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from backend.db import db
from backend.dispatch.engineers import ShiftSpec
from backend.workorders.models import Ticket, TicketEvent
from backend.workorders.operations import assign_ticket, transition

EVERY_DAY = ShiftSpec("Europe/Berlin", list(range(7)), time(7), time(19))


@pytest.fixture()
def world(make_region, make_asset, make_engineer):
    region = make_region()
    asset = make_asset()
    engineer = make_engineer(13.40, 52.52, regions=[region], shift=EVERY_DAY, name="Secret Sam")
    return asset, engineer


def _report(client, asset, text="Oven cold") -> tuple[str, Ticket]:
    r = client.post(f"/api/v1/public/assets/{asset.qr_token}/reports",
                    json={"description": text, "contact_name": "Ada"})  # fmt: skip
    assert r.status_code == 201, r.json
    token = r.json["tracking_token"]
    return token, db.session.scalars(select(Ticket).where(Ticket.tracking_token == token)).one()


def _slots(client, token):
    return client.get(f"/api/v1/public/tracking/{token}/slots")


def _book(client, token, start):
    return client.post(f"/api/v1/public/tracking/{token}/booking", json={"start": start})


def test_customer_sees_slots_books_one_and_sees_it(client, world):
    asset, engineer = world
    token, ticket = _report(client, asset)
    r = _slots(client, token)
    assert r.status_code == 200, r.json
    assert set(r.json) == {"timezone", "slot_minutes", "slots", "window_start", "window_end"}
    assert r.json["timezone"] == "Europe/Berlin" and r.json["slot_minutes"] == 120
    slots = r.json["slots"]
    assert slots and all(set(s) == {"start", "end"} for s in slots)
    assert str(engineer.id) not in r.get_data(as_text=True)
    assert "Secret" not in r.get_data(as_text=True)
    first = datetime.fromisoformat(slots[0]["start"])
    assert first >= datetime.now(UTC) + timedelta(minutes=119)

    booked = _book(client, token, slots[0]["start"])
    assert booked.status_code == 200, booked.json
    assert set(booked.json) == {"ticket_number", "window_start", "window_end"}
    view = client.get(f"/api/v1/public/tracking/{token}").json
    assert view["window_start"] == slots[0]["start"] and view["window_end"] == slots[0]["end"]
    # May still move it while the window is more than the cut-off (24 h) away.
    assert view["can_book"] is (first - timedelta(hours=24) > datetime.now(UTC))

    events = db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == "arrival_window"
        )
    ).all()
    assert len(events) == 1 and events[0].actor_id is None
    assert events[0].data["by"] == "customer"


def test_the_last_place_goes_once_and_rebooking_frees_it(client, world, dispatch_config):
    asset, _ = world  # one engineer: one place per slot whatever the capacity
    dispatch_config["BOOKING_LEAD_MIN"] = 48 * 60  # far enough ahead to rebook
    token_a, _ = _report(client, asset, "Oven cold")
    token_b, _ = _report(client, asset, "Fridge warm")
    slots = _slots(client, token_a).json["slots"]
    assert _book(client, token_a, slots[0]["start"]).status_code == 200
    taken = _book(client, token_b, slots[0]["start"])
    assert taken.status_code == 409 and taken.json["reason"] == "slot_taken", taken.json
    assert slots[0] not in _slots(client, token_b).json["slots"]
    assert slots[0] in _slots(client, token_a).json["slots"]  # its own booking stays offered

    assert _book(client, token_a, slots[1]["start"]).status_code == 200  # rebook: moves
    assert _book(client, token_b, slots[0]["start"]).status_code == 200  # the place is free


def test_planned_work_takes_the_engineer_out_of_those_slots(client, world, make_ticket):
    asset, engineer = world
    token, _ = _report(client, asset)
    slots = _slots(client, token).json["slots"]
    target = slots[3]
    start = datetime.fromisoformat(target["start"])
    # Three hours of planned work (60 min each) from half an hour before the slot: the
    # engineer is busy from before it opens until after it closes.
    for n in range(3):
        job = make_ticket(title=f"Planned {n}")
        assign_ticket(job, engineer, actor=None)
        job.eta = start + timedelta(minutes=60 * n - 30)
    db.session.commit()
    after = _slots(client, token).json["slots"]
    assert target not in after and slots[0] in after
    r = _book(client, token, target["start"])
    assert r.status_code == 409 and r.json["reason"] == "slot_taken"


def test_dispatcher_change_is_what_the_customer_sees(client, world, api, staff):
    asset, _ = world
    token, ticket = _report(client, asset)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    r = api("put", f"/api/v1/tickets/{ticket.id}/arrival-window", staff,
            json={"start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat(),
                  "reason": "route planned"})  # fmt: skip
    assert r.status_code == 200, r.json
    view = client.get(f"/api/v1/public/tracking/{token}").json
    assert datetime.fromisoformat(view["window_start"]) == start
    assert view["can_book"] is True
    page = client.get(f"/t/{token}")
    assert b'id="arrival-window"' in page.data and b'name="start"' in page.data


def test_too_close_started_or_urgent_cannot_book(client, world, api, staff, make_user):
    asset, engineer = world
    token, ticket = _report(client, asset)
    start = datetime.now(UTC) + timedelta(hours=10)  # inside the 24 h rebooking cut-off
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    api("put", f"/api/v1/tickets/{ticket.id}/arrival-window", staff, json=window)
    view = client.get(f"/api/v1/public/tracking/{token}").json
    assert view["can_book"] is False and view["window_start"] is not None
    r = _slots(client, token)
    assert r.status_code == 409 and r.json["reason"] == "too_late"
    assert b'name="start"' not in client.get(f"/t/{token}").data

    token2, ticket2 = _report(client, asset, "Second fault")
    assign_ticket(ticket2, engineer, actor=None)
    transition(ticket2, engineer, "accept")
    transition(ticket2, engineer, "start_travel")
    db.session.commit()
    slot = datetime.now(UTC) + timedelta(days=2)
    r = _book(client, token2, slot.isoformat())
    assert r.status_code == 409 and r.json["reason"] == "started"

    ticket2.priority = "P1"
    db.session.commit()
    token3, ticket3 = _report(client, asset, "Third fault")
    ticket3.priority = "P1"
    db.session.commit()
    r = _slots(client, token3)
    assert r.status_code == 409 and r.json["reason"] == "not_offered"


def test_bad_booking_input(client, world):
    asset, _ = world
    token, _ = _report(client, asset)
    slots = _slots(client, token).json["slots"]
    off_grid = datetime.fromisoformat(slots[0]["start"]) + timedelta(minutes=7)
    r = _book(client, token, off_grid.isoformat())
    assert r.status_code == 422 and "start" in r.json["errors"]
    naive = _book(client, token, "2027-01-05T08:00:00")
    assert naive.status_code == 422 and "start" in str(naive.json["errors"])
    assert _book(client, token, None).status_code == 422
    assert _book(client, "nope", slots[0]["start"]).status_code == 404
    assert client.get("/api/v1/public/tracking/nope/slots").status_code == 404


def test_no_js_page_offers_and_books(client, world):
    asset, _ = world
    token, ticket = _report(client, asset)
    page = client.get(f"/t/{token}")
    assert page.status_code == 200 and b'id="booking"' in page.data
    assert b"Secret" not in page.data
    first = _slots(client, token).json["slots"][0]["start"]
    assert first.encode() in page.data
    r = client.post(f"/t/{token}/booking", data={"start": first})
    assert r.status_code == 303 and r.headers["Location"].endswith("?booked=1")
    after = client.get(f"/t/{token}?booked=1")
    assert b"appointment is booked" in after.data and b'id="arrival-window"' in after.data
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).window_start is not None
    missing = client.post(f"/t/{token}/booking", data={})
    assert missing.status_code == 422 and b"choose one of the times" in missing.data
