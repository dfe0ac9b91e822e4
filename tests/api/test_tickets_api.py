"""Tickets over HTTP: creation and routing, list filters, visibility, edits, transitions."""

from __future__ import annotations

import json

import pytest

from backend.workorders import hooks
from backend.workorders.operations import assign_ticket
from tests.factories import BERLIN, square

UNKNOWN = "00000000-0000-0000-0000-000000000000"


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def _create(api, user, **body):
    body.setdefault("title", "Chiller not cooling")
    body.setdefault("priority", "P2")
    return api("post", "/api/v1/tickets", user, json=body)


def test_create_ticket_contract(api, staff, make_region, make_skill):
    region = make_region(square(*BERLIN))
    make_skill("hvac")
    r = _create(api, staff, location=point(*BERLIN), required_skills=["hvac"], description="hot")
    assert r.status_code == 201, r.json
    t = r.json
    expected = {"id", "number", "title", "description", "priority", "status", "region_ids"}
    expected |= {"unrouted", "assignee_id", "asset_id", "site_id", "location", "required_skills"}
    expected |= {"sla", "version", "created_at", "updated_at"}
    assert expected <= set(t)
    assert t["number"].startswith("T-") and t["status"] == "new"
    assert t["region_ids"] == [str(region.id)] and t["unrouted"] is False
    assert t["location"] == point(*BERLIN)
    assert t["required_skills"] == ["hvac"]
    assert set(t["sla"]) >= {"respond_by", "resolve_by", "breached", "state"}
    assert t["sla"]["breached"] is False and t["sla"]["state"] == "ok"
    assert t["allowed_actions"] == []  # a new job: nothing for an engineer until assigned
    assert r.headers["ETag"] == f'"{t["version"]}"'
    got = api("get", f"/api/v1/tickets/{t['id']}", staff)
    assert got.json == t and got.headers["ETag"] == r.headers["ETag"]


def test_location_comes_from_asset_site(api, staff, make_asset, make_site):
    site = make_site(2.35, 48.85)
    asset = make_asset(site)
    site_id, asset_id = str(site.id), str(asset.id)
    r = _create(api, staff, asset_id=asset_id)
    assert r.status_code == 201, r.json
    assert r.json["location"] == point(2.35, 48.85)
    assert (r.json["asset_id"], r.json["site_id"]) == (asset_id, site_id)
    by_site = _create(api, staff, site_id=site_id)
    assert by_site.json["location"] == point(2.35, 48.85) and by_site.json["asset_id"] is None


def test_overlapping_regions_and_unrouted(api, staff, make_region):
    a = make_region(square(10.0, 50.0, 0.5))
    b = make_region(square(10.4, 50.0, 0.5))
    both = _create(api, staff, location=point(10.2, 50.0))
    assert sorted(both.json["region_ids"]) == sorted([str(a.id), str(b.id)])
    outside = _create(api, staff, location=point(-70.0, -30.0))
    assert outside.status_code == 201
    assert outside.json["region_ids"] == [] and outside.json["unrouted"] is True
    unrouted = api("get", "/api/v1/tickets?unrouted=true", staff).json
    assert [t["id"] for t in unrouted] == [outside.json["id"]]


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"priority": "P9"}, 422, "unknown priority 'P9'"),
        ({"priority": None}, 422, "priority"),
        ({"title": ""}, 422, "title"),
        ({"location": point(190, 0)}, 422, "longitude 190 is out of range"),
        ({"location": {"type": "Point"}}, 422, "missing 'coordinates'"),
        ({"asset_id": UNKNOWN}, 404, "asset"),
        ({"site_id": UNKNOWN}, 404, "site"),
        ({"asset_id": "not-a-uuid"}, 422, "asset_id"),
        ({"required_skills": ["nope"]}, 422, "unknown skill code(s): nope"),
        ({}, 422, "asset_id, site_id or location"),
    ],
)
def test_create_ticket_bad_input(api, staff, body, status, expected):
    r = api("post", "/api/v1/tickets", staff, json={"title": "T", "priority": "P3", **body})
    assert r.status_code == status, r.json
    assert expected in r.json["message"] or expected in json.dumps(r.json.get("errors", {}))


def test_missing_title_and_priority_both_named(api, staff):
    r = api("post", "/api/v1/tickets", staff, json={"location": point(*BERLIN)})
    assert r.status_code == 422
    assert set(r.json["errors"]["json"]) == {"title", "priority"}
    assert "title" in r.json["message"] and "priority" in r.json["message"]


def test_create_needs_staff_and_token(api, make_user):
    assert _create(api, make_user("engineer"), location=point(*BERLIN)).status_code == 403
    assert _create(api, None, location=point(*BERLIN)).status_code == 401


def test_sql_and_html_stored_verbatim(api, staff):
    nasty = "<script>alert('x')</script>'; DROP TABLE tickets; --"
    r = _create(api, staff, title=nasty[:200], description=nasty, location=point(*BERLIN))
    assert r.status_code == 201
    got = api("get", f"/api/v1/tickets/{r.json['id']}", staff).json
    assert got["title"] == nasty and got["description"] == nasty
    note = api("post", f"/api/v1/tickets/{r.json['id']}/notes", staff, json={"body": nasty})
    assert note.status_code == 201 and note.json["body"] == nasty
    assert len(api("get", "/api/v1/tickets", staff).json) == 1  # the table is still there


def test_oversized_body_is_413(api, staff):
    r = _create(api, staff, description="x" * 300_000, location=point(*BERLIN))
    assert r.status_code == 413
    assert r.json["code"] == 413 and "at most" in r.json["message"]


def test_malformed_json_is_400(api, staff):
    r = api("post", "/api/v1/tickets", staff, data="{not json", content_type="application/json")
    assert r.status_code == 400


def test_list_filters_bbox_and_pagination(api, staff, make_ticket, make_region, make_user, session):
    region = make_region(square(*BERLIN))
    engineer = make_user("engineer")
    in_berlin = make_ticket(priority="P1")
    paris = make_ticket(priority="P2", lon=2.35, lat=48.85)
    assigned = make_ticket(priority="P1", lon=13.41, lat=52.51)
    assign_ticket(assigned, engineer, actor=staff)
    ids = {k: str(t.id) for k, t in (("berlin", in_berlin), ("paris", paris), ("a", assigned))}
    session.commit()  # make_ticket committed; the assignment needs one too

    def listed(qs: str) -> list[str]:
        r = api("get", f"/api/v1/tickets?{qs}", staff)
        assert r.status_code == 200, r.json
        return sorted(t["id"] for t in r.json)

    assert listed("") == sorted(ids.values())
    assert listed("status=new") == sorted([ids["berlin"], ids["paris"]])
    assert listed("status=new,assigned&priority=P1") == sorted([ids["berlin"], ids["a"]])
    assert listed(f"region_id={region.id}") == sorted([ids["berlin"], ids["a"]])
    assert listed(f"assignee_id={engineer.id}") == [ids["a"]]
    assert listed("bbox=2,48,3,49") == [ids["paris"]]
    assert listed("bbox=13,52,14,53&status=assigned") == [ids["a"]]
    page = api("get", "/api/v1/tickets?page=2&page_size=2", staff)
    meta = json.loads(page.headers["X-Pagination"])
    assert meta["total"] == 3 and meta["page"] == 2 and len(page.json) == 1
    for bad in ("bbox=1,2,3", "bbox=a,b,c,d", "bbox=3,0,1,1", "status=flying", "priority=P7"):
        r = api("get", f"/api/v1/tickets?{bad}", staff)
        assert r.status_code == 422, bad
        assert r.json["message"]


def test_list_items_equal_each_tickets_own_answer(
    api, staff, make_ticket, make_region, make_user, make_asset, make_site, session
):
    """The list reads plain columns (``TicketRow``), a ticket's own answer the ORM entity:
    every field of every kind of ticket (routed or not, with an asset, assigned, accepted,
    with skills) must come out the same, as staff and as the assigned engineer see it."""
    make_region(square(*BERLIN))
    engineer = make_user("engineer")
    asset = make_asset(make_site(13.40, 52.52))
    plain = make_ticket(priority="P1")
    _create(api, staff, asset_id=str(asset.id), required_skills=[], description="from asset")
    make_ticket(priority="P4", lon=2.35, lat=48.85)  # unrouted
    accepted = make_ticket(priority="P2", lon=13.41, lat=52.51)
    assign_ticket(accepted, engineer, actor=staff)
    assign_ticket(plain, engineer, actor=staff)
    session.commit()
    act = api(
        "post", f"/api/v1/tickets/{accepted.id}/transitions", engineer, json={"action": "accept"}
    )
    assert act.status_code == 200, act.json
    everything = api("get", "/api/v1/tickets?page_size=50", staff).json
    assert len(everything) == 4
    mine = [t for t in everything if t["assignee_id"] == str(engineer.id)]
    assert mine and any(t["status"] == "accepted" for t in mine)
    for user, expected in ((staff, everything), (engineer, mine)):
        listed = api("get", "/api/v1/tickets?page_size=50", user)
        assert listed.status_code == 200
        assert [t["id"] for t in listed.json] == [t["id"] for t in expected]
        for item in listed.json:
            own = api("get", f"/api/v1/tickets/{item['id']}", user).json
            assert item == own
            assert list(item) == list(own)  # the same keys in the same order


def test_engineers_only_see_their_own_tickets(api, staff, make_ticket, make_user, session):
    mine_user, other_user = make_user("engineer"), make_user("engineer")
    mine, theirs = make_ticket(), make_ticket()
    assign_ticket(mine, mine_user, actor=staff)
    assign_ticket(theirs, other_user, actor=staff)
    session.commit()
    mine_id, theirs_id = str(mine.id), str(theirs.id)
    listed = api("get", "/api/v1/tickets", mine_user)
    assert [t["id"] for t in listed.json] == [mine_id]
    # Asking for someone else's tickets does not widen the view.
    assert api("get", f"/api/v1/tickets?assignee_id={other_user.id}", mine_user).json == []
    got = api("get", f"/api/v1/tickets/{mine_id}", mine_user)
    assert got.status_code == 200
    assert got.json["allowed_actions"] == ["accept", "reject"]  # as the pulled ticket says
    for path in ("", "/events", "/notes"):
        assert api("get", f"/api/v1/tickets/{theirs_id}{path}", mine_user).status_code == 404
    r = api(
        "post", f"/api/v1/tickets/{theirs_id}/transitions", mine_user, json={"action": "accept"}
    )
    assert r.status_code == 404
    assert api("get", f"/api/v1/tickets/{UNKNOWN}", staff).status_code == 404


def test_patch_versions_if_match_and_body(api, staff, make_ticket):
    tid = str(make_ticket(priority="P3").id)
    current = api("get", f"/api/v1/tickets/{tid}", staff)
    etag, version = current.headers["ETag"], current.json["version"]
    ok = api(
        "patch",
        f"/api/v1/tickets/{tid}",
        staff,
        json={"priority": "P1"},
        headers={"If-Match": etag},
    )
    assert ok.status_code == 200, ok.json
    assert ok.json["priority"] == "P1" and ok.json["version"] > version
    assert ok.json["sla"]["respond_by"] < current.json["sla"]["respond_by"]
    # The same, now stale, ETag: precondition failed.
    stale = api(
        "patch", f"/api/v1/tickets/{tid}", staff, json={"title": "x"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412 and stale.json["current_version"] == ok.json["version"]
    # The stale version in the body: conflict.
    body_stale = api(
        "patch", f"/api/v1/tickets/{tid}", staff, json={"title": "x", "version": version}
    )
    assert body_stale.status_code == 409 and "current version" in body_stale.json["message"]
    missing = api("patch", f"/api/v1/tickets/{tid}", staff, json={"title": "x"})
    assert missing.status_code == 422
    garbled = api(
        "patch", f"/api/v1/tickets/{tid}", staff, json={"title": "x"}, headers={"If-Match": "abc"}
    )
    assert garbled.status_code == 422
    body_ok = api(
        "patch",
        f"/api/v1/tickets/{tid}",
        staff,
        json={"title": "Renamed", "version": ok.json["version"]},
    )
    assert body_ok.status_code == 200 and body_ok.json["title"] == "Renamed"
    moved = api(
        "patch",
        f"/api/v1/tickets/{tid}",
        staff,
        json={"location": point(-70.0, -30.0), "version": body_ok.json["version"]},
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["location"] == point(-70.0, -30.0) and moved.json["unrouted"] is True
    bad_priority = api(
        "patch", f"/api/v1/tickets/{tid}", staff, json={"priority": "P0", "version": 99}
    )
    assert bad_priority.status_code == 422


def test_patch_assignee_uses_assign_operation(api, staff, make_ticket, make_user):
    engineer = make_user("engineer")
    tid = str(make_ticket().id)
    v = api("get", f"/api/v1/tickets/{tid}", staff).json["version"]
    r = api(
        "patch",
        f"/api/v1/tickets/{tid}",
        staff,
        json={"assignee_id": str(engineer.id), "version": v, "reason": "nearest"},
    )
    assert r.status_code == 200, r.json
    assert r.json["assignee_id"] == str(engineer.id) and r.json["status"] == "assigned"
    events = api("get", f"/api/v1/tickets/{tid}/events", staff).json
    assert events[-1]["action"] == "assign" and events[-1]["reason"] == "nearest"
    # Unknown user -> 404; a dispatcher is not an engineer -> 422; engineers may not edit.
    v = r.json["version"]
    unknown = api(
        "patch", f"/api/v1/tickets/{tid}", staff, json={"assignee_id": UNKNOWN, "version": v}
    )
    assert unknown.status_code == 404
    not_engineer = api(
        "patch", f"/api/v1/tickets/{tid}", staff, json={"assignee_id": str(staff.id), "version": v}
    )
    assert not_engineer.status_code == 422
    assert api("patch", f"/api/v1/tickets/{tid}", engineer, json={"version": v}).status_code == 403
    unassigned = api(
        "patch", f"/api/v1/tickets/{tid}", staff, json={"assignee_id": None, "version": v}
    )
    assert unassigned.json["assignee_id"] is None and unassigned.json["status"] == "new"


def test_transitions_and_audit_trail(api, staff, make_ticket, make_user, session, monkeypatch):
    # Completion rules (signature, parts...) are other features' guards; here one stand-in
    # guard refuses once, then none, so this test is about the transition API itself.
    monkeypatch.setattr(hooks, "completion_guards", [lambda ticket: ["signature"]])
    engineer = make_user("engineer")
    ticket = make_ticket()
    assign_ticket(ticket, engineer, actor=staff)
    session.commit()
    tid = str(ticket.id)

    def act(user, action, **kw):
        return api(
            "post", f"/api/v1/tickets/{tid}/transitions", user, json={"action": action, **kw}
        )

    for action in ("accept", "start_travel", "arrive", "start_work"):
        r = act(engineer, action)
        assert r.status_code == 200, r.json
    assert r.json["status"] == "in_progress" and r.headers["ETag"] == f'"{r.json["version"]}"'

    invalid = act(engineer, "accept")
    assert invalid.status_code == 409
    assert invalid.json["current_status"] == "in_progress"
    assert set(invalid.json["allowed_actions"]) == {"hold", "complete"}
    assert "in_progress" in invalid.json["message"]

    assert act(engineer, "close").status_code == 403  # staff only
    unknown = act(engineer, "teleport")
    assert unknown.status_code == 422 and "teleport" in unknown.json["message"]
    assert act(engineer, "").status_code == 422
    stale = act(engineer, "complete", version=1)
    assert stale.status_code == 409
    guarded = act(engineer, "complete")
    assert guarded.status_code == 409 and guarded.json["missing"] == ["signature"]
    monkeypatch.setattr(hooks, "completion_guards", [])
    assert act(engineer, "complete").json["status"] == "completed"
    assert act(staff, "close").json["status"] == "closed"

    events = api("get", f"/api/v1/tickets/{tid}/events", engineer).json
    assert [e["action"] for e in events] == [
        "create", "assign", "accept", "start_travel", "arrive", "start_work", "complete", "close",
    ]  # fmt: skip
    last = events[-1]
    assert last["from"] == "completed" and last["to"] == "closed"
    assert last["actor_id"] == str(staff.id) and last["via"] == "api" and last["at"]


def test_notes_idempotent_by_client_id(api, staff, make_ticket, make_user, session):
    engineer = make_user("engineer")
    ticket = make_ticket()
    assign_ticket(ticket, engineer, actor=staff)
    session.commit()
    tid = str(ticket.id)
    note_id = "6f1c1d1e-0000-4000-8000-000000000001"
    body = {"id": note_id, "body": "Compressor replaced"}
    first = api("post", f"/api/v1/tickets/{tid}/notes", engineer, json=body)
    again = api("post", f"/api/v1/tickets/{tid}/notes", engineer, json=body)
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"] == note_id
    clash = api("post", f"/api/v1/tickets/{tid}/notes", engineer, json={**body, "body": "other"})
    assert clash.status_code == 409
    empty = api("post", f"/api/v1/tickets/{tid}/notes", engineer, json={"body": ""})
    assert empty.status_code == 422
    notes = api("get", f"/api/v1/tickets/{tid}/notes", staff).json
    assert [n["body"] for n in notes] == ["Compressor replaced"]


def test_openapi_documents_every_operation_and_errors(client):
    doc = client.get("/api/v1/openapi.json").json
    paths = doc["paths"]
    expected = {
        "/api/v1/auth/login": {"post"},
        "/api/v1/auth/refresh": {"post"},
        "/api/v1/me": {"get"},
        "/api/v1/users": {"get", "post"},
        "/api/v1/customers": {"get", "post"},
        "/api/v1/sites": {"get", "post"},
        "/api/v1/assets": {"get", "post"},
        "/api/v1/assets/{asset_id}/qr.svg": {"get"},
        "/api/v1/assets/{asset_id}/qr.png": {"get"},
        "/api/v1/regions": {"get", "post"},
        "/api/v1/regions/{region_id}": {"get"},
        "/api/v1/skills": {"get", "post"},
        "/api/v1/tickets": {"get", "post"},
        "/api/v1/tickets/{ticket_id}": {"get", "patch"},
        "/api/v1/tickets/{ticket_id}/transitions": {"post"},
        "/api/v1/tickets/{ticket_id}/events": {"get"},
        "/api/v1/tickets/{ticket_id}/notes": {"get", "post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
        for method in methods:
            responses = paths[path][method]["responses"]
            assert any(code.startswith("4") for code in responses), (path, method)
    assert {"409", "412", "422"} <= set(paths["/api/v1/tickets/{ticket_id}"]["patch"]["responses"])
    assert "429" in paths["/api/v1/auth/login"]["post"]["responses"]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    # Staff read the ticket list with a token, integrations with a tickets:read API key.
    assert paths["/api/v1/tickets"]["get"]["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    assert paths["/api/v1/tickets"]["get"]["x-api-key-scope"] == "tickets:read"
    assert paths["/api/v1/tickets/{ticket_id}/transitions"]["post"]["security"] == [
        {"bearerAuth": []}
    ]
