"""Saving rules: create, change, delete, reorder, switch on and off (admins). Every save
checks the whole rule (``catalog.check_rule``, then what it names exists) and refuses it with
one 422 whose ``errors`` are keyed by path; plain values in, flush only."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from backend.accounts.models import User
from backend.automation.actions import check_references
from backend.automation.catalog import check_rule
from backend.automation.engine import forget_listened
from backend.automation.models import AutomationRule
from backend.db import db, get_or_404
from backend.errors import Invalid, NotAllowed, StaleVersion

RULE_FIELDS = ("name", "event", "match", "conditions", "actions", "enabled")


def _admin(actor: User) -> None:
    if actor.role != "admin":
        raise NotAllowed("only an admin may manage automation rules")


def validate(body: Mapping[str, Any]) -> None:
    """Raise ``Invalid`` naming every problem of the rule by its path (nothing is saved)."""
    errors = check_rule(body)
    if not errors and isinstance(body.get("actions"), list):
        errors = check_references(body["actions"])
    if errors:
        first = next(iter(errors))
        raise Invalid(f"the rule is not valid: {first}: {errors[first][0]}", errors=errors)


def get_rule(rule_id: uuid.UUID) -> AutomationRule:
    return get_or_404(AutomationRule, rule_id, label="automation rule", field="rule_id")


def list_rules() -> list[AutomationRule]:
    stmt = select(AutomationRule).order_by(
        AutomationRule.position, AutomationRule.created_at, AutomationRule.id
    )
    return list(db.session.scalars(stmt))


def create_rule(actor: User, body: Mapping[str, Any]) -> AutomationRule:
    """A new rule, last in the order."""
    _admin(actor)
    values = {"match": "all", "conditions": [], "enabled": True, **body}
    validate(values)
    last = db.session.scalar(select(func.max(AutomationRule.position)))
    rule = AutomationRule(
        id=uuid.uuid4(),
        **{k: values[k] for k in RULE_FIELDS},
        position=(last + 1) if last is not None else 0,
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    db.session.add(rule)
    db.session.flush()
    forget_listened()
    return rule


def update_rule(
    rule: AutomationRule, actor: User, changes: Mapping[str, Any], *, version: int | None
) -> AutomationRule:
    """Change any of the rule's fields (the result is checked whole). ``version``: the one the
    change was made on; another admin's save in between is a 409."""
    _admin(actor)
    if version is not None and version != rule.version:
        raise StaleVersion(
            f"rule {rule.name!r} changed since version {version} (now {rule.version})",
            current_version=rule.version,
        )
    merged = {k: getattr(rule, k) for k in RULE_FIELDS}
    merged.update({k: v for k, v in changes.items() if k in RULE_FIELDS})
    validate(merged)
    for key in RULE_FIELDS:
        setattr(rule, key, merged[key])
    rule.updated_by_id = actor.id
    db.session.flush()
    forget_listened()
    return rule


def delete_rule(rule: AutomationRule, actor: User) -> None:
    _admin(actor)
    db.session.delete(rule)
    db.session.flush()
    forget_listened()


def reorder(actor: User, rule_ids: list[uuid.UUID]) -> list[AutomationRule]:
    """Put the rules in the order given, which must name every rule exactly once."""
    _admin(actor)
    rules = list_rules()
    known = {r.id: r for r in rules}
    if len(set(rule_ids)) != len(rule_ids) or set(rule_ids) != set(known):
        missing = [str(i) for i in known if i not in rule_ids]
        unknown = [str(i) for i in rule_ids if i not in known]
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(unknown)}")
        if len(set(rule_ids)) != len(rule_ids):
            problems.append("an id is repeated")
        raise Invalid(
            "name every rule exactly once: " + "; ".join(problems),
            errors={"rule_ids": problems},
        )
    for position, rule_id in enumerate(rule_ids):
        if known[rule_id].position != position:
            known[rule_id].position = position
    db.session.flush()
    return list_rules()
