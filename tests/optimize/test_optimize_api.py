"""HTTP tests of the batch plan: preview, apply through the assign operation, pinned tickets,
the queued job, and precise errors. Real PostGIS, real Redis, real rq worker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.db import db
from backend.dispatch.models import DispatchDecision
from backend.notify.models import Notification
from backend.workorders.models import Ticket, TicketEvent
from backend.workorders.operations import assign_ticket, transition
from tests.factories import BERLIN, square

URL = "/api/v1/dispatch/optimize"


@pytest.fixture()
def scene(make_region, make_engineer, make_ticket, make_user, make_skill):
    for code in ("hvac", "electrical", "lifts"):
        make_skill(code)
    region = make_region(square(*BERLIN, half=0.2))
    west = make_engineer(13.30, 52.52, regions=[region], skills=["hvac"], name="West")
    east = make_engineer(13.55, 52.52, regions=[region], skills=["hvac", "electrical"], name="East")
    tickets = {
        "w": make_ticket(lon=13.31, lat=52.52, required_skills=["hvac"], priority="P2"),
        "e": make_ticket(lon=13.54, lat=52.53, required_skills=["hvac"], priority="P3"),
        "elec": make_ticket(lon=13.32, lat=52.51, required_skills=["electrical"]),
        "lifts": make_ticket(lon=13.40, lat=52.52, required_skills=["lifts"]),
    }
    return {
        "region": region,
        "west": west,
        "east": east,
        "tickets": tickets,
        "dispatcher": make_user("dispatcher"),
    }


def _stops(plan: dict) -> dict[str, str]:
    return {s["ticket_id"]: r["engineer_id"] for r in plan["routes"] for s in r["tickets"]}


def preview_then_apply(client, headers, body: dict) -> tuple[dict, dict]:
    """Preview ``body``, then apply exactly that preview: (preview, apply answer's plan)."""
    res = client.post(URL, json=body, headers=headers)
    assert res.status_code == 200, res.json
    shown = res.json["plan"]
    approved = {k: shown[k] for k in ("fingerprint", "inputs", "changes")}
    done = client.post(URL, json={**body, "apply": True, "preview": approved}, headers=headers)
    assert done.status_code == 200, done.json
    return shown, done.json["plan"]


def test_preview_plans_without_changing_anything(client, auth, scene):
    t = scene["tickets"]
    res = client.post(
        URL, json={"region_id": str(scene["region"].id)}, headers=auth(scene["dispatcher"])
    )
    assert res.status_code == 200, res.json
    assert res.json["status"] == "finished" and res.json["job_id"] is None
    plan = res.json["plan"]
    assert _stops(plan) == {
        str(t["w"].id): str(scene["west"].id),
        str(t["e"].id): str(scene["east"].id),
        str(t["elec"].id): str(scene["east"].id),  # only East has the skill
    }
    assert plan["unassigned"] == [
        {
            "ticket_id": str(t["lifts"].id),
            "number": t["lifts"].number,
            "reason": "missing_skill:lifts",
            "detail": "no engineer with skill lifts in the region",
            "assignee_id": None,
            "pin": None,
        }
    ]
    route = next(r for r in plan["routes"] if r["engineer_id"] == str(scene["east"].id))
    assert route["travel_km"] > 0 and route["travel_min"] > 0
    assert all(s["eta"] and s["breach_min"] == 0 for s in route["tickets"])
    assert plan["applied"] == [] and plan["summary"]["assigned"] == 3
    db.session.expire_all()
    assert {tk.status for tk in db.session.scalars(select(Ticket))} == {"new"}
    assert db.session.scalar(select(TicketEvent).where(TicketEvent.action == "assign")) is None


def test_apply_goes_through_the_assign_operation(client, auth, scene):
    t = scene["tickets"]
    _, result = preview_then_apply(
        client, auth(scene["dispatcher"]), {"region_id": str(scene["region"].id)}
    )
    applied = {a["ticket_id"]: a for a in result["applied"]}
    assert set(applied) == {str(t["w"].id), str(t["e"].id), str(t["elec"].id)}
    db.session.expire_all()
    west_ticket = db.session.get(Ticket, t["w"].id)
    assert west_ticket.status == "assigned" and west_ticket.assignee_id == scene["west"].id
    assert west_ticket.eta is not None
    events = db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == t["w"].id, TicketEvent.action == "assign"
        )
    ).all()
    assert len(events) == 1 and events[0].actor_id == scene["dispatcher"].id
    decision = db.session.get(DispatchDecision, uuid.UUID(events[0].data["decision_id"]))
    assert decision.chosen_engineer_id == scene["west"].id
    # The after_assign hook told the engineer (push outbox hangs off this notification).
    note = db.session.scalars(
        select(Notification).where(Notification.user_id == scene["west"].id)
    ).one()
    assert note.kind == "ticket_assigned" and note.ticket_id == t["w"].id
    assert db.session.get(Ticket, t["lifts"].id).status == "new"


def test_accepted_tickets_stay_with_their_engineer(client, auth, scene):
    t = scene["tickets"]
    # West accepted the ticket next to East's home: the plan keeps it with West.
    assign_ticket(t["e"], scene["west"], actor=scene["dispatcher"])
    transition(t["e"], scene["west"], "accept")
    db.session.commit()
    plan, result = preview_then_apply(
        client, auth(scene["dispatcher"]), {"region_id": str(scene["region"].id)}
    )
    assert _stops(plan)[str(t["e"].id)] == str(scene["west"].id)
    pinned = [s for r in plan["routes"] for s in r["tickets"] if s["ticket_id"] == str(t["e"].id)]
    assert pinned[0]["pinned"] is True
    assert str(t["e"].id) not in {a["ticket_id"] for a in result["applied"]}
    db.session.expire_all()
    kept = db.session.get(Ticket, t["e"].id)
    assert kept.status == "accepted" and kept.assignee_id == scene["west"].id


def test_ticket_ids_scope_and_queued_job(client, auth, scene, run_jobs):
    t = scene["tickets"]
    body = {"ticket_ids": [str(t["w"].id), str(t["lifts"].id)], "async": True}
    res = client.post(URL, json=body, headers=auth(scene["dispatcher"]))
    assert res.status_code == 202, res.json
    job_id = res.json["job_id"]
    assert res.json["status"] == "queued" and job_id.startswith("optimize-")
    pending = client.get(f"{URL}/{job_id}", headers=auth(scene["dispatcher"]))
    assert pending.status_code == 200 and pending.json["status"] == "queued"
    run_jobs()
    done = client.get(f"{URL}/{job_id}", headers=auth(scene["dispatcher"]))
    assert done.status_code == 200 and done.json["status"] == "finished", done.json
    plan = done.json["plan"]
    assert _stops(plan) == {str(t["w"].id): str(scene["west"].id)}
    assert [u["reason"] for u in plan["unassigned"]] == ["missing_skill:lifts"]


def test_a_plan_queued_while_redis_is_down_is_queued_not_lost(client, auth, scene, run_jobs):
    from backend.extensions import redis_holder

    t = scene["tickets"]
    body = {"ticket_ids": [str(t["w"].id)], "async": True}
    url, kept = redis_holder.url, redis_holder._client
    redis_holder.url, redis_holder._client = "redis://127.0.0.1:1/0", None  # Redis stopped
    try:
        res = client.post(URL, json=body, headers=auth(scene["dispatcher"]))
        assert res.status_code == 202, res.json
        job_id = res.json["job_id"]
        state = client.get(f"{URL}/{job_id}", headers=auth(scene["dispatcher"]))
        assert state.status_code == 200 and state.json["status"] == "queued", state.json
    finally:
        redis_holder.url, redis_holder._client = url, kept
    # Redis is back, but lost the job: the outbox still answers for it.
    state = client.get(f"{URL}/{job_id}", headers=auth(scene["dispatcher"]))
    assert state.status_code == 200 and state.json["status"] == "queued", state.json


def test_one_plan_per_region_at_a_time_with_progress_and_cancel(client, auth, scene, run_jobs):
    disp = auth(scene["dispatcher"])
    region = {"region_id": str(scene["region"].id), "async": True}
    first = client.post(URL, json=region, headers=disp)
    assert first.status_code == 202, first.json
    running = first.json["job_id"]
    again = client.post(URL, json=region, headers=disp)
    assert again.status_code == 409 and again.json["kind"] == "plan_running", again.json
    assert again.json["job_id"] == running and running in again.json["message"]
    # ... and says whose plan it is and since when, for the console to put in words.
    assert again.json["started_by"] == scene["dispatcher"].name, again.json
    since = datetime.now(UTC) - datetime.fromisoformat(again.json["started_at"])
    assert timedelta(0) <= since < timedelta(minutes=5), again.json
    assert again.json["progress"] is None  # queued, not started
    listed = {"ticket_ids": [str(scene["tickets"]["w"].id)], "async": True}
    assert client.post(URL, json=listed, headers=disp).status_code == 202  # not a region's
    state = client.get(f"{URL}/{running}", headers=disp).json
    assert state["status"] == "queued" and state["progress"] is None
    stopped = client.delete(f"{URL}/{running}", headers=disp)
    assert stopped.status_code == 200 and stopped.json["status"] == "canceled", stopped.json
    assert client.delete(f"{URL}/{running}", headers=auth(scene["west"])).status_code == 403
    retry = client.post(URL, json=region, headers=disp)  # the region is free again
    assert retry.status_code == 202, retry.json
    run_jobs()
    done = client.get(f"{URL}/{retry.json['job_id']}", headers=disp).json
    assert done["status"] == "finished", done
    progress = done["progress"]
    assert progress["phase"] == "done" and progress["percent"] == 100
    assert progress["phases"][0] == "pass1" and progress["phases"][-1] == "explain"
    assert progress["facts"]["passes"] >= 1
    # The facts add up over the phases: pass 1's size stays beside the search's travel.
    assert progress["facts"]["tickets"] >= 1 and "travel_km" in progress["facts"], progress
    assert client.get(f"{URL}/{running}", headers=disp).json["status"] == "canceled"
    assert client.post(URL, json=region, headers=disp).status_code == 202  # released at the end
    assert client.delete(f"{URL}/optimize-{uuid.uuid4()}", headers=disp).status_code == 404


def test_errors_are_precise(client, auth, scene):
    t = scene["tickets"]
    disp = auth(scene["dispatcher"])
    assert client.post(URL, json={}, headers=auth(scene["west"])).status_code == 403
    assert client.post(URL, json={}).status_code == 401
    bad = client.post(URL, json={"region_id": "nope", "apply": "maybe"}, headers=disp)
    assert bad.status_code == 422 and "region_id" in bad.json["message"]
    missing = client.post(URL, json={"ticket_ids": [str(uuid.uuid4())]}, headers=disp)
    assert missing.status_code == 404 and "unknown ticket" in missing.json["message"]
    no_region = client.post(URL, json={"region_id": str(uuid.uuid4())}, headers=disp)
    assert no_region.status_code == 404
    cancelled = db.session.get(Ticket, t["w"].id)  # the requests above reset the session
    transition(cancelled, db.session.merge(scene["dispatcher"]), "cancel", reason="duplicate")
    db.session.commit()
    closed = client.post(URL, json={"ticket_ids": [str(t["w"].id)]}, headers=disp)
    assert closed.status_code == 422 and t["w"].number in closed.json["message"]
    dup = client.post(URL, json={"ticket_ids": [str(t["e"].id)] * 2}, headers=disp)
    assert dup.status_code == 422
    assert client.get(f"{URL}/optimize-{uuid.uuid4()}", headers=disp).status_code == 404
    assert client.get(f"{URL}/whatever", headers=disp).status_code == 404


def test_openapi_documents_the_optimize_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/dispatch/optimize"]["post"]
    assert {"200", "202", "403", "404", "422"} <= set(post["responses"])
    job = spec["paths"]["/api/v1/dispatch/optimize/{job_id}"]
    assert {"get", "delete"} <= set(job)
    assert "409" in post["responses"]


def test_plan_budget_is_the_benchs_unless_configured_and_fits_the_job_timeout(app, monkeypatch):
    from backend.dispatch.optimize import tasks as tasks

    with app.app_context():
        monkeypatch.setitem(app.config, "OPTIMIZE_BUDGET_S", None)
        monkeypatch.setitem(app.config, "OPTIMIZE_TIMEOUT_S", None)
        assert tasks.plan_budget() == 9.0  # what bench/dispatch.py measures
        monkeypatch.setitem(app.config, "OPTIMIZE_BUDGET_S", "4.5")
        assert tasks.plan_budget() == 4.5
        monkeypatch.setitem(app.config, "OPTIMIZE_TIMEOUT_S", "6")
        assert tasks.plan_budget() == 3.0  # half the job's timeout: rq never kills a plan
        monkeypatch.setitem(app.config, "OPTIMIZE_TIMEOUT_S", "1")
        assert tasks.plan_budget() == 1.0
