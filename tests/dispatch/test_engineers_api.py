"""HTTP tests of engineer profiles and location reports."""

from __future__ import annotations

from datetime import timedelta

from backend.db import utcnow

SHIFT = {"timezone": "Europe/Berlin", "days": [0, 1, 2, 3, 4], "start": "08:00", "end": "17:00"}
HOME = {"type": "Point", "coordinates": [13.4, 52.52]}


def body(user, **kw):
    return {"user_id": str(user.id), "home": HOME, "shift": SHIFT, **kw}


def test_create_list_and_patch_profile(client, auth, make_user, make_region, make_skill):
    disp = make_user("dispatcher")
    eng = make_user("engineer")
    region = make_region()
    make_skill("hvac")
    r = client.post(
        "/api/v1/engineers",
        json=body(eng, skills=["hvac"], region_ids=[str(region.id)], max_open_jobs=4),
        headers=auth(disp),
    )
    assert r.status_code == 201, r.json
    assert r.json["id"] == str(eng.id) == r.json["user_id"]
    assert r.json["shift"] == SHIFT
    assert r.json["skills"] == ["hvac"] and r.json["region_ids"] == [str(region.id)]
    assert r.json["status"] == "available" and r.json["open_jobs"] == 0
    assert r.json["location"] == HOME and r.json["location_source"] == "home"

    again = client.post("/api/v1/engineers", json=body(eng), headers=auth(disp))
    assert again.status_code == 409

    listed = client.get(f"/api/v1/engineers?region_id={region.id}", headers=auth(disp))
    assert listed.status_code == 200
    assert [e["id"] for e in listed.json] == [str(eng.id)]
    assert "X-Pagination" in listed.headers
    none = client.get("/api/v1/engineers?status=off_duty", headers=auth(disp))
    assert none.json == []

    night = {"timezone": "UTC", "days": [4], "start": "22:00", "end": "06:00"}
    r = client.patch(
        f"/api/v1/engineers/{eng.id}",
        json={
            "status": "off_duty",
            "shift": night,
            "home": {"type": "Point", "coordinates": [1, 2]},
        },
        headers=auth(disp),
    )
    assert r.status_code == 200, r.json
    assert r.json["status"] == "off_duty" and r.json["shift"] == night
    assert r.json["home"]["coordinates"] == [1, 2]


def test_profile_validation_errors_are_precise(client, auth, make_user, make_skill):
    disp = make_user("dispatcher")
    eng = make_user("engineer")
    cases = [
        (body(make_user("dispatcher")), 422, "only engineers"),
        (body(eng, skills=["plumbing"]), 422, "unknown skill"),
        (body(eng, region_ids=["00000000-0000-0000-0000-000000000001"]), 422, "unknown region"),
        (body(eng, shift={**SHIFT, "timezone": "Mars/Base"}), 422, "unknown time zone"),
        (body(eng, shift={**SHIFT, "days": [7]}), 422, "days"),
        (body(eng, shift={**SHIFT, "start": "25:00"}), 422, "start"),
        (body(eng, home={"type": "Point", "coordinates": [200, 0]}), 422, "longitude"),
        (body(eng, status="sleeping"), 422, "status"),
        ({**body(eng), "user_id": "00000000-0000-0000-0000-000000000002"}, 404, "not found"),
    ]
    for payload, status, text in cases:
        r = client.post("/api/v1/engineers", json=payload, headers=auth(disp))
        assert r.status_code == status, (payload, r.json)
        assert text in r.json["message"], (payload, r.json)


def test_roles_on_profiles(client, auth, make_user, make_engineer):
    eng = make_engineer(13.4, 52.52)
    other = make_engineer(13.5, 52.52)
    assert client.post("/api/v1/engineers", json=body(eng), headers=auth(eng)).status_code == 403
    assert client.get("/api/v1/engineers", headers=auth(eng)).status_code == 403
    # Own status: yes. Own skills, or someone else's profile: no.
    me = client.patch(f"/api/v1/engineers/{eng.id}", json={"status": "busy"}, headers=auth(eng))
    assert me.status_code == 200 and me.json["status"] == "busy"
    skills = client.patch(f"/api/v1/engineers/{eng.id}", json={"skills": []}, headers=auth(eng))
    assert skills.status_code == 403
    theirs = client.patch(
        f"/api/v1/engineers/{other.id}", json={"status": "busy"}, headers=auth(eng)
    )
    assert theirs.status_code == 404
    empty = client.patch(f"/api/v1/engineers/{eng.id}", json={}, headers=auth(eng))
    assert empty.status_code == 422


def test_location_reports(client, auth, make_user, make_engineer):
    eng = make_engineer(13.4, 52.52)
    now = utcnow()
    point = {"type": "Point", "coordinates": [13.45, 52.50]}
    r = client.post(
        "/api/v1/me/location",
        json={"location": point, "accuracy_m": 12.5, "recorded_at": now.isoformat()},
        headers=auth(eng),
    )
    assert r.status_code == 200, r.json
    assert r.json["last_location"] == point and r.json["last_location_accuracy_m"] == 12.5
    assert r.json["location"] == point and r.json["location_source"] == "reported"

    # An older fix arriving late (offline phone) does not move the engineer back.
    old = {"type": "Point", "coordinates": [13.0, 52.0]}
    r = client.post(
        "/api/v1/me/location",
        json={"location": old, "recorded_at": (now - timedelta(minutes=10)).isoformat()},
        headers=auth(eng),
    )
    assert r.status_code == 200 and r.json["last_location"] == point

    future = (now + timedelta(hours=1)).isoformat()
    r = client.post(
        "/api/v1/me/location", json={"location": point, "recorded_at": future}, headers=auth(eng)
    )
    assert r.status_code == 422 and "future" in r.json["message"]
    naive = client.post(
        "/api/v1/me/location",
        json={"location": point, "recorded_at": "2026-11-22T10:00:00"},
        headers=auth(eng),
    )
    assert naive.status_code == 422
    bad = client.post(
        "/api/v1/me/location",
        json={"location": {"type": "Point"}, "recorded_at": now.isoformat()},
        headers=auth(eng),
    )
    assert bad.status_code == 422 and "coordinates" in bad.json["message"]
    disp = make_user("dispatcher")
    assert (
        client.post(
            "/api/v1/me/location",
            json={"location": point, "recorded_at": now.isoformat()},
            headers=auth(disp),
        ).status_code
        == 403
    )
    no_profile = make_user("engineer")
    assert (
        client.post(
            "/api/v1/me/location",
            json={"location": point, "recorded_at": now.isoformat()},
            headers=auth(no_profile),
        ).status_code
        == 404
    )


def test_stale_location_falls_back_to_home(client, auth, make_user, make_engineer, dispatch_config):
    eng = make_engineer(13.4, 52.52)
    recorded = utcnow() - timedelta(minutes=45)
    point = {"type": "Point", "coordinates": [13.45, 52.50]}
    r = client.post(
        "/api/v1/me/location",
        json={"location": point, "recorded_at": recorded.isoformat()},
        headers=auth(eng),
    )
    assert r.json["location_source"] == "home"  # older than the default 30 minutes
    dispatch_config["LOCATION_STALE_MIN"] = "60"
    r = client.get(f"/api/v1/engineers/{eng.id}", headers=auth(eng))
    assert r.json["location_source"] == "reported" and r.json["location"] == point


def test_openapi_documents_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/engineers", "/api/v1/engineers/{engineer_id}", "/api/v1/me/location"):
        assert path in spec["paths"], path
    assert "422" in spec["paths"]["/api/v1/engineers"]["post"]["responses"]
    assert "409" in spec["paths"]["/api/v1/engineers"]["post"]["responses"]
