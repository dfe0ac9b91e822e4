"""What a rule may say: its events, the fields its conditions compare, each field's
operators, and its actions with their parameters. Pure data and a pure checker, so the API's
422 (``check_rule``), the console's pickers (``GET /automation/catalog``) and the evaluator
(``conditions.py``) all read one declaration.

Errors are keyed by the path into the rule body (``conditions.1.op``, ``actions.0.priority``)
so the console can put each message beside the input it is about.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.accounts.models import Role
from backend.webhooks.events import TICKET_EVENT_TYPES
from backend.webhooks.operations import EVENT_TYPES
from backend.workorders.models import PRIORITIES
from backend.workorders.sla import SlaState
from backend.workorders.states import Status

EVENTS: dict[str, str] = {t: EVENT_TYPES[t] for t in TICKET_EVENT_TYPES}
MATCHES = ("all", "any")
MAX_CONDITIONS = 20
MAX_ACTIONS = 10
MAX_TEXT = 2000
MAX_NAME = 200

# Operators by the kind of field they compare.
_SET = ("is_set", "is_not_set")
OPERATORS: dict[str, tuple[str, ...]] = {
    "enum": ("eq", "ne", "in", "not_in"),
    "text": ("eq", "ne", "contains", "not_contains", *_SET),
    "id": ("eq", "ne", "in", "not_in", *_SET),
    "number": ("eq", "ne", "lt", "lte", "gt", "gte", *_SET),
    "tags": ("contains", "not_contains", "is_empty", "is_not_empty"),
    "ids": ("contains", "not_contains", "any_of", "is_empty", "is_not_empty"),
    "time": ("between", "not_between"),
}
NO_VALUE = frozenset({"is_set", "is_not_set", "is_empty", "is_not_empty"})
LIST_VALUE = frozenset({"in", "not_in", "any_of"})


@dataclass(frozen=True)
class Field:
    kind: str
    description: str
    values: tuple[str, ...] = ()  # an enum's values


FIELDS: dict[str, Field] = {
    "ticket.priority": Field("enum", "the ticket's priority", PRIORITIES),
    "ticket.status": Field("enum", "the ticket's status", tuple(s.value for s in Status)),
    "ticket.sla_state": Field("enum", "ok, at risk or breached", tuple(s.value for s in SlaState)),
    "ticket.source": Field("enum", "staff or public (a QR report)", ("staff", "public")),
    "ticket.title": Field("text", "the ticket's title"),
    "ticket.required_skills": Field("tags", "skill codes the job needs"),
    "ticket.assignee_id": Field("id", "the engineer it is assigned to"),
    "ticket.job_type_id": Field("id", "its job type"),
    "ticket.rating": Field("number", "the customer's rating (1-5)"),
    "asset.id": Field("id", "the asset"),
    "asset.model": Field("text", "the asset's model"),
    "site.id": Field("id", "the site"),
    "customer.id": Field("id", "the customer (of the site)"),
    "region.id": Field("ids", "the regions containing the ticket's location"),
    "time_of_day": Field("time", "when the event happened, as a clock time in `zone`"),
}


@dataclass(frozen=True)
class Param:
    kind: str  # "priority" | "text" | "uuid" | "role" | "skill"
    required: bool = True


ACTIONS: dict[str, tuple[str, dict[str, Param]]] = {
    "set_priority": ("set the priority (SLA deadlines follow)", {"priority": Param("priority")}),
    "require_skill": ("add a skill the job needs", {"skill": Param("skill")}),
    "route_to_region": ("put the ticket in a region", {"region_id": Param("uuid")}),
    "auto_dispatch": ("assign the best eligible engineer now", {}),
    "notify": (
        "notify a role or a user (in-app, push, email where push cannot reach)",
        {
            "role": Param("role", required=False),
            "user_id": Param("uuid", required=False),
            "title": Param("text"),
            "body": Param("text", required=False),
        },
    ),
    "add_note": ("add an internal note", {"body": Param("text")}),
    "send_webhook": ("send the automation.rule_matched webhook to its subscribers", {}),
    "send_email": (
        "email a user",
        {"user_id": Param("uuid"), "subject": Param("text"), "body": Param("text")},
    ),
    "escalate": (
        "escalate to a person: an engineer is assigned the ticket and notified, staff notified",
        {"user_id": Param("uuid"), "reason": Param("text", required=False)},
    ),
}

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _text_ok(value: Any, limit: int = MAX_TEXT) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "must be non-empty text"
    if len(value) > limit:
        return f"at most {limit} characters"
    return None


def _scalar_error(field: Field, value: Any) -> str | None:
    if field.kind == "enum":
        return None if value in field.values else f"one of {', '.join(field.values)}"
    if field.kind in ("text", "tags"):
        return _text_ok(value, 200)
    if field.kind in ("id", "ids"):
        return None if _is_uuid(value) else "must be a UUID"
    if field.kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    return None


def _condition_errors(i: int, cond: Any, errors: dict[str, list[str]]) -> None:
    at = f"conditions.{i}"
    if not isinstance(cond, Mapping):
        errors[at] = ["must be an object with field, op and value"]
        return
    unknown = set(cond) - {"field", "op", "value", "zone"}
    for key in sorted(unknown):
        errors[f"{at}.{key}"] = ["unknown key"]
    name = cond.get("field")
    field = FIELDS.get(name) if isinstance(name, str) else None
    if field is None:
        errors[f"{at}.field"] = [f"unknown field {name!r}: one of {', '.join(FIELDS)}"]
        return
    op = cond.get("op")
    ops = OPERATORS[field.kind]
    if not isinstance(op, str) or op not in ops:
        errors[f"{at}.op"] = [f"unknown operator {op!r} for {name}: one of {', '.join(ops)}"]
        return
    value = cond.get("value")
    if op in NO_VALUE:
        if value is not None:
            errors[f"{at}.value"] = [f"{op} takes no value"]
    elif field.kind == "time":
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, str) and _CLOCK.match(v) for v in value)
        )
        if not ok:
            errors[f"{at}.value"] = ['two clock times ["HH:MM", "HH:MM"] (from, until)']
    elif op in LIST_VALUE:
        if not isinstance(value, list) or not value or len(value) > 100:
            errors[f"{at}.value"] = ["a list of 1 to 100 values"]
        else:
            for j, item in enumerate(value):
                problem = _scalar_error(field, item)
                if problem:
                    errors[f"{at}.value.{j}"] = [problem]
    else:
        problem = _scalar_error(field, value)
        if problem:
            errors[f"{at}.value"] = [problem]
    zone = cond.get("zone")
    if field.kind == "time":
        try:
            if not isinstance(zone, str) or not zone:
                raise ZoneInfoNotFoundError
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
            errors[f"{at}.zone"] = [f"an IANA time zone (e.g. Europe/Berlin), not {zone!r}"]
    elif zone is not None:
        errors[f"{at}.zone"] = ["only time_of_day takes a zone"]


def _param_error(param: Param, value: Any) -> str | None:
    if param.kind == "priority":
        return None if value in PRIORITIES else f"one of {', '.join(PRIORITIES)}"
    if param.kind == "role":
        roles = [r.value for r in Role]
        return None if value in roles else f"one of {', '.join(roles)}"
    if param.kind == "uuid":
        return None if _is_uuid(value) else "must be a UUID"
    if param.kind == "skill":
        return _text_ok(value, 64)
    return _text_ok(value)


def _action_errors(i: int, action: Any, errors: dict[str, list[str]]) -> None:
    at = f"actions.{i}"
    if not isinstance(action, Mapping):
        errors[at] = ["must be an object with a type"]
        return
    kind = action.get("type")
    if not isinstance(kind, str) or kind not in ACTIONS:
        errors[f"{at}.type"] = [f"unknown action {kind!r}: one of {', '.join(ACTIONS)}"]
        return
    params = ACTIONS[kind][1]
    for key in sorted(set(action) - set(params) - {"type"}):
        errors[f"{at}.{key}"] = [f"unknown parameter for {kind}"]
    for key, param in params.items():
        value = action.get(key)
        if value is None:
            if param.required:
                errors[f"{at}.{key}"] = ["required"]
            continue
        problem = _param_error(param, value)
        if problem:
            errors[f"{at}.{key}"] = [problem]
    if kind == "notify" and (action.get("role") is None) == (action.get("user_id") is None):
        errors[f"{at}.role"] = ["give exactly one of role and user_id"]


def check_rule(body: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every problem of a rule body, keyed by its path; empty when the rule is well formed.
    What exists (skills, regions, users) is checked by ``operations.check_references``."""
    errors: dict[str, list[str]] = {}
    problem = _text_ok(body.get("name"), MAX_NAME)
    if problem:
        errors["name"] = [problem]
    if not isinstance(body.get("event"), str) or body.get("event") not in EVENTS:
        errors["event"] = [f"unknown event {body.get('event')!r}: one of {', '.join(EVENTS)}"]
    if body.get("match", "all") not in MATCHES:
        errors["match"] = ["one of all, any"]
    conditions = body.get("conditions", [])
    if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
        errors["conditions"] = [f"a list of at most {MAX_CONDITIONS} conditions"]
    else:
        for i, cond in enumerate(conditions):
            _condition_errors(i, cond, errors)
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or len(actions) > MAX_ACTIONS:
        errors["actions"] = [f"a list of 1 to {MAX_ACTIONS} actions"]
    else:
        for i, action in enumerate(actions):
            _action_errors(i, action, errors)
    return errors


def describe() -> dict[str, Any]:
    """The catalog as the console shows it (``GET /automation/catalog``)."""
    return {
        "events": [{"type": t, "description": d} for t, d in EVENTS.items()],
        "fields": [
            {
                "name": name,
                "kind": f.kind,
                "description": f.description,
                "operators": list(OPERATORS[f.kind]),
                "values": list(f.values),
            }
            for name, f in FIELDS.items()
        ],
        "actions": [
            {
                "type": kind,
                "description": description,
                "parameters": [
                    {"name": n, "kind": p.kind, "required": p.required} for n, p in params.items()
                ],
            }
            for kind, (description, params) in ACTIONS.items()
        ],
    }
