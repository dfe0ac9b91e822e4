"""Maintenance plans through the API: creation and its refusals (a wrong rule names its
part), listing, editing, pause/resume/end, upcoming occurrences, skip and move."""

from __future__ import annotations

from typing import Any

from backend.accounts.models import User
from backend.db import db
from backend.jobtypes.models import JobType
from backend.jobtypes.operations import update_job_type
from tests.api.conftest import _fresh_rate_limits, api  # noqa: F401 (fixtures)


def _body(job_type: Any, asset: Any, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Monthly chiller check",
        "job_type_id": str(job_type.id),
        "asset_id": str(asset.id),
        "rrule": "FREQ=MONTHLY;BYDAY=1MO",
        "dtstart": "2026-01-05T09:00:00",
        "timezone": "Europe/Berlin",
    }
    body.update(over)
    return body


def test_create_get_list_and_patch_a_plan(api, staff, job_type, make_asset):  # noqa: F811
    asset = make_asset()
    made = api("post", "/api/v1/maintenance-plans", staff, json=_body(job_type, asset))
    assert made.status_code == 201, made.json
    plan = made.json
    assert plan["scope"] == "asset" and plan["asset_id"] == str(asset.id)
    assert plan["rrule"] == "FREQ=MONTHLY;BYDAY=1MO"
    assert plan["dtstart"] == "2026-01-05T09:00:00"
    assert plan["state"] == "active" and plan["window_minutes"] == 120
    assert plan["horizon_days"] == 14

    got = api("get", f"/api/v1/maintenance-plans/{plan['id']}", staff)
    assert got.status_code == 200 and got.json == plan

    listed = api("get", f"/api/v1/maintenance-plans?asset_id={asset.id}", staff)
    assert [p["id"] for p in listed.json] == [plan["id"]]
    other = make_asset(name="Other chiller")
    other.model = "OTHER"
    db.session.commit()
    none = api("get", f"/api/v1/maintenance-plans?asset_id={other.id}", staff)
    assert none.status_code == 200 and none.json == []

    patched = api(
        "patch",
        f"/api/v1/maintenance-plans/{plan['id']}",
        staff,
        json={"rrule": "RRULE:FREQ=MONTHLY;BYDAY=-1FR", "window_minutes": 60},
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["rrule"] == "FREQ=MONTHLY;BYDAY=-1FR"
    assert patched.json["window_minutes"] == 60


def test_a_wrong_rule_is_422_naming_the_part(api, staff, job_type, make_asset):  # noqa: F811
    asset = make_asset()
    bad = api(
        "post",
        "/api/v1/maintenance-plans",
        staff,
        json=_body(job_type, asset, rrule="FREQ=MONTHLY;BYDAY=XY"),
    )
    assert bad.status_code == 422
    assert any(m.startswith("BYDAY:") for m in bad.json["errors"]["rrule"]), bad.json
    hourly = api(
        "post", "/api/v1/maintenance-plans", staff, json=_body(job_type, asset, rrule="FREQ=HOURLY")
    )
    assert hourly.status_code == 422 and hourly.json["errors"]["rrule"][0].startswith("FREQ:")
    never = api(
        "post",
        "/api/v1/maintenance-plans",
        staff,
        json=_body(job_type, asset, rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"),
    )
    assert never.status_code == 422 and "never" in never.json["errors"]["rrule"][0]
    both = api(
        "post",
        "/api/v1/maintenance-plans",
        staff,
        json=_body(job_type, asset, rrule="FREQ=DAILY;COUNT=3;UNTIL=20260301"),
    )
    assert both.status_code == 422 and "COUNT and UNTIL" in both.json["message"]
    # patching in a wrong rule is refused the same way, and changes nothing
    plan = api("post", "/api/v1/maintenance-plans", staff, json=_body(job_type, asset)).json
    patch = api(
        "patch",
        f"/api/v1/maintenance-plans/{plan['id']}",
        staff,
        json={"rrule": "FREQ=MONTHLY;BYMONTHDAY=32"},
    )
    assert patch.status_code == 422 and patch.json["errors"]["rrule"][0].startswith("BYMONTHDAY:")
    assert api("get", f"/api/v1/maintenance-plans/{plan['id']}", staff).json["rrule"] == (
        "FREQ=MONTHLY;BYDAY=1MO"
    )


def test_other_refusals_name_their_field(api, staff, job_type, make_asset, make_site):  # noqa: F811
    asset = make_asset()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"dtstart": None}, "dtstart"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"site_id": str(asset.site_id)}, "site_id"),  # two scopes
        ({"rrule": None, "dtstart": None}, "rrule"),  # no rule at all
        ({"meter_name": "hours"}, "meter_every"),  # a meter without its step
        ({"meter_every": 0, "meter_name": "hours"}, "meter_every"),
        ({"horizon_days": 0}, "horizon_days"),
    ]
    for over, field in cases:
        r = api("post", "/api/v1/maintenance-plans", staff, json=_body(job_type, asset, **over))
        assert r.status_code == 422, (over, r.json)
        assert field in str(r.json.get("errors")), (over, r.json)
    no_asset = _body(job_type, asset, asset_id="00000000-0000-0000-0000-000000000001")
    missing = api("post", "/api/v1/maintenance-plans", staff, json=no_asset)
    assert missing.status_code == 404 and "asset_id" in missing.json["errors"]

    jt = db.session.get(JobType, job_type.id)
    update_job_type(jt, db.session.get(User, staff.id), {"active": False}, version=1)
    db.session.commit()
    archived = api("post", "/api/v1/maintenance-plans", staff, json=_body(job_type, asset))
    assert archived.status_code == 422 and "job_type_id" in archived.json["errors"]


def test_pause_resume_end(api, staff, job_type, make_asset):  # noqa: F811
    plan = api("post", "/api/v1/maintenance-plans", staff, json=_body(job_type, make_asset())).json
    base = f"/api/v1/maintenance-plans/{plan['id']}"
    assert api("post", f"{base}/resume", staff).status_code == 409  # not paused
    assert api("post", f"{base}/pause", staff).json["state"] == "paused"
    assert api("post", f"{base}/pause", staff).status_code == 409
    assert api("post", f"{base}/resume", staff).json["state"] == "active"
    ended = api("post", f"{base}/end", staff)
    assert ended.json["state"] == "ended" and ended.json["ends_at"] is not None
    assert api("post", f"{base}/resume", staff).status_code == 409
    assert api("patch", base, staff, json={"window_minutes": 30}).status_code == 409


def test_engineers_may_not_see_or_change_plans(api, make_user, staff, job_type, make_asset):  # noqa: F811
    engineer = make_user("engineer")
    asset = make_asset()
    assert api("get", "/api/v1/maintenance-plans", engineer).status_code == 403
    made = api("post", "/api/v1/maintenance-plans", engineer, json=_body(job_type, asset))
    assert made.status_code == 403
    assert api("get", f"/api/v1/assets/{asset.id}/maintenance", engineer).status_code == 403
    assert api("get", "/api/v1/maintenance-plans").status_code == 401


def test_upcoming_occurrences_skip_and_move(api, staff, job_type, make_asset):  # noqa: F811
    asset = make_asset()
    plan = api(
        "post",
        "/api/v1/maintenance-plans",
        staff,
        json=_body(job_type, asset, rrule="FREQ=MONTHLY;BYDAY=-1FR", dtstart="2026-01-30T09:00"),
    ).json
    base = f"/api/v1/maintenance-plans/{plan['id']}/occurrences"
    listed = api("get", f"{base}?from=2026-01-01T00:00:00Z&to=2026-05-01T00:00:00Z", staff)
    assert listed.status_code == 200, listed.json
    # the last Friday of each month, 09:00 Berlin (UTC+1 in winter, +2 from 29 March)
    assert [o["starts_at"] for o in listed.json] == [
        "2026-01-30T08:00:00+00:00",
        "2026-02-27T08:00:00+00:00",
        "2026-03-27T08:00:00+00:00",
        "2026-04-24T07:00:00+00:00",
    ]
    assert {o["state"] for o in listed.json} == {"scheduled"}

    skipped = api("post", f"{base}/skip", staff, json={"due_at": "2026-02-27T08:00:00Z"})
    assert skipped.status_code == 200, skipped.json
    assert skipped.json["state"] == "skipped"
    moved = api(
        "post",
        f"{base}/move",
        staff,
        json={"due_at": "2026-03-27T08:00:00Z", "to": "2026-03-30T12:00:00Z"},
    )
    assert moved.status_code == 200 and moved.json["moved_to"] == "2026-03-30T12:00:00+00:00"
    again = api("get", f"{base}?from=2026-01-01T00:00:00Z&to=2026-05-01T00:00:00Z", staff).json
    assert [(o["starts_at"], o["state"]) for o in again] == [
        ("2026-01-30T08:00:00+00:00", "scheduled"),
        ("2026-02-27T08:00:00+00:00", "skipped"),
        ("2026-03-30T12:00:00+00:00", "moved"),
        ("2026-04-24T07:00:00+00:00", "scheduled"),
    ]
    # an instant that is not an occurrence, and a skipped one moved, are refused
    wrong = api("post", f"{base}/skip", staff, json={"due_at": "2026-02-26T08:00:00Z"})
    assert wrong.status_code == 404 and "due_at" in wrong.json["errors"]
    refused = api(
        "post",
        f"{base}/move",
        staff,
        json={"due_at": "2026-02-27T08:00:00Z", "to": "2026-03-02T08:00:00Z"},
    )
    assert refused.status_code == 409
    too_long = api("get", f"{base}?from=2026-01-01T00:00:00Z&to=2028-01-01T00:00:00Z", staff)
    assert too_long.status_code == 422 and "to" in too_long.json["errors"]


def test_a_site_plan_needs_the_asset_to_skip(api, staff, job_type, make_site, make_asset):  # noqa: F811
    site = make_site()
    a, b = make_asset(site, name="Pump A"), make_asset(site, name="Pump B")
    body = _body(job_type, a, rrule="FREQ=WEEKLY;BYDAY=MO", dtstart="2026-03-02T08:00")
    del body["asset_id"]
    plan = api("post", "/api/v1/maintenance-plans", staff, json={**body, "site_id": str(site.id)})
    assert plan.status_code == 201 and plan.json["scope"] == "site"
    base = f"/api/v1/maintenance-plans/{plan.json['id']}/occurrences"
    listed = api("get", f"{base}?from=2026-03-01T00:00:00Z&to=2026-03-05T00:00:00Z", staff).json
    assert sorted(o["asset_id"] for o in listed) == sorted([str(a.id), str(b.id)])
    anonymous = api("post", f"{base}/skip", staff, json={"due_at": "2026-03-02T07:00:00Z"})
    assert anonymous.status_code == 422 and "asset_id" in anonymous.json["errors"]
    named = api(
        "post",
        f"{base}/skip",
        staff,
        json={"due_at": "2026-03-02T07:00:00Z", "asset_id": str(b.id)},
    )
    assert named.status_code == 200 and named.json["asset_id"] == str(b.id)
