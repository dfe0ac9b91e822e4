"""Job types over REST: create, validation (precise 422s), versions on edit, and tickets that
keep the version they were created with and take the type's defaults."""

from __future__ import annotations

import copy
from typing import Any

from backend.db import db
from backend.parts.operations import create_part
from tests.jobtypes.conftest import CHILLER_CHECKLIST

BASE = "/api/v1/job-types"
HERE = {"type": "Point", "coordinates": [13.4, 52.52]}


def _create(api, user, body: dict[str, Any]) -> dict[str, Any]:
    res = api("post", BASE, user, json=body)
    assert res.status_code == 201, res.json
    return dict(res.json)


def test_create_read_and_list(api, staff, job_type_body, make_skill):
    make_skill("hvac")
    created = _create(api, staff, job_type_body(required_skills=["hvac", "hvac"]))
    assert created["current_version"] == 1
    assert created["required_skills"] == ["hvac"]
    assert created["estimated_minutes"] == 90
    items = created["checklist"]["sections"][1]["items"]
    assert items[0] == {
        "key": "oil_pressure",
        "label": "Oil pressure",
        "type": "number",
        "unit": "bar",
        "min": 2.0,
        "max": 4.5,
        "required": True,
        "help": "",
        "choices": None,
        "show_if": None,
    }
    one = api("get", f"{BASE}/{created['id']}", staff)
    assert one.status_code == 200 and one.json == created
    listed = api("get", BASE, staff)
    assert [jt["name"] for jt in listed.json] == ["Chiller quarterly inspection"]
    versions = api("get", f"{BASE}/{created['id']}/versions", staff).json
    assert [v["number"] for v in versions] == [1]
    assert versions[0]["id"] == created["current_version_id"]


def test_engineers_may_not_define_job_types(api, make_user, job_type_body):
    engineer = make_user("engineer")
    assert api("post", BASE, engineer, json=job_type_body()).status_code == 403
    assert api("get", BASE, engineer).status_code == 403


def test_a_rule_between_checklist_fields_is_a_422_naming_its_path(api, staff, job_type_body):
    checklist = copy.deepcopy(CHILLER_CHECKLIST)
    checklist["sections"][1]["items"][0].update(min=9, max=1)
    checklist["sections"][1]["items"][1]["key"] = "isolated"
    res = api("post", BASE, staff, json=job_type_body(checklist=checklist))
    assert res.status_code == 422
    assert res.json["errors"] == {
        "checklist.sections.1.items.0.max": ["must be at least min (9.0)"],
        "checklist.sections.1.items.1.key": ["duplicate item key 'isolated'"],
    }
    assert "checklist.sections.1.items.0.max" in res.json["message"]


def test_a_malformed_item_is_a_422_from_the_schema(api, staff, job_type_body):
    checklist = copy.deepcopy(CHILLER_CHECKLIST)
    checklist["sections"][0]["items"][0]["type"] = "colour"
    checklist["sections"][0]["items"][1]["key"] = "Leak Found"
    res = api("post", BASE, staff, json=job_type_body(checklist=checklist))
    assert res.status_code == 422
    items = res.json["errors"]["json"]["checklist"]["sections"]["0"]["items"]
    assert "unknown item type 'colour'" in items["0"]["type"][0]
    assert items["1"]["key"] == ["lower-case letters, digits and _, 1-64"]


def test_unknown_skills_parts_and_bad_completion_rules_are_422(api, staff, job_type_body):
    res = api("post", BASE, staff, json=job_type_body(required_skills=["welding"]))
    assert res.status_code == 422 and "required_skills" in res.json["errors"]
    missing_part = "00000000-0000-4000-8000-000000000001"
    res = api(
        "post",
        BASE,
        staff,
        json=job_type_body(suggested_parts=[{"part_id": missing_part, "quantity": 1}]),
    )
    assert res.status_code == 422
    assert res.json["errors"] == {"suggested_parts": [f"unknown part {missing_part}"]}
    res = api("post", BASE, staff, json=job_type_body(completion_rules={"photos": -1}))
    assert res.status_code == 422
    assert res.json["errors"] == {"completion_rules": ["completion_rules.photos must be >= 0"]}
    res = api("post", BASE, staff, json=job_type_body(completion_rules={"smell": True}))
    assert res.status_code == 422 and "unknown rule 'smell'" in res.json["message"]


def test_suggested_parts_are_kept(api, staff, job_type_body):
    part = create_part(actor=staff, sku="FLT-1", name="Filter", unit="pcs")
    db.session.commit()
    created = _create(
        api, staff, job_type_body(suggested_parts=[{"part_id": str(part.id), "quantity": 2}])
    )
    assert created["suggested_parts"] == [{"part_id": str(part.id), "quantity": 2.0}]


def test_a_name_is_used_once(api, staff, job_type_body):
    _create(api, staff, job_type_body())
    res = api("post", BASE, staff, json=job_type_body(name="chiller QUARTERLY inspection"))
    assert res.status_code == 409


def test_an_edit_makes_a_new_version_and_tickets_keep_theirs(api, staff, job_type_body):
    jt = _create(api, staff, job_type_body())
    first = api(
        "post",
        "/api/v1/tickets",
        staff,
        json={"title": "Q1", "job_type_id": jt["id"], "location": HERE},
    ).json
    assert first["job_type_version_id"] == jt["current_version_id"]

    checklist = copy.deepcopy(CHILLER_CHECKLIST)
    checklist["sections"][1]["items"][0]["max"] = 5.0
    res = api("patch", f"{BASE}/{jt['id']}", staff, json={"version": 1, "checklist": checklist})
    assert res.status_code == 200, res.json
    assert res.json["current_version"] == 2
    assert res.json["current_version_id"] != jt["current_version_id"]

    second = api(
        "post",
        "/api/v1/tickets",
        staff,
        json={"title": "Q2", "job_type_id": jt["id"], "location": HERE},
    ).json
    assert second["job_type_version_id"] == res.json["current_version_id"]
    again = api("get", f"/api/v1/tickets/{first['id']}", staff).json
    assert again["job_type_version_id"] == jt["current_version_id"]
    old = api("get", f"/api/v1/job-type-versions/{jt['current_version_id']}", staff).json
    assert old["number"] == 1
    assert old["checklist"]["sections"][1]["items"][0]["max"] == 4.5
    versions = api("get", f"{BASE}/{jt['id']}/versions", staff).json
    assert [v["number"] for v in versions] == [2, 1]


def test_an_edit_that_changes_nothing_makes_no_version(api, staff, job_type_body):
    jt = _create(api, staff, job_type_body())
    same = {"version": 1, "checklist": CHILLER_CHECKLIST, "name": " Chiller quarterly inspection "}
    res = api("patch", f"{BASE}/{jt['id']}", staff, json=same)
    assert res.status_code == 200 and res.json["current_version"] == 1
    res = api("patch", f"{BASE}/{jt['id']}", staff, json={"version": 1, "active": False})
    assert res.json["current_version"] == 1 and res.json["active"] is False


def test_a_stale_edit_is_a_409(api, staff, job_type_body):
    jt = _create(api, staff, job_type_body())
    assert (
        api(
            "patch", f"{BASE}/{jt['id']}", staff, json={"version": 1, "estimated_minutes": 60}
        ).json["current_version"]
        == 2
    )
    res = api("patch", f"{BASE}/{jt['id']}", staff, json={"version": 1, "estimated_minutes": 30})
    assert res.status_code == 409
    assert res.json["current_version"] == 2
    res = api("patch", f"{BASE}/{jt['id']}", staff, json={"estimated_minutes": 30})
    assert res.status_code == 422 and "version" in res.json["errors"]["json"]


def test_an_invalid_edit_changes_nothing(api, staff, job_type_body):
    jt = _create(api, staff, job_type_body())
    checklist = copy.deepcopy(CHILLER_CHECKLIST)
    checklist["sections"][0]["items"][2]["show_if"] = {"item": "remarks", "any_of": ["x"]}
    res = api("patch", f"{BASE}/{jt['id']}", staff, json={"version": 1, "checklist": checklist})
    assert res.status_code == 422
    assert list(res.json["errors"]) == ["checklist.sections.0.items.2.show_if.item"]
    assert api("get", f"{BASE}/{jt['id']}", staff).json["current_version"] == 1


def test_ticket_defaults_from_the_job_type(api, staff, job_type_body, make_skill):
    make_skill("hvac")
    make_skill("electrical")
    jt = _create(api, staff, job_type_body(default_priority="P2", required_skills=["hvac"]))
    made = api(
        "post",
        "/api/v1/tickets",
        staff,
        json={"title": "Q", "job_type_id": jt["id"], "location": HERE},
    )
    assert made.status_code == 201, made.json
    assert made.json["priority"] == "P2"
    assert made.json["required_skills"] == ["hvac"]
    assert made.json["job_type_id"] == jt["id"]
    # what the caller gives wins over the defaults
    given = api(
        "post",
        "/api/v1/tickets",
        staff,
        json={
            "title": "Q",
            "job_type_id": jt["id"],
            "location": HERE,
            "priority": "P4",
            "required_skills": ["electrical"],
        },
    ).json
    assert (given["priority"], given["required_skills"]) == ("P4", ["electrical"])
    # the list (SQL-written JSON) carries the same fields
    listed = api("get", "/api/v1/tickets", staff).json
    assert {t["job_type_version_id"] for t in listed} == {jt["current_version_id"]}


def test_ticket_without_priority_or_job_type_is_422(api, staff):
    res = api("post", "/api/v1/tickets", staff, json={"title": "Q", "location": HERE})
    assert res.status_code == 422
    assert res.json["errors"]["json"] == {
        "priority": ["Missing data for required field (unless job_type_id gives a default)."]
    }


def test_archived_or_unknown_job_type_is_refused_for_new_tickets(api, staff, job_type_body):
    jt = _create(api, staff, job_type_body())
    api("patch", f"{BASE}/{jt['id']}", staff, json={"version": 1, "active": False})
    body = {"title": "Q", "job_type_id": jt["id"], "location": HERE}
    res = api("post", "/api/v1/tickets", staff, json=body)
    assert res.status_code == 422 and res.json["errors"] == {"job_type_id": ["archived job type"]}
    body["job_type_id"] = "00000000-0000-4000-8000-000000000002"
    res = api("post", "/api/v1/tickets", staff, json=body)
    assert res.status_code == 404 and res.json["errors"] == {"job_type_id": ["unknown job type"]}
    assert [t["name"] for t in api("get", f"{BASE}?active=false", staff).json] == [jt["name"]]
    assert api("get", f"{BASE}?active=true", staff).json == []
