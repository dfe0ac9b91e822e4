"""Completion rules: what a job needs before it may be completed (pure, no database).

Configured with ``COMPLETION_RULES`` (env ``FIELDOPS_COMPLETION_RULES``, JSON, or a dict in
the app config)::

    {"default":  {"signature": true, "photos": 0, "parts": true},
     "priority": {"P1": {"photos": 1}, "P2": {"photos": 1}},
     "category": {"inspection": {"parts": false}}}

Layers apply in order: built-in defaults, ``default``, the ticket's ``priority``, then every
matching ``category`` (a ticket's categories are its ``category`` attribute if the model has
one, else its required skill codes), then the rules of the ticket's job type version (the
most specific word: the job type's author knows the work). A category overrides the priority
layer (an inspection may need no parts statement whatever its priority); when several
categories match, the strictest value among them wins, so one category cannot relax what
another one imposes.

``missing()`` answers with stable codes the API returns in the 409 body and the phone shows:
``signature``, ``photos`` and ``parts``, and ``checklist.<item key>`` for each required item of
the ticket's checklist (its job type version) still unanswered, in checklist order. Those are
not a rule of this table: a checklist says itself which of its items are required (and a
condition may hide one), so they come with the evidence, evaluated by
``jobtypes.checklist.evaluate``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_RULES: dict[str, Any] = {
    "default": {"signature": True, "photos": 0, "parts": True},
    "priority": {"P1": {"photos": 1}, "P2": {"photos": 1}},
    "category": {},
}

# Nothing required: for deployments without close-out evidence, and for tests of other
# features that drive a ticket to ``completed`` (fixture ``no_completion_rules``).
NO_RULES: dict[str, Any] = {
    "default": {"signature": False, "photos": 0, "parts": False},
    "priority": {},
    "category": {},
}

KEYS = {"signature": bool, "photos": int, "parts": bool}
CHECKLIST_PREFIX = "checklist."


@dataclass(frozen=True)
class Requirements:
    signature: bool = True
    photos: int = 0
    parts: bool = True


@dataclass(frozen=True)
class Evidence:
    has_signature: bool
    photo_count: int
    has_parts_record: bool  # parts recorded, or "no parts used" stated
    # Keys of the checklist's required items still unanswered (its evaluation, in order).
    checklist_missing: tuple[str, ...] = ()


def parse_rules(raw: Any) -> dict[str, Any]:
    """Accept a dict or a JSON string; refuse anything malformed with a clear ValueError
    (a deployment typo must fail at start-up, not on the first completion)."""
    if raw is None or raw == "":
        return DEFAULT_RULES
    rules = json.loads(raw) if isinstance(raw, str | bytes) else raw
    if not isinstance(rules, Mapping):
        raise ValueError("COMPLETION_RULES must be a JSON object")
    unknown = set(rules) - {"default", "priority", "category"}
    if unknown:
        raise ValueError(f"COMPLETION_RULES: unknown sections {sorted(unknown)}")
    check_layer(rules.get("default", {}), "COMPLETION_RULES.default")
    for section in ("priority", "category"):
        table = rules.get(section, {})
        if not isinstance(table, Mapping):
            raise ValueError(f"COMPLETION_RULES.{section} must be an object")
        for name, layer in table.items():
            check_layer(layer, f"COMPLETION_RULES.{section}.{name}")
    return dict(rules)


def check_layer(layer: Any, where: str) -> None:
    """Refuse a malformed layer with a ValueError naming ``where`` and the rule (also a job
    type's ``completion_rules``, checked through ``jobtypes.hooks``)."""
    if not isinstance(layer, Mapping):
        raise ValueError(f"{where} must be an object")
    for key, value in layer.items():
        if key not in KEYS:
            raise ValueError(f"{where}: unknown rule {key!r}")
        expected = KEYS[key]
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{where}.{key} must be an integer")
        if expected is bool and not isinstance(value, bool):
            raise ValueError(f"{where}.{key} must be true or false")
        if key == "photos" and value < 0:
            raise ValueError(f"{where}.photos must be >= 0")


def requirements_for(
    priority: str,
    categories: Iterable[str],
    rules: Mapping[str, Any] | None = None,
    job_type_layer: Mapping[str, Any] | None = None,
) -> Requirements:
    rules = DEFAULT_RULES if rules is None else rules
    merged: dict[str, Any] = {**DEFAULT_RULES["default"], **rules.get("default", {})}
    merged.update(rules.get("priority", {}).get(priority, {}))
    by_category = rules.get("category", {})
    from_categories: dict[str, Any] = {}
    for category in sorted(set(categories)):
        for key, value in (by_category.get(category) or {}).items():
            previous = from_categories.get(key)
            from_categories[key] = value if previous is None else max(previous, value)
    merged.update(from_categories)
    merged.update(job_type_layer or {})
    return Requirements(
        signature=bool(merged["signature"]),
        photos=int(merged["photos"]),
        parts=bool(merged["parts"]),
    )


def missing(req: Requirements, evidence: Evidence) -> list[str]:
    out: list[str] = []
    if req.signature and not evidence.has_signature:
        out.append("signature")
    if evidence.photo_count < req.photos:
        out.append("photos")
    if req.parts and not evidence.has_parts_record:
        out.append("parts")
    out.extend(f"{CHECKLIST_PREFIX}{key}" for key in evidence.checklist_missing)
    return out


def describe(code: str, req: Requirements) -> str:
    """Human wording for a missing code (used in messages and the phone's checklist)."""
    if code.startswith(CHECKLIST_PREFIX):
        return f"the checklist item {code.removeprefix(CHECKLIST_PREFIX)!r}"
    return {
        "signature": "the customer's signature",
        "photos": f"at least {req.photos} photo{'s' if req.photos != 1 else ''}",
        "parts": "the parts used, or a 'no parts used' statement",
    }.get(code, code)
