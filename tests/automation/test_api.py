"""The rules' REST API: admins only, whole-rule checks with errors by path, order, on/off,
optimistic versions, and the dry run (which writes nothing)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text, update

from backend.db import db, utcnow
from backend.workorders.models import Ticket, TicketEvent

RULE = {
    "name": "Raise chillers",
    "event": "ticket.created",
    "conditions": [{"field": "ticket.title", "op": "contains", "value": "chiller"}],
    "actions": [
        {"type": "set_priority", "priority": "P1"},
        {"type": "notify", "role": "dispatcher", "title": "Chiller down"},
    ],
}


def test_create_list_change_and_delete(api, admin):
    res = api("post", "/api/v1/automation/rules", admin, json=RULE)
    assert res.status_code == 201, res.json
    rule = res.json
    assert rule["match"] == "all" and rule["enabled"] is True and rule["position"] == 0
    second = api("post", "/api/v1/automation/rules", admin, json={**RULE, "name": "B"}).json
    assert second["position"] == 1
    listed = api("get", "/api/v1/automation/rules", admin).json
    assert [r["name"] for r in listed] == ["Raise chillers", "B"]
    off = api(
        "patch",
        f"/api/v1/automation/rules/{rule['id']}",
        admin,
        json={"enabled": False, "version": rule["version"]},
    )
    assert off.status_code == 200 and off.json["enabled"] is False
    stale = api(
        "patch",
        f"/api/v1/automation/rules/{rule['id']}",
        admin,
        json={"name": "late", "version": rule["version"]},
    )
    assert stale.status_code == 409
    assert api("delete", f"/api/v1/automation/rules/{rule['id']}", admin).status_code == 204
    assert api("get", f"/api/v1/automation/rules/{rule['id']}", admin).status_code == 404


def test_a_bad_rule_is_a_422_naming_each_path(api, admin):
    body = {
        **RULE,
        "conditions": [
            {"field": "ticket.title", "op": "contains", "value": "x"},
            {"field": "ticket.priority", "op": "like", "value": "P1"},
        ],
        "actions": [{"type": "route_to_region", "region_id": "not a uuid"}],
    }
    res = api("post", "/api/v1/automation/rules", admin, json=body)
    assert res.status_code == 422
    errors = res.json["errors"]
    assert errors["conditions.1.op"][0].startswith("unknown operator 'like'")
    assert errors["actions.0.region_id"] == ["must be a UUID"]
    assert res.json["message"].startswith(
        "the rule is not valid: conditions.1.op: unknown operator"
    )
    missing = "00000000-0000-0000-0000-000000000009"
    res = api(
        "post",
        "/api/v1/automation/rules",
        admin,
        json={**RULE, "actions": [{"type": "escalate", "user_id": missing}]},
    )
    assert res.status_code == 422
    assert res.json["errors"] == {
        "actions.0.user_id": [f"user {missing} does not exist or is inactive"]
    }
    # a change is checked whole, too
    rule = api("post", "/api/v1/automation/rules", admin, json=RULE).json
    res = api(
        "patch",
        f"/api/v1/automation/rules/{rule['id']}",
        admin,
        json={"actions": [{"type": "set_priority", "priority": "P0"}]},
    )
    assert res.status_code == 422 and "actions.0.priority" in res.json["errors"]


def test_only_admins(api, admin, make_user):
    dispatcher = make_user("dispatcher")
    assert api("get", "/api/v1/automation/rules").status_code == 401
    assert api("get", "/api/v1/automation/rules", dispatcher).status_code == 403
    assert api("post", "/api/v1/automation/rules", dispatcher, json=RULE).status_code == 403
    assert api("get", "/api/v1/automation/catalog", admin).status_code == 200


def test_reorder_names_every_rule_once(api, admin):
    a = api("post", "/api/v1/automation/rules", admin, json={**RULE, "name": "A"}).json
    b = api("post", "/api/v1/automation/rules", admin, json={**RULE, "name": "B"}).json
    res = api(
        "post", "/api/v1/automation/rules/reorder", admin, json={"rule_ids": [b["id"], a["id"]]}
    )
    assert res.status_code == 200
    assert [(r["name"], r["position"]) for r in res.json] == [("B", 0), ("A", 1)]
    res = api("post", "/api/v1/automation/rules/reorder", admin, json={"rule_ids": [b["id"]]})
    assert res.status_code == 422 and res.json["errors"]["rule_ids"] == [f"missing {a['id']}"]


COUNTED = (
    "tickets",
    "ticket_events",
    "notes",
    "notifications",
    "automation_runs",
    "job_outbox",
    "webhook_deliveries",
    "outbound_emails",
)


def _counts() -> dict[str, int]:
    return {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED}


def test_dry_run_lists_the_tickets_of_the_last_30_days_and_writes_nothing(api, admin, make_ticket):
    hit = make_ticket(title="Chiller 3 down", priority="P3")
    make_ticket(title="Door stuck")
    old = make_ticket(title="Old chiller leak")
    db.session.execute(
        update(TicketEvent)
        .where(TicketEvent.ticket_id == old.id)
        .values(at=utcnow() - timedelta(days=31))
    )
    db.session.commit()
    before = _counts()
    versions = {t.id: t.version for t in db.session.query(Ticket)}
    res = api("post", "/api/v1/automation/rules/dry-run", admin, json={"rule": RULE})
    assert res.status_code == 200, res.json
    out = res.json
    assert [m["number"] for m in out["matches"]] == [hit.number]
    assert out["matched_tickets"] == 1 and out["events_scanned"] == 2
    (match,) = out["matches"]
    assert match["actions"] == [
        {"type": "set_priority", "would": "priority P3 -> P1"},
        {"type": "notify", "would": "notify dispatcher: Chiller down"},
    ]
    db.session.expire_all()
    assert _counts() == before
    assert {t.id: t.version for t in db.session.query(Ticket)} == versions
    assert db.session.get(Ticket, hit.id).priority == "P3"
    # a saved rule by id gives the same answer; an unsaved bad one a 422 by path
    saved = api("post", "/api/v1/automation/rules", admin, json={**RULE, "enabled": False}).json
    by_id = api("post", "/api/v1/automation/rules/dry-run", admin, json={"rule_id": saved["id"]})
    assert [m["number"] for m in by_id.json["matches"]] == [hit.number]
    bad = api(
        "post",
        "/api/v1/automation/rules/dry-run",
        admin,
        json={"rule": {**RULE, "conditions": [{"field": "nope", "op": "eq", "value": 1}]}},
    )
    assert bad.status_code == 422 and "conditions.0.field" in bad.json["errors"]
    neither = api("post", "/api/v1/automation/rules/dry-run", admin, json={})
    assert neither.status_code == 422


def test_a_rules_runs_are_listed(api, admin, make_ticket, run_jobs):
    rule = api("post", "/api/v1/automation/rules", admin, json=RULE).json
    ticket = make_ticket(title="chiller noise")
    run_jobs()
    res = api("get", f"/api/v1/automation/rules/{rule['id']}/runs", admin)
    assert res.status_code == 200
    (run,) = res.json
    assert run["ticket_id"] == str(ticket.id) and run["depth"] == 1
    assert [o["type"] for o in run["outcome"]] == ["set_priority", "notify"]
