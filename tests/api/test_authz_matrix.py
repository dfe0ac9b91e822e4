"""The authorization matrix, generated from the OpenAPI document: every operation it lists
x {anonymous, an engineer on another engineer's resource, an engineer on a staff-only
operation}. Each operation must be classified in ``ACCESS``; a new endpoint nobody classified
fails ``test_every_operation_is_classified`` the day it is added (never skipped silently), and
a classification whose operation is gone fails too.

Requests are schemathesis' positive examples for the operation (derandomized, a few each),
with the path pointing at engineer A's resources; the caller is anonymous or engineer B.
An operation passes when no example is granted (2xx/3xx) and the expected refusal is seen.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from PIL import Image
from schemathesis.core.result import Ok

from backend.accounts import apikeys
from backend.db import db, utcnow
from backend.workorders.operations import assign_ticket
from tests.api.test_schemathesis import KEY_SCOPES, as_caller

PUBLIC = "public"  # no login: anonymous is served (not 401/403)
LOGIN = "login"  # any logged-in user (results scoped to them): anonymous gets 401
STAFF = "staff"  # dispatcher/admin only: anonymous 401, engineer 403
OWNED = "owned"  # names another engineer's resource: anonymous 401, engineer B 403/404
# Operators' endpoints (no user JWT; their own token or loopback): anyone else, anonymous or
# logged in, is refused (401/403) from a non-loopback address, never served.
OPERATOR = "operator"

ACCESS: dict[str, str] = {
    "GET /api/v1/customers": STAFF,
    "POST /api/v1/customers": STAFF,
    "GET /api/v1/customers/{customer_id}": STAFF,
    "GET /api/v1/sites": STAFF,
    "POST /api/v1/sites": STAFF,
    "GET /api/v1/sites/{site_id}": STAFF,
    "GET /api/v1/assets": STAFF,
    "POST /api/v1/assets": STAFF,
    "GET /api/v1/assets/{asset_id}": STAFF,
    "GET /api/v1/assets/{asset_id}/qr.svg": STAFF,
    "GET /api/v1/assets/{asset_id}/qr.png": STAFF,
    "POST /api/v1/assets/labels.pdf": STAFF,
    "POST /api/v1/assets/labels/jobs": STAFF,
    "GET /api/v1/assets/labels/jobs/{job_id}": STAFF,
    "POST /api/v1/auth/login": PUBLIC,
    # The set-up link's token is the credential (docs/security.md): no login yet.
    "POST /api/v1/auth/set-password": PUBLIC,
    "POST /api/v1/auth/refresh": LOGIN,
    "GET /api/v1/me": LOGIN,
    "GET /api/v1/conflicts": STAFF,
    "POST /api/v1/conflicts/{conflict_id}/resolve": STAFF,
    "GET /api/v1/dispatch/tickets/{ticket_id}/candidates": STAFF,
    "POST /api/v1/dispatch/tickets/{ticket_id}/assign": STAFF,
    "POST /api/v1/dispatch/tickets/{ticket_id}/unassign": STAFF,
    "GET /api/v1/dispatch/tickets/{ticket_id}/decisions": STAFF,
    "GET /api/v1/dispatch/map": STAFF,
    "GET /api/v1/dispatch/timeline": STAFF,
    "GET /api/v1/engineers": STAFF,
    "POST /api/v1/engineers": STAFF,
    "GET /api/v1/engineers/{engineer_id}": LOGIN,
    "PATCH /api/v1/engineers/{engineer_id}": OWNED,
    "POST /api/v1/me/location": LOGIN,
    "POST /api/v1/tickets/{ticket_id}/photos": OWNED,
    "GET /api/v1/tickets/{ticket_id}/photos": OWNED,
    "GET /api/v1/photos/{photo_id}/{variant}": OWNED,
    "GET /api/v1/media/files/{token}": PUBLIC,
    "POST /api/v1/public/tracking/{tracking_token}/photos": PUBLIC,
    "GET /api/v1/public/tracking/{tracking_token}/photos": PUBLIC,
    "GET /api/v1/public/tracking/{tracking_token}/photos/{photo_id}/{variant}": PUBLIC,
    "POST /api/v1/me/devices": LOGIN,
    "DELETE /api/v1/me/devices/{device_id}": OWNED,
    "GET /api/v1/notifications": LOGIN,
    "POST /api/v1/dispatch/optimize": STAFF,
    "GET /api/v1/dispatch/optimize/{job_id}": STAFF,
    "DELETE /api/v1/dispatch/optimize/{job_id}": STAFF,
    "POST /api/v1/parts": STAFF,
    "GET /api/v1/reports/sla": STAFF,
    "GET /api/v1/reports/times": STAFF,
    "GET /api/v1/reports/backlog": STAFF,
    "GET /api/v1/reports/first-fix": STAFF,
    "GET /api/v1/reports/workload": STAFF,
    "GET /api/v1/reports/customers": STAFF,
    "GET /api/v1/reports/parts": STAFF,
    "GET /api/v1/reports/sla/export": STAFF,
    "GET /api/v1/reports/times/export": STAFF,
    "GET /api/v1/reports/backlog/export": STAFF,
    "GET /api/v1/reports/first-fix/export": STAFF,
    "GET /api/v1/reports/workload/export": STAFF,
    "GET /api/v1/reports/customers/export": STAFF,
    "GET /api/v1/reports/parts/export": STAFF,
    "POST /api/v1/reports/sla/export/jobs": STAFF,
    "POST /api/v1/reports/times/export/jobs": STAFF,
    "POST /api/v1/reports/backlog/export/jobs": STAFF,
    "POST /api/v1/reports/first-fix/export/jobs": STAFF,
    "POST /api/v1/reports/workload/export/jobs": STAFF,
    "POST /api/v1/reports/customers/export/jobs": STAFF,
    "POST /api/v1/reports/parts/export/jobs": STAFF,
    "GET /api/v1/exports/{job_id}": LOGIN,
    # an engineer's own sheet (another engineer's: 403); staff name the engineer
    "GET /api/v1/timesheets": LOGIN,
    "GET /api/v1/timesheets/export": LOGIN,
    "POST /api/v1/timesheets/export/jobs": LOGIN,
    "POST /api/v1/timesheets/corrections": LOGIN,
    "PUT /api/v1/timesheets/{engineer_id}/days/{day}/approval": STAFF,
    "POST /api/v1/timesheets/{engineer_id}/days/{day}/reopen": STAFF,
    "GET /api/v1/reports/me/week": LOGIN,
    "GET /api/v1/parts": LOGIN,
    "GET /api/v1/parts/{part_id}": LOGIN,
    "POST /api/v1/stock-locations": STAFF,
    "GET /api/v1/stock-locations": LOGIN,
    "GET /api/v1/stock": LOGIN,
    "POST /api/v1/stock/movements": STAFF,
    "GET /api/v1/stock/movements": STAFF,
    "PUT /api/v1/stock/thresholds": STAFF,
    "POST /api/v1/tickets/{ticket_id}/parts": OWNED,
    "GET /api/v1/tickets/{ticket_id}/parts": OWNED,
    "POST /api/v1/tickets/{ticket_id}/parts/none": OWNED,
    "GET /api/v1/public/assets/{qr_token}": PUBLIC,
    "POST /api/v1/public/assets/{qr_token}/reports": PUBLIC,
    "GET /api/v1/public/tracking/{tracking_token}": PUBLIC,
    "POST /api/v1/public/tracking/{tracking_token}/rating": PUBLIC,
    "GET /api/v1/public/tracking/{tracking_token}/slots": PUBLIC,
    "POST /api/v1/public/tracking/{tracking_token}/booking": PUBLIC,
    "GET /r/{qr_token}": PUBLIC,
    "GET /app/config.json": PUBLIC,
    "POST /r/{qr_token}": PUBLIC,
    "GET /t/{tracking_token}": PUBLIC,
    "POST /t/{tracking_token}/rating": PUBLIC,
    "POST /t/{tracking_token}/booking": PUBLIC,
    "GET /api/v1/regions": LOGIN,
    "POST /api/v1/regions": STAFF,
    "GET /api/v1/regions/{region_id}": LOGIN,
    "GET /api/v1/skills": LOGIN,
    "GET /api/v1/tickets/{ticket_id}/checklist": OWNED,
    "PUT /api/v1/tickets/{ticket_id}/checklist/answers/{item_key}": OWNED,
    "GET /api/v1/job-types": STAFF,
    "POST /api/v1/job-types": STAFF,
    "GET /api/v1/job-types/{job_type_id}": STAFF,
    "PATCH /api/v1/job-types/{job_type_id}": STAFF,
    "GET /api/v1/job-types/{job_type_id}/versions": STAFF,
    "GET /api/v1/job-type-versions/{version_id}": STAFF,
    "GET /api/v1/maintenance-plans": STAFF,
    "POST /api/v1/maintenance-plans": STAFF,
    "GET /api/v1/maintenance-plans/{plan_id}": STAFF,
    "PATCH /api/v1/maintenance-plans/{plan_id}": STAFF,
    "POST /api/v1/maintenance-plans/{plan_id}/pause": STAFF,
    "POST /api/v1/maintenance-plans/{plan_id}/resume": STAFF,
    "POST /api/v1/maintenance-plans/{plan_id}/end": STAFF,
    "GET /api/v1/maintenance-plans/{plan_id}/occurrences": STAFF,
    "POST /api/v1/maintenance-plans/{plan_id}/occurrences/skip": STAFF,
    "POST /api/v1/maintenance-plans/{plan_id}/occurrences/move": STAFF,
    "GET /api/v1/assets/{asset_id}/maintenance": STAFF,
    "POST /api/v1/assets/{asset_id}/meter-readings": STAFF,
    "POST /api/v1/skills": STAFF,
    "POST /api/v1/tickets/{ticket_id}/signoff": OWNED,
    "GET /api/v1/tickets/{ticket_id}/signoff": OWNED,
    "GET /api/v1/signoffs/{signoff_id}/signature.png": LOGIN,
    "GET /api/v1/tickets/{ticket_id}/report.pdf": OWNED,
    "GET /api/v1/public/tracking/{tracking_token}/report.pdf": PUBLIC,
    "GET /api/v1/sync/pull": LOGIN,
    "POST /api/v1/sync/push": LOGIN,
    "GET /api/v1/tickets": LOGIN,
    "POST /api/v1/tickets": STAFF,
    "GET /api/v1/tickets/{ticket_id}": OWNED,
    "PATCH /api/v1/tickets/{ticket_id}": OWNED,
    "PUT /api/v1/tickets/{ticket_id}/arrival-window": STAFF,
    "POST /api/v1/tickets/{ticket_id}/transitions": OWNED,
    "GET /api/v1/tickets/{ticket_id}/events": OWNED,
    "GET /api/v1/tickets/{ticket_id}/notes": OWNED,
    "POST /api/v1/tickets/{ticket_id}/notes": OWNED,
    "GET /api/v1/users": STAFF,
    "POST /api/v1/users": STAFF,
    "POST /api/v1/users/{user_id}/sessions/revoke": STAFF,
    "POST /api/v1/users/{user_id}/password-setup": STAFF,  # admin only: tests/imports
    # Webhooks: admin only (a dispatcher is refused too: tests/webhooks).
    "GET /api/v1/webhooks": STAFF,
    "POST /api/v1/webhooks": STAFF,
    "GET /api/v1/webhooks/event-types": STAFF,
    "GET /api/v1/webhooks/{subscription_id}": STAFF,
    "PATCH /api/v1/webhooks/{subscription_id}": STAFF,
    "DELETE /api/v1/webhooks/{subscription_id}": STAFF,
    "GET /api/v1/webhooks/{subscription_id}/deliveries": STAFF,
    "POST /api/v1/webhooks/{subscription_id}/redeliver-failed": STAFF,
    "GET /api/v1/webhooks/deliveries/{delivery_id}/attempts": STAFF,
    "POST /api/v1/webhooks/deliveries/{delivery_id}/redeliver": STAFF,
    # Automation rules (docs/automation.md): admin only (a dispatcher is refused too:
    # tests/automation).
    "GET /api/v1/automation/catalog": STAFF,
    "GET /api/v1/automation/rules": STAFF,
    "POST /api/v1/automation/rules": STAFF,
    "POST /api/v1/automation/rules/reorder": STAFF,
    "POST /api/v1/automation/rules/dry-run": STAFF,
    "GET /api/v1/automation/rules/{rule_id}": STAFF,
    "PATCH /api/v1/automation/rules/{rule_id}": STAFF,
    "DELETE /api/v1/automation/rules/{rule_id}": STAFF,
    "GET /api/v1/automation/rules/{rule_id}/runs": STAFF,
    # Bulk import and export (docs/imports.md): admins and dispatchers.
    "GET /api/v1/imports": STAFF,
    "POST /api/v1/imports": STAFF,
    "GET /api/v1/imports/entities": STAFF,
    "GET /api/v1/imports/{import_id}": STAFF,
    "POST /api/v1/imports/{import_id}/apply": STAFF,
    "GET /api/v1/data/{entity}/export": STAFF,
    "POST /api/v1/data/{entity}/export/jobs": STAFF,
    # API keys: admin only (a dispatcher is refused too, and no key is accepted: tests/apikeys).
    "GET /api/v1/api-keys": STAFF,
    "POST /api/v1/api-keys": STAFF,
    "POST /api/v1/api-keys/{key_id}/revoke": STAFF,
    "POST /api/v1/auth/logout": LOGIN,
    "POST /api/v1/auth/logout-all": LOGIN,
    "GET /metrics": OPERATOR,
    # A mail service with the shared secret, not a user (tests/mail).
    "POST /api/v1/inbound/email": OPERATOR,
}

# Operations that may answer 422 before 401/403. None since the token and the role are checked
# before any parsing (backend/api/auth_gate.py); an entry here would be a regression to justify.
PARSE_BEFORE_AUTH: set[str] = set()
# Owned resources whose body is validated before the view looks the resource up: engineer B
# may get 422 for an invalid body on A's resource (the schema is public; nothing about A's
# resource is revealed), never a 2xx. A valid body gets the 403/404.
VALIDATES_BEFORE_OWNERSHIP = {"PATCH /api/v1/engineers/{engineer_id}"}
EXAMPLES = 4


@pytest.fixture(scope="module")
def operations(app) -> dict[str, Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    found = {}
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        op = result.ok()
        found[f"{op.method.upper()} {op.path}"] = op
    return found


def test_every_operation_is_classified(operations):
    unknown = sorted(set(operations) - set(ACCESS))
    stale = sorted(set(ACCESS) - set(operations))
    assert not unknown, f"classify these operations in ACCESS: {unknown}"
    assert not stale, f"these classified operations no longer exist: {stale}"
    assert set(ACCESS) >= PARSE_BEFORE_AUTH


def _statuses(op: Any, headers: dict[str, str], path: dict[str, str]) -> list[int]:
    wanted = {p.name: path[p.name] for p in op.path_parameters if p.name in path}
    seen: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(path_parameters=wanted))
    def call(case: Any) -> None:
        as_caller(case)
        seen.append(case.call(headers=headers).status_code)

    call()
    return seen


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture()
def world(make_user, make_ticket, auth, client) -> dict[str, Any]:
    """Engineer A with an assigned ticket, a photo on it and a device; engineer B, who owns
    none of them; a read-scoped and a write-scoped API key. The ids fill the path of every
    operation that names them."""
    dispatcher = make_user("dispatcher")
    keys = {
        name: apikeys.create_key(
            name=name,
            scopes=scopes,
            actor=make_user("admin"),
            now=utcnow(),
            rate_limit_per_minute=100_000,
        )[1]
        for name, scopes in KEY_CALLERS.items()
    }
    a, b = make_user("engineer"), make_user("engineer")
    ticket = make_ticket()
    assign_ticket(ticket, a, actor=dispatcher)
    db.session.commit()
    device = client.post(
        "/api/v1/me/devices",
        json={"token": "fcm-token-of-a" * 3, "platform": "web"},
        headers=auth(a),
    )
    assert device.status_code == 201, device.get_json()
    photo_id = str(uuid.uuid4())
    photo = client.post(
        f"/api/v1/tickets/{ticket.id}/photos",
        data={"id": photo_id, "file": (io.BytesIO(_png()), "a.png")},
        headers=auth(a),
        content_type="multipart/form-data",
    )
    assert photo.status_code == 201, photo.get_json()
    path = {
        "ticket_id": str(ticket.id),
        "engineer_id": str(a.id),
        "device_id": device.json["id"],
        "photo_id": photo_id,
    }
    return {"b": auth(b), "path": path, "keys": {k: {"X-API-Key": v} for k, v in keys.items()}}


def _problems(name: str, access: str, op: Any, world: dict[str, Any]) -> list[str]:
    """What is wrong with one row of the matrix (empty when it holds)."""
    lenient = name in PARSE_BEFORE_AUTH
    anonymous = _statuses(op, {}, world["path"])
    if access == PUBLIC:
        problems = []
        if op.definition.raw.get("security") not in (None, []):
            problems.append(f"{name}: classified public but the document requires a token")
        if 403 in anonymous:
            problems.append(f"{name}: anonymous got 403 on a public operation: {anonymous}")
        return problems
    problems = []
    if access == OPERATOR:
        for who, got in (
            ("anonymous", anonymous),
            ("engineer B", _statuses(op, world["b"], world["path"])),
        ):
            if not got or not set(got) <= {401, 403}:
                problems.append(f"{name}: {who} got {got}, expected 401/403 (operators only)")
        return problems
    if [s for s in anonymous if s < 400]:
        problems.append(f"{name}: anonymous was granted: {anonymous}")
    allowed = {401, 422, 429} if lenient else {401, 429}
    if not set(anonymous) <= allowed or (not lenient and 401 not in anonymous):
        problems.append(f"{name}: anonymous got {anonymous}, expected 401")
    if access in (STAFF, OWNED):
        engineer = _statuses(op, world["b"], world["path"])
        refusal = {403} if access == STAFF else {403, 404}
        if [s for s in engineer if s < 400]:
            problems.append(f"{name}: engineer B was granted: {engineer}")
        elif not (
            refusal | ({422} if lenient or name in VALIDATES_BEFORE_OWNERSHIP else set())
        ) & set(engineer):
            problems.append(f"{name}: engineer B got {engineer}, expected {sorted(refusal)}")
    return problems


# API-key callers: every read scope; every write scope (write includes read) and the webhook
# administration. What each may call is read from the document (``apiKeyAuth`` in the
# operation's security, ``x-api-key-scope``), and the matrix checks the server keeps to it.
KEY_CALLERS: dict[str, list[str]] = KEY_SCOPES


def _key_problems(name: str, access: str, op: Any, world: dict[str, Any]) -> list[str]:
    """One row for the API-key callers: an operation whose document does not take keys
    answers them 401; one that does answers 403 without its scope, and with it neither."""
    if access == PUBLIC:
        return []
    raw = op.definition.raw
    takes_keys = {"apiKeyAuth": []} in (raw.get("security") or [])
    scope = raw.get("x-api-key-scope")
    if takes_keys != (scope is not None):
        return [f"{name}: apiKeyAuth and x-api-key-scope must come together ({scope})"]
    problems = []
    for caller, scopes in KEY_CALLERS.items():
        got = _statuses(op, world["keys"][caller], world["path"])
        if not takes_keys:
            expected = {401, 403} if access == OPERATOR else {401}
            if not got or not set(got) <= expected:
                problems.append(f"{name}: {caller} got {got}, expected {sorted(expected)}")
        elif apikeys.grants(scopes, scope):
            if {401, 403} & set(got):
                problems.append(f"{name}: {caller} has {scope} but got {got}")
        elif not got or set(got) != {403}:
            problems.append(f"{name}: {caller} lacks {scope} but got {got}, expected 403")
    return problems


def test_api_keys_in_the_matrix(operations, world):
    """Every operation x {read key, write key}, from the document; the document must let keys
    read and write somewhere, or the matrix would check only refusals."""
    problems: list[str] = []
    scopes = {op.definition.raw.get("x-api-key-scope") for op in operations.values()}
    assert {"tickets:read", "tickets:write", "webhooks:admin"} <= scopes
    for name, access in ACCESS.items():
        op = operations.get(name)
        if op is not None:
            problems += _key_problems(name, access, op, world)
    assert not problems, "\n".join(problems)


def test_authorization_matrix(operations, world):
    """One pass over the whole matrix (one set of users, not one per row: argon2 is slow);
    the failure lists every row that does not hold."""
    problems: list[str] = []
    for name, access in ACCESS.items():
        op = operations.get(name)
        if op is not None:  # a stale row fails test_every_operation_is_classified
            problems += _problems(name, access, op, world)
    assert not problems, "\n".join(problems)
