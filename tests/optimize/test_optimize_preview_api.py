"""HTTP tests of what a dispatcher approves: a person's assignments and overrides are pinned
unless unpinned, apply carries out exactly the preview or answers 409 naming what changed,
and a plan can be made for another day. Real PostGIS, real Redis."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from backend.db import db
from backend.dispatch.engineers import ShiftSpec
from backend.workorders.models import Ticket, TicketEvent
from backend.workorders.operations import assign_ticket, transition
from tests.factories import BERLIN, square
from tests.optimize.test_optimize_api import URL, preview_then_apply


@pytest.fixture()
def scene(make_region, make_engineer, make_ticket, make_user):
    region = make_region(square(*BERLIN, half=0.2))
    west = make_engineer(13.30, 52.52, regions=[region], name="West")
    east = make_engineer(13.55, 52.52, regions=[region], name="East")
    return {
        "region": region,
        "west": west,
        "east": east,
        # Each ticket lies next to one engineer's home: a free plan gives it to that one.
        "near_west": make_ticket(lon=13.31, lat=52.52, priority="P2"),
        "near_east": make_ticket(lon=13.54, lat=52.53, priority="P3"),
        "dispatcher": make_user("dispatcher"),
    }


def _change(plan: dict, ticket: Ticket) -> dict:
    return next(c for c in plan["changes"] if c["ticket_id"] == str(ticket.id))


def _person_assigns(client, auth, scene) -> None:
    """A dispatcher overrides the recommendation (East's ticket to West, with a reason) and
    assigns West's ticket to East by hand (the ticket edit path, no decision)."""
    disp = auth(scene["dispatcher"])
    res = client.post(
        f"/api/v1/dispatch/tickets/{scene['near_east'].id}/assign",
        json={"engineer_id": str(scene["west"].id), "reason": "West has the customer's keys"},
        headers=disp,
    )
    assert res.status_code == 200, res.json
    ticket = db.session.get(Ticket, scene["near_west"].id)
    assign_ticket(
        ticket, db.session.merge(scene["east"]), actor=db.session.merge(scene["dispatcher"])
    )
    db.session.commit()


def test_a_persons_assignment_and_override_are_pinned_by_default(client, auth, scene):
    _person_assigns(client, auth, scene)
    body = {"region_id": str(scene["region"].id)}
    plan, result = preview_then_apply(client, auth(scene["dispatcher"]), body)
    over, manual = _change(plan, scene["near_east"]), _change(plan, scene["near_west"])
    assert (over["pin"], over["action"], over["to_engineer_id"]) == (
        "override",
        "keep",
        str(scene["west"].id),
    )
    assert (manual["pin"], manual["action"], manual["to_engineer_id"]) == (
        "manual",
        "keep",
        str(scene["east"].id),
    )
    assert plan["summary"]["moves"] == 0 and plan["summary"]["pinned"] == 2
    assert result["applied"] == [] and result["summary"]["moves"] == 0
    db.session.expire_all()
    assert db.session.get(Ticket, scene["near_east"].id).assignee_id == scene["west"].id
    assert db.session.get(Ticket, scene["near_west"].id).assignee_id == scene["east"].id
    plan_events = db.session.scalars(
        select(TicketEvent).where(TicketEvent.reason == "batch plan")
    ).all()
    assert plan_events == []


def test_unpinned_in_the_preview_they_move_and_counts_agree(client, auth, scene):
    _person_assigns(client, auth, scene)
    ids = [str(scene["near_east"].id), str(scene["near_west"].id)]
    body = {"region_id": str(scene["region"].id), "unpin": ids}
    plan, result = preview_then_apply(client, auth(scene["dispatcher"]), body)
    moved = _change(plan, scene["near_east"])
    assert moved["action"] == "reassign" and moved["unpinned"] is True and moved["pin"] is None
    assert moved["from_engineer_id"] == str(scene["west"].id)
    assert moved["to_engineer_id"] == str(scene["east"].id)
    assert moved["eta"] and moved["travel_min"] > 0 and moved["sla"] in ("on_time", "late")
    assert sorted(plan["unpin"]) == sorted(ids)
    assert plan["summary"]["moves"] == 2 == len(result["applied"]) == result["summary"]["moves"]
    db.session.expire_all()
    assert db.session.get(Ticket, scene["near_east"].id).assignee_id == scene["east"].id
    assert db.session.get(Ticket, scene["near_west"].id).assignee_id == scene["west"].id
    # Now the plan's own assignments: the next plan may move them without asking.
    again = client.post(
        URL, json={"region_id": str(scene["region"].id)}, headers=auth(scene["dispatcher"])
    ).json["plan"]
    assert {c["pin"] for c in again["changes"]} == {None}


def test_unpin_names_what_cannot_be_unpinned(client, auth, scene):
    disp = auth(scene["dispatcher"])
    ticket = db.session.get(Ticket, scene["near_west"].id)
    west = db.session.merge(scene["west"])
    assign_ticket(ticket, west, actor=db.session.merge(scene["dispatcher"]))
    transition(ticket, west, "accept")
    db.session.commit()
    body = {"region_id": str(scene["region"].id)}
    accepted = client.post(URL, json={**body, "unpin": [str(ticket.id)]}, headers=disp)
    assert accepted.status_code == 422, accepted.json
    assert f"{ticket.number} is accepted" in accepted.json["message"]
    free = client.post(URL, json={**body, "unpin": [str(scene["near_east"].id)]}, headers=disp)
    assert free.status_code == 422 and "is not pinned" in free.json["message"]
    stray = client.post(URL, json={**body, "unpin": [str(uuid.uuid4())]}, headers=disp)
    assert stray.status_code == 422 and "not in the plan" in stray.json["message"]


def test_apply_answers_409_naming_what_changed_since_the_preview(client, auth, scene):
    disp = auth(scene["dispatcher"])
    body = {"region_id": str(scene["region"].id)}
    shown = client.post(URL, json=body, headers=disp).json["plan"]
    approved = {k: shown[k] for k in ("fingerprint", "inputs", "changes")}
    # Meanwhile someone assigns one of the planned tickets by hand.
    res = client.post(
        f"/api/v1/dispatch/tickets/{scene['near_west'].id}/assign",
        json={"engineer_id": str(scene["east"].id), "reason": "customer asked for East"},
        headers=disp,
    )
    assert res.status_code == 200, res.json
    stale = client.post(URL, json={**body, "apply": True, "preview": approved}, headers=disp)
    assert stale.status_code == 409, stale.json
    assert stale.json["kind"] == "plan_changed"
    number = scene["near_west"].number
    assert stale.json["changed"] == [
        {"kind": "ticket", "id": str(scene["near_west"].id), "label": number, "change": "changed"}
    ]
    assert number in stale.json["message"]
    db.session.expire_all()
    assert db.session.get(Ticket, scene["near_east"].id).status == "new"  # nothing applied
    # A new ticket in the region changes the inputs too.
    fresh = client.post(URL, json=body, headers=disp).json["plan"]
    approved = {k: fresh[k] for k in ("fingerprint", "inputs", "changes")}
    # Moves that are not the preview's are refused even when the inputs are the same.
    forged = [{**c, "to_engineer_id": str(scene["west"].id)} for c in approved["changes"]]
    bad = client.post(
        URL, json={**body, "apply": True, "preview": {**approved, "changes": forged}}, headers=disp
    )
    assert bad.status_code == 409 and "not the preview's" in bad.json["message"], bad.json
    added = client.post(
        "/api/v1/tickets",
        json={"title": "New leak", "priority": "P1",
              "location": {"type": "Point", "coordinates": [13.4, 52.52]}},
        headers=disp,
    )  # fmt: skip
    assert added.status_code == 201, added.json
    late = client.post(URL, json={**body, "apply": True, "preview": approved}, headers=disp)
    assert late.status_code == 409
    assert {(c["label"], c["change"]) for c in late.json["changed"]} == {
        (added.json["number"], "added")
    }


def test_forged_moves_with_a_matching_fingerprint_are_a_422(client, auth, scene):
    from backend.dispatch.optimize.preview import fingerprint

    disp = auth(scene["dispatcher"])
    body = {"region_id": str(scene["region"].id)}
    shown = client.post(URL, json=body, headers=disp).json["plan"]
    changes = [
        {"ticket_id": str(uuid.uuid4()), "to_engineer_id": "nobody", "eta": "soon"},
        *shown["changes"],
    ]
    moves = [(c["ticket_id"], c["to_engineer_id"], c["eta"]) for c in changes]
    forged = {"fingerprint": fingerprint(shown["inputs"], moves), "inputs": shown["inputs"]}
    res = client.post(
        URL, json={**body, "apply": True, "preview": {**forged, "changes": changes}}, headers=disp
    )
    assert res.status_code == 422, res.json
    assert "not in the plan" in res.json["message"] and "soon" in res.json["message"]


def test_apply_needs_the_preview(client, auth, scene):
    res = client.post(
        URL,
        json={"region_id": str(scene["region"].id), "apply": True},
        headers=auth(scene["dispatcher"]),
    )
    assert res.status_code == 422 and "preview" in res.json["message"], res.json


def test_a_plan_for_tomorrows_shifts(
    client, auth, make_region, make_engineer, make_ticket, make_user
):
    region = make_region(square(*BERLIN, half=0.2))
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    # Works only tomorrow (a 24 h shift on that weekday): nobody can take the ticket today.
    shift = ShiftSpec("UTC", [tomorrow.weekday()], time(0, 0), time(0, 0))
    eng = make_engineer(13.40, 52.52, regions=[region], shift=shift, name="Tomorrow")
    ticket = make_ticket(lon=13.41, lat=52.52)
    at_home = make_ticket(lon=13.40, lat=52.52)  # no travel: the ETA is the shift's start
    disp = auth(make_user("dispatcher"))
    body = {"region_id": str(region.id)}
    today = client.post(URL, json=body, headers=disp).json["plan"]
    assert today["changes"] == []
    assert {u["reason"] for u in today["unassigned"]} == {"off_shift"}
    plan, result = preview_then_apply(client, disp, {**body, "date": tomorrow.isoformat()})
    assert plan["day"] == tomorrow.isoformat()
    change = _change(plan, ticket)
    assert change["to_engineer_id"] == str(eng.id)
    assert datetime.fromisoformat(change["eta"]).date() == tomorrow
    # Not a second before the shift starts (the plan's clock once dropped the fraction of
    # "now", putting a job with no travel at 23:59:59 the day before).
    start = datetime.combine(tomorrow, time(0, 0), tzinfo=UTC)
    assert min(datetime.fromisoformat(c["eta"]) for c in plan["changes"]) == start
    assert {a["ticket_id"] for a in result["applied"]} == {str(ticket.id), str(at_home.id)}
    db.session.expire_all()
    stored = db.session.get(Ticket, ticket.id)
    assert stored.assignee_id == eng.id and stored.eta.date() == tomorrow
    past = client.post(URL, json={**body, "date": "2020-01-01"}, headers=disp)
    assert past.status_code == 422 and "date" in past.json["message"]
