"""HTTP tests of candidates, assign, override, unassign, reject-and-redispatch (real rq burst
worker), auto-dispatch and the map."""

from __future__ import annotations

from datetime import time

from rq import Queue
from sqlalchemy import select, update

from backend.db import db
from backend.dispatch.engineers import ShiftSpec
from backend.dispatch.models import DispatchDecision
from backend.notify.models import Notification
from backend.workorders.models import Ticket, TicketEvent

NEVER = ShiftSpec("UTC", [0], time(0, 0), time(0, 1))  # one minute on Mondays


def url(ticket, what):
    return f"/api/v1/dispatch/tickets/{ticket.id}/{what}"


def fresh(ticket) -> Ticket:
    # Refresh only the ticket: expiring everything would leave the test's User objects
    # expired and then detached by the next request's session teardown.
    current = db.session.get(Ticket, ticket.id)
    db.session.refresh(current)
    return current


def dispatcher_notes(ticket):
    stmt = select(Notification).where(
        Notification.ticket_id == ticket.id, Notification.role == "dispatcher"
    )
    return list(db.session.scalars(stmt))


def test_candidates_ranked_with_reasons(
    client, auth, make_user, make_region, make_engineer, make_ticket, make_skill
):
    make_skill("hvac")
    region = make_region()
    best = make_engineer(13.41, 52.52, regions=[region], skills=["hvac"])
    second = make_engineer(13.43, 52.52, regions=[region], skills=["hvac"])
    no_skill = make_engineer(13.401, 52.52, regions=[region])
    off = make_engineer(13.402, 52.52, regions=[region], skills=["hvac"], status="off_duty")
    night = make_engineer(13.403, 52.52, regions=[region], skills=["hvac"], shift=NEVER)
    stranger = make_engineer(13.404, 52.52, skills=["hvac"])
    t = make_ticket(required_skills=["hvac"])
    disp = make_user("dispatcher")
    r = client.get(url(t, "candidates"), headers=auth(disp))
    assert r.status_code == 200, r.json
    rows = {c["engineer_id"]: c for c in r.json}
    assert [c["engineer_id"] for c in r.json[:2]] == [str(best.id), str(second.id)]
    assert all(c["eligible"] for c in r.json[:2]) and not any(c["eligible"] for c in r.json[2:])
    assert r.json[0]["score"] > r.json[1]["score"]
    assert set(r.json[0]["terms"]) == {"travel", "earliest_start", "load", "disruption"}
    assert r.json[0]["terms"]["travel"]["weight"] > 0 and r.json[0]["eta"]
    assert rows[str(no_skill.id)]["reasons"] == ["missing_skill:hvac"]
    assert rows[str(off.id)]["reasons"] == ["status:off_duty"]
    assert rows[str(night.id)]["reasons"] == ["off_shift"]
    assert rows[str(stranger.id)]["reasons"] == ["not_in_region"]

    eng = best
    assert client.get(url(t, "candidates"), headers=auth(eng)).status_code == 403
    missing = "/api/v1/dispatch/tickets/00000000-0000-0000-0000-000000000000/candidates"
    assert client.get(missing, headers=auth(disp)).status_code == 404


def test_assign_best_stores_decision_and_audit(
    client, auth, make_user, make_region, make_engineer, make_ticket
):
    region = make_region()
    near = make_engineer(13.41, 52.52, regions=[region])
    runner = make_engineer(13.45, 52.52, regions=[region])
    t = make_ticket()
    disp = make_user("dispatcher")
    r = client.post(url(t, "assign"), json={}, headers=auth(disp))
    assert r.status_code == 200, r.json
    d = r.json
    assert d["chosen_engineer_id"] == d["recommended_engineer_id"] == str(near.id)
    assert d["runner_up_engineer_id"] == str(runner.id)
    assert d["override"] is False and d["broken_rules"] == [] and d["mode"] == "best"
    assert d["actor_id"] == str(disp.id) and d["weights_version"]
    assert len(d["candidates"]) == 2 and d["ticket_status"] == "assigned"
    ticket = fresh(t)
    assert ticket.assignee_id == near.id and ticket.eta is not None
    stored = db.session.get(DispatchDecision, d["id"])
    assert stored is not None and stored.candidates[0]["engineer_id"] == str(near.id)
    event = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.action == "assign")
    ).one()
    assert event.data["decision_id"] == d["id"] and event.actor_id == disp.id

    # Reassign without a name: "someone else", the runner-up.
    r = client.post(url(t, "assign"), json={}, headers=auth(disp))
    assert r.status_code == 200 and r.json["chosen_engineer_id"] == str(runner.id)
    assert fresh(t).assignee_id == runner.id
    history = client.get(url(t, "decisions"), headers=auth(disp))
    assert [h["chosen_engineer_id"] for h in history.json] == [str(runner.id), str(near.id)]

    r = client.post(url(t, "unassign"), json={"reason": "customer postponed"}, headers=auth(disp))
    assert r.status_code == 200 and r.json == {
        "ticket_id": str(t.id),
        "ticket_status": "new",
        "assignee_id": None,
    }
    assert fresh(t).assignee_id is None
    assert client.post(url(t, "unassign"), json={}, headers=auth(disp)).status_code == 409


def test_override_needs_a_reason(client, auth, make_user, make_region, make_engineer, make_ticket):
    region = make_region()
    make_engineer(13.41, 52.52, regions=[region])
    outsider = make_engineer(13.40, 52.53)  # no territory
    t = make_ticket()
    disp = make_user("dispatcher")
    r = client.post(url(t, "assign"), json={"engineer_id": str(outsider.id)}, headers=auth(disp))
    assert r.status_code == 409, r.json
    assert r.json["broken_rules"] == ["not_in_region"] and "reason" in r.json["message"]
    assert fresh(t).assignee_id is None

    r = client.post(
        url(t, "assign"),
        json={"engineer_id": str(outsider.id), "reason": "knows the site"},
        headers=auth(disp),
    )
    assert r.status_code == 200, r.json
    assert r.json["override"] is True and r.json["override_reason"] == "knows the site"
    assert r.json["broken_rules"] == ["not_in_region"] and r.json["mode"] == "pick"
    assert r.json["chosen_engineer_id"] == str(outsider.id)
    assert fresh(t).assignee_id == outsider.id

    not_engineer = client.post(
        url(t, "assign"), json={"engineer_id": str(disp.id), "reason": "x"}, headers=auth(disp)
    )
    assert not_engineer.status_code == 422
    unknown = client.post(
        url(t, "assign"),
        json={"engineer_id": "00000000-0000-0000-0000-000000000009"},
        headers=auth(disp),
    )
    assert unknown.status_code == 404
    bad = client.post(url(t, "assign"), json={"engineer_id": "nope"}, headers=auth(disp))
    assert bad.status_code == 422
    gone = make_engineer(13.41, 52.52, regions=[region])
    gone.is_active = False
    db.session.commit()
    r = client.post(
        url(t, "assign"), json={"engineer_id": str(gone.id), "reason": "x"}, headers=auth(disp)
    )
    assert r.status_code == 422 and "disabled" in r.json["message"]


def test_nobody_eligible_is_409_with_reasons(client, auth, make_user, make_engineer, make_ticket):
    make_engineer(13.41, 52.52)
    t = make_ticket(lon=2.35, lat=48.85)  # outside every region
    r = client.post(url(t, "assign"), json={}, headers=auth(make_user("dispatcher")))
    assert r.status_code == 409
    assert r.json["kind"] == "no_eligible_engineer" and "not_in_region" in r.json["reasons"]


def test_reject_redispatches_to_someone_else(
    client, auth, make_user, make_region, make_engineer, make_ticket, run_jobs, dispatch_config
):
    region = make_region()
    first = make_engineer(13.41, 52.52, regions=[region])
    second = make_engineer(13.45, 52.52, regions=[region])
    dispatch_config["AUTO_DISPATCH"] = "1"
    t = make_ticket(priority="P2")
    run_jobs()
    assert fresh(t).assignee_id == first.id
    r = client.post(
        f"/api/v1/tickets/{t.id}/transitions",
        json={"action": "reject", "reason": "van broke down"},
        headers=auth(first),
    )
    assert r.status_code == 200, r.json
    assert fresh(t).status == "new" and fresh(t).rejected_by == [first.id]
    run_jobs()
    ticket = fresh(t)
    assert ticket.status == "assigned" and ticket.assignee_id == second.id
    decision = db.session.scalars(
        select(DispatchDecision)
        .where(DispatchDecision.ticket_id == t.id)
        .order_by(DispatchDecision.created_at.desc())
    ).first()
    assert decision.mode == "auto" and decision.actor_id is None
    rejected = next(c for c in decision.candidates if c["engineer_id"] == str(first.id))
    assert rejected["reasons"] == ["rejected"]


def test_reject_without_auto_dispatch_flags_for_dispatchers(
    client, auth, make_user, make_region, make_engineer, make_ticket
):
    region = make_region()
    eng = make_engineer(13.41, 52.52, regions=[region])
    t = make_ticket()
    disp = make_user("dispatcher")
    assert client.post(url(t, "assign"), json={}, headers=auth(disp)).status_code == 200
    r = client.post(
        f"/api/v1/tickets/{t.id}/transitions",
        json={"action": "reject", "reason": "not my area"},
        headers=auth(eng),
    )
    assert r.status_code == 200
    ticket = fresh(t)
    assert ticket.status == "new" and "needs_dispatch" in ticket.dispatch_flags
    assert [n.kind for n in dispatcher_notes(t)] == ["dispatch_needs_dispatch"]
    # The rejecter is now ineligible; the only engineer -> nobody.
    assert client.post(url(t, "assign"), json={}, headers=auth(disp)).status_code == 409


def test_auto_dispatch_on_create_p1_goes_to_high_queue(
    make_region, make_engineer, make_ticket, run_jobs, dispatch_config, redis_client
):
    region = make_region()
    eng = make_engineer(13.41, 52.52, regions=[region])
    dispatch_config["AUTO_DISPATCH_REGIONS"] = str(region.id)
    p1 = make_ticket(priority="P1")
    p4 = make_ticket(priority="P4")
    assert Queue("high", connection=redis_client).count == 1
    assert Queue("default", connection=redis_client).count >= 1
    assert fresh(p1).status == "new"  # nothing happens before the job runs
    run_jobs()
    assert fresh(p1).assignee_id == eng.id and fresh(p4).assignee_id == eng.id
    # A ticket outside the configured regions is not auto-dispatched.
    elsewhere = make_ticket(lon=2.35, lat=48.85)
    run_jobs()
    assert fresh(elsewhere).status == "new" and not dispatcher_notes(elsewhere)


def test_auto_dispatch_nobody_can_take_it(
    make_region, make_engineer, make_ticket, run_jobs, dispatch_config
):
    region = make_region()
    make_engineer(13.41, 52.52, regions=[region], status="off_duty")
    dispatch_config["AUTO_DISPATCH"] = "1"
    t = make_ticket(priority="P1")
    unrouted = make_ticket(lon=2.35, lat=48.85)
    run_jobs()
    ticket = fresh(t)
    assert ticket.status == "new" and ticket.assignee_id is None
    assert ticket.dispatch_flags["no_candidate"]["reasons"] == {"status:off_duty": 1}
    [note] = dispatcher_notes(t)
    assert note.kind == "dispatch_no_candidate" and "P1" in note.title
    flags = fresh(unrouted).dispatch_flags
    assert flags["unrouted"] is True and flags["no_candidate"]["unrouted"] is True
    assert dispatcher_notes(unrouted)


def test_map_feature_collection(client, auth, make_user, make_region, make_engineer, make_ticket):
    region = make_region()
    eng = make_engineer(13.41, 52.52, regions=[region])
    inside = make_ticket(priority="P1")
    make_ticket(lon=2.35, lat=48.85)  # Paris: outside the box
    far_engineer = make_engineer(2.35, 48.85)
    disp = make_user("dispatcher")
    assert client.post(url(inside, "assign"), json={}, headers=auth(disp)).status_code == 200
    r = client.get("/api/v1/dispatch/map?bbox=13.2,52.4,13.6,52.7", headers=auth(disp))
    assert r.status_code == 200, r.json
    assert r.json["type"] == "FeatureCollection"
    by_kind = {}
    for f in r.json["features"]:
        by_kind.setdefault(f["properties"]["kind"], []).append(f)
    [ticket] = by_kind["ticket"]
    assert ticket["properties"]["id"] == str(inside.id)
    assert ticket["properties"]["priority"] == "P1" and ticket["properties"]["status"] == "assigned"
    assert ticket["properties"]["sla_state"] == "ok"
    # Both SLA clocks: the console counts down to respond_by until the ticket is accepted.
    assert ticket["properties"]["respond_by"] == inside.respond_by.isoformat()
    assert ticket["properties"]["responded_at"] is None
    assert ticket["properties"]["resolve_by"] == inside.resolve_by.isoformat()
    assert ticket["properties"]["chosen_engineer_id"] == str(eng.id)
    assert ticket["geometry"] == {"type": "Point", "coordinates": [13.4, 52.52]}
    [engineer] = by_kind["engineer"]
    assert engineer["properties"]["id"] == str(eng.id) != str(far_engineer.id)
    assert engineer["properties"]["open_jobs"] == 1 and engineer["properties"]["status"]
    [reg] = by_kind["region"]
    assert reg["properties"]["id"] == str(region.id) and reg["geometry"]["type"] == "Polygon"

    only = client.get(
        "/api/v1/dispatch/map?bbox=13.2,52.4,13.6,52.7&include=regions", headers=auth(disp)
    )
    assert {f["properties"]["kind"] for f in only.json["features"]} == {"region"}
    for bad in ("1,2,3", "a,b,c,d", "10,10,0,0", "0,-95,1,1", ""):
        r = client.get(f"/api/v1/dispatch/map?bbox={bad}", headers=auth(disp))
        assert r.status_code == 422, bad
        assert "bbox" in r.json["message"]
    assert client.get("/api/v1/dispatch/map", headers=auth(disp)).status_code == 422
    assert client.get("/api/v1/dispatch/map?bbox=0,0,1,1", headers=auth(eng)).status_code == 403


def test_openapi_documents_dispatch_errors(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assign = paths["/api/v1/dispatch/tickets/{ticket_id}/assign"]["post"]["responses"]
    assert {"200", "404", "409", "422"} <= set(assign)
    assert "422" in paths["/api/v1/dispatch/map"]["get"]["responses"]
    assert "/api/v1/dispatch/tickets/{ticket_id}/candidates" in paths
    assert "/api/v1/dispatch/tickets/{ticket_id}/unassign" in paths


def test_timeline_rows_shifts_jobs_and_travel(
    client, auth, make_user, make_region, make_engineer, make_ticket
):
    from datetime import UTC, date, datetime, timedelta

    from backend.dispatch.travel import estimate

    region = make_region()
    weekdays = ShiftSpec("Europe/Berlin", [0, 1, 2, 3, 4], time(8, 0), time(17, 0))
    eng = make_engineer(13.41, 52.52, regions=[region], name="Ada Timeline")
    office = make_engineer(13.45, 52.50, regions=[region], shift=weekdays, name="Bo Office")
    first = make_ticket(priority="P1", lon=13.40, lat=52.52)
    second = make_ticket(priority="P3", lon=13.38, lat=52.51)
    waiting = make_ticket(priority="P2", lon=13.39, lat=52.53)
    disp = make_user("dispatcher")
    for t in (first, second):
        body = {"engineer_id": str(eng.id)}
        r = client.post(url(t, "assign"), json=body, headers=auth(disp))
        assert r.status_code == 200, r.json
    # Assignment plans the jobs from now on; pinned here inside one UTC day, so the test does
    # not depend on when it runs (late in the evening the second job began after midnight,
    # on tomorrow's row).
    today = datetime.now(UTC).date()
    for t, hour in ((first, 9), (second, 11)):
        eta = datetime(today.year, today.month, today.day, hour, tzinfo=UTC)
        db.session.execute(update(Ticket).where(Ticket.id == t.id).values(eta=eta))
    db.session.commit()

    r = client.get(f"/api/v1/dispatch/timeline?date={today}", headers=auth(disp))
    assert r.status_code == 200, r.json
    rows = {e["engineer_id"]: e for e in r.json["engineers"]}
    ada, bo = rows[str(eng.id)], rows[str(office.id)]
    assert [j["ticket_id"] for j in ada["jobs"]] == [str(first.id), str(second.id)]
    assert bo["jobs"] == []
    # The first job's travel is from home, the second's from the first job's site.
    settings = {"speed_kmh": 40.0, "detour": 1.3}
    from_home = estimate((13.41, 52.52), (13.40, 52.52), **settings).minutes
    between = estimate((13.40, 52.52), (13.38, 52.51), **settings).minutes
    assert [j["travel_min"] for j in ada["jobs"]] == [round(from_home, 1), round(between, 1)]
    assert ada["jobs"][0]["sla_state"] == "ok" and ada["jobs"][0]["number"].startswith("T-")
    assert [u["ticket_id"] for u in r.json["unassigned"]] == [str(waiting.id)]
    # Bo's shift is 08:00-17:00 Berlin on weekdays; a Monday shows it in UTC, a Sunday none.
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    r = client.get(f"/api/v1/dispatch/timeline?date={monday}", headers=auth(disp))
    bo = {e["engineer_id"]: e for e in r.json["engineers"]}[str(office.id)]
    assert (
        bo["shift_start"]
        == datetime(monday.year, monday.month, monday.day, 7, tzinfo=UTC).isoformat()
    )
    assert (
        bo["shift_end"]
        == datetime(monday.year, monday.month, monday.day, 16, tzinfo=UTC).isoformat()
    )
    assert {e["engineer_id"]: e for e in r.json["engineers"]}[str(eng.id)]["jobs"] == []
    sunday = monday - timedelta(days=1)
    r = client.get(f"/api/v1/dispatch/timeline?date={sunday}", headers=auth(disp))
    assert {e["engineer_id"]: e for e in r.json["engineers"]}[str(office.id)]["shift_start"] is None
    assert isinstance(date.fromisoformat(r.json["date"]), date)

    bad = client.get("/api/v1/dispatch/timeline?date=2026-13-40", headers=auth(disp))
    assert bad.status_code == 422 and "date" in str(bad.json)
    assert client.get("/api/v1/dispatch/timeline", headers=auth(eng)).status_code == 403
