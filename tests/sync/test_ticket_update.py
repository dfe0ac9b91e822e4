"""``ticket.update`` through sync: its ``changes`` schema (a location is a GeoJSON Point) holds
on the push and when a dispatcher re-applies an engineer's edit, and a staff edit meets the
same rules as over REST (required skills must exist)."""

from __future__ import annotations

import uuid

from backend.db import db
from backend.dispatch.models import Skill
from backend.sync.models import SyncConflict
from backend.workorders.geo import lonlat
from backend.workorders.models import Ticket
from tests.sync.phone import Phone

POINT = {"type": "Point", "coordinates": [13.42, 52.51]}


def _update(http, user, job: Ticket, **changes) -> dict:
    phone = Phone(user.id)
    phone.queue("ticket.update", ticket_id=job.id, base_version=job.version, changes=changes)
    return http.push(user, phone.envelope())["results"][0]


def _resolve(client, auth, dispatcher, conflict_id) -> tuple[int, dict]:
    resp = client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json={"resolution": "apply_engineer"},
        headers=auth(dispatcher),
    )
    return resp.status_code, resp.get_json()


def test_staff_location_as_geojson_applies(http, make_ticket, dispatcher):
    job = make_ticket()
    result = _update(http, dispatcher, job, location=POINT)
    assert result["status"] == "applied", result
    assert lonlat(db.session.get(Ticket, job.id).location) == (13.42, 52.51)


def test_staff_malformed_location_is_rejected_with_the_reason(http, make_ticket, dispatcher):
    job = make_ticket()
    result = _update(http, dispatcher, job, location={"lon": 13.42, "lat": 52.51})
    assert result["status"] == "rejected"
    assert "location" in result["error"] and "GeoJSON Point" in result["error"], result


def test_engineers_location_conflict_can_be_applied_by_the_dispatcher(
    http, client, auth, make_user, make_ticket, assign, dispatcher
):
    alice = make_user()
    job = assign(make_ticket(), alice)
    result = _update(http, alice, job, location=POINT)
    assert result["status"] == "conflict"
    assert result["data"]["kind"] == "server_owned_field", result  # the code the app words
    status, body = _resolve(client, auth, dispatcher, result["conflict_id"])
    assert status == 200, body
    assert body["resolution"] == "apply_engineer"
    assert lonlat(db.session.get(Ticket, job.id).location) == (13.42, 52.51)


def test_a_stored_malformed_location_is_refused_with_the_reason(
    client, auth, make_user, make_ticket, dispatcher
):
    """A conflict recorded before ``changes`` had a schema may hold any location."""
    job, alice = make_ticket(), make_user()
    conflict = SyncConflict(
        id=uuid.uuid4(),
        ticket_id=job.id,
        entity="tickets",
        entity_id=job.id,
        kind="server_owned_field",
        message="location on the ticket is set by dispatch",
        mutation_name="ticket.update",
        actor_id=alice.id,
        mine={"changes": {"location": {"lon": 13.42, "lat": 52.51}}},
        theirs={},
    )
    db.session.add(conflict)
    db.session.commit()
    status, body = _resolve(client, auth, dispatcher, conflict.id)
    assert status == 422, body
    assert "location" in body["message"] and "GeoJSON Point" in body["message"], body
    assert db.session.get(SyncConflict, conflict.id).resolution is None


def test_staff_edit_through_sync_needs_known_skills(http, make_ticket, dispatcher):
    db.session.add(Skill(code="hvac", name="HVAC"))
    db.session.commit()
    job = make_ticket()
    result = _update(http, dispatcher, job, required_skills=["hvac", "nope"])
    assert result["status"] == "rejected"
    assert result["error"] == "unknown skill code(s): nope", result
    assert db.session.get(Ticket, job.id).required_skills == []
    job = db.session.get(Ticket, job.id)
    assert _update(http, dispatcher, job, required_skills=["hvac"])["status"] == "applied"
    assert db.session.get(Ticket, job.id).required_skills == ["hvac"]
