"""Maintenance plan operations: plain values in, ``flush()`` only, DomainError out.

A plan's rules are checked where they are written (create and patch), with the same checks
the generation job relies on: the recurrence rule by ``recurrence.parse`` (a 422 naming the
wrong part), the meter step by ``meters.check_step``, the job type by the rule every new
ticket obeys (it must exist and be active).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select

from backend.accounts.models import User
from backend.assets.models import Asset
from backend.assets.operations import get_asset, get_site
from backend.db import added, db, get_or_404, utcnow
from backend.errors import Conflict, Invalid
from backend.jobtypes.operations import version_for_new_ticket
from backend.maintenance import meters, recurrence
from backend.maintenance.models import MaintenancePlan

SCOPE_FIELDS = ("asset_id", "site_id", "asset_model")
RULE_FIELDS = (
    "name",
    "job_type_id",
    "rrule",
    "dtstart",
    "timezone",
    "meter_name",
    "meter_every",
    "window_minutes",
    "horizon_days",
    "ends_at",
)


def get_plan(plan_id: uuid.UUID, *, lock: bool = False) -> MaintenancePlan:
    if lock:
        found = db.session.scalars(
            select(MaintenancePlan).where(MaintenancePlan.id == plan_id).with_for_update()
        ).one_or_none()
        if found is not None:
            return found
    return get_or_404(MaintenancePlan, plan_id, label="maintenance plan")


def recurrence_of(plan: MaintenancePlan) -> recurrence.Recurrence | None:
    """The plan's checked calendar rule, or None for a meter-only plan."""
    if plan.rrule is None or plan.starts_local is None:
        return None
    return recurrence.parse(plan.rrule, plan.starts_local, plan.timezone)


def _scope(args: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    given = [f for f in SCOPE_FIELDS if args.get(f) is not None]
    if len(given) != 1:
        why = "give exactly one of asset_id, site_id, asset_model"
        raise Invalid(
            f"a plan covers one asset, a site or an asset model: {why}",
            errors={f: [why] for f in SCOPE_FIELDS},
        )
    field = given[0]
    if field == "asset_id":
        get_asset(args["asset_id"])
    elif field == "site_id":
        get_site(args["site_id"])
    elif not str(args["asset_model"]).strip():
        raise Invalid("the asset model is blank", errors={"asset_model": ["must not be blank"]})
    scope = {"asset_id": "asset", "site_id": "site", "asset_model": "model"}[field]
    values = {f: None for f in SCOPE_FIELDS}
    values[field] = args[field].strip() if field == "asset_model" else args[field]
    return scope, values


def _rules(values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise the rule fields (``values`` holds every one of RULE_FIELDS)."""
    if not str(values["name"]).strip():
        raise Invalid("a plan needs a name", errors={"name": ["must not be blank"]})
    values["name"] = str(values["name"]).strip()
    _check_job_type(values["job_type_id"])
    zone = recurrence.zone_named(values["timezone"])
    if values["rrule"] is None and values["meter_name"] is None:
        why = "give rrule (with dtstart), meter_name (with meter_every), or both"
        raise Invalid(f"a plan needs a rule: {why}", errors={"rrule": [why], "meter_name": [why]})
    if values["rrule"] is not None:
        if values["dtstart"] is None:
            raise Invalid("a recurrence rule needs dtstart", errors={"dtstart": ["required"]})
        rule = recurrence.parse(values["rrule"], values["dtstart"], zone)
        values["rrule"], values["dtstart"] = rule.text, rule.start
    else:
        values["dtstart"] = None
    if (values["meter_name"] is None) != (values["meter_every"] is None):
        why = "meter_name and meter_every go together"
        raise Invalid(why, errors={"meter_name": [why], "meter_every": [why]})
    if values["meter_name"] is not None:
        values["meter_name"] = str(values["meter_name"]).strip()
        if not values["meter_name"]:
            raise Invalid("the meter name is blank", errors={"meter_name": ["must not be blank"]})
        values["meter_every"] = meters.check_step(values["meter_every"])
    return values


def _check_job_type(job_type_id: uuid.UUID) -> None:
    """The job type must exist and take new tickets (what generation will ask of it)."""
    version_for_new_ticket(job_type_id)


def _columns(values: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if k in RULE_FIELDS and k != "dtstart"}
    out["starts_local"] = values["dtstart"]
    return out


def create_plan(actor: User | None, **args: Any) -> MaintenancePlan:
    scope, targets = _scope(args)
    values = _rules(
        {
            "rrule": None,
            "dtstart": None,
            "timezone": "UTC",
            "meter_name": None,
            "meter_every": None,
            "window_minutes": 120,
            "horizon_days": 14,
            "ends_at": None,
            **{k: v for k, v in args.items() if k in RULE_FIELDS},
        }
    )
    return added(
        MaintenancePlan(
            scope=scope,
            state="active",
            created_by_id=actor.id if actor else None,
            **targets,
            **_columns(values),
        )
    )


def update_plan(plan: MaintenancePlan, changes: Mapping[str, Any]) -> MaintenancePlan:
    """Edit rule fields (the scope stays: a plan for other assets is another plan). Tickets
    already created keep their dates; the new rule applies to what is not generated yet."""
    if plan.state == "ended":
        raise Conflict("an ended plan cannot be edited", current_state=plan.state)
    current = {k: getattr(plan, k) for k in RULE_FIELDS if k != "dtstart"}
    current["dtstart"] = plan.starts_local
    values = _rules({**current, **{k: v for k, v in changes.items() if k in RULE_FIELDS}})
    for key, value in _columns(values).items():
        setattr(plan, key, value)
    db.session.flush()
    return plan


def set_state(
    plan: MaintenancePlan, action: str, *, now: datetime | None = None
) -> MaintenancePlan:
    """pause (active -> paused), resume (paused -> active), end (-> ended, for good)."""
    allowed = {"pause": ("active",), "resume": ("paused",), "end": ("active", "paused")}
    target = {"pause": "paused", "resume": "active", "end": "ended"}[action]
    if plan.state not in allowed[action]:
        raise Conflict(
            f"cannot {action} a plan that is {plan.state}",
            current_state=plan.state,
        )
    plan.state = target
    if action == "end":
        now = now or utcnow()
        plan.ends_at = min(plan.ends_at, now) if plan.ends_at else now
    db.session.flush()
    return plan


def plans_query(
    *, state: str | None = None, asset_id: uuid.UUID | None = None
) -> Select[MaintenancePlan]:
    stmt = select(MaintenancePlan).order_by(MaintenancePlan.name, MaintenancePlan.id)
    if state is not None:
        stmt = stmt.where(MaintenancePlan.state == state)
    if asset_id is not None:
        asset = get_asset(asset_id)
        stmt = stmt.where(covers(asset))
    return stmt


def covers(asset: Asset) -> Any:
    """SQL: the plan's scope includes ``asset``."""
    clauses = [MaintenancePlan.asset_id == asset.id, MaintenancePlan.site_id == asset.site_id]
    if asset.model:
        clauses.append(MaintenancePlan.asset_model == asset.model)
    return or_(*clauses)


def plan_assets(plan: MaintenancePlan) -> list[Asset]:
    """The assets a plan covers now, by id (a site's or a model's set may grow)."""
    stmt = select(Asset).order_by(Asset.id)
    if plan.scope == "asset":
        stmt = stmt.where(Asset.id == plan.asset_id)
    elif plan.scope == "site":
        stmt = stmt.where(Asset.site_id == plan.site_id)
    else:
        stmt = stmt.where(Asset.model == plan.asset_model)
    return list(db.session.scalars(stmt))


def describe(plan: MaintenancePlan) -> dict[str, Any]:
    """A plan as ``PlanOut`` writes it."""
    return {
        **{c: getattr(plan, c) for c in _OUT},
        "dtstart": plan.starts_local,
    }


_OUT = (
    "id",
    "name",
    "job_type_id",
    "scope",
    "asset_id",
    "site_id",
    "asset_model",
    "rrule",
    "timezone",
    "meter_name",
    "meter_every",
    "window_minutes",
    "horizon_days",
    "state",
    "ends_at",
    "created_at",
    "updated_at",
)
