"""The OpenAPI document says what the code enforces, operation by operation, read from the
served document and the app's own rules (not from a list kept beside them): an operation the
auth gate protects documents the bearer scheme and its 401, one that names roles its 403, one
that parses a body its 413 and 422. (A client generated from the document then handles every
answer it can get; the conflict resolve body's 413 was missing before this check.)"""

from __future__ import annotations

import re
from typing import Any

from backend.accounts.permissions import ROLES_ATTR
from backend.api.auth_gate import key_scope, operation_function, token_kind

BEARER = [{"bearerAuth": []}]
BEARER_OR_KEY = [{"bearerAuth": []}, {"apiKeyAuth": []}]
BODY = {"application/json", "multipart/form-data", "application/x-www-form-urlencoded"}


def _operations(
    app: Any,
) -> list[tuple[str, str, dict[str, Any], Any, str | None, str | None]]:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    by_path = {}
    for rule in app.url_map.iter_rules():
        # /api/v1/tickets/<uuid:ticket_id> -> /api/v1/tickets/{ticket_id}
        by_path[re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)] = rule.endpoint
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            endpoint = by_path[path]
            fn = operation_function(app, endpoint, method.upper())
            kind = token_kind(app, endpoint, method.upper())
            found.append((path, method, op, fn, kind, key_scope(app, endpoint, method.upper())))
    return found


def test_every_operation_documents_what_the_gate_and_parser_answer(app):
    problems = []
    operations = _operations(app)
    assert len(operations) > 60
    for path, method, op, fn, kind, scope in operations:
        name = f"{method.upper()} {path}"
        codes = set(op["responses"])
        if kind is None:
            if op.get("security") not in ([], None):
                problems.append(f"{name}: public, but documented with {op['security']}")
            continue
        wanted = BEARER if scope is None else BEARER_OR_KEY
        if op.get("security") != wanted or op.get("x-api-key-scope") != scope:
            problems.append(
                f"{name}: the gate wants {wanted} (key scope {scope}); the document says "
                f"{op.get('security')} ({op.get('x-api-key-scope')})"
            )
        if scope is not None and not {"403", "429"} <= codes:
            problems.append(f"{name}: takes API keys, 403 or 429 undocumented")
        if "401" not in codes:
            problems.append(f"{name}: 401 undocumented")
        if getattr(fn, ROLES_ATTR, None) and "403" not in codes:
            problems.append(f"{name}: limited to roles, 403 undocumented")
        if set(op.get("requestBody", {}).get("content", {})) & BODY:
            missing = {"413", "422"} - codes
            if missing:
                problems.append(f"{name}: takes a body, {sorted(missing)} undocumented")
    assert not problems, "\n".join(problems)
