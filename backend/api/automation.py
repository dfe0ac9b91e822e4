"""Automation rules (admin only; docs/automation.md): the catalog, CRUD, order, on/off, the
dry run and a rule's recent runs."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import select

from backend.accounts.permissions import current_user, require_admin
from backend.api.schemas_common import ApiBlueprint, operation, paginate
from backend.automation import catalog
from backend.automation import operations as ops
from backend.automation.dryrun import dry_run
from backend.automation.models import AutomationRule, AutomationRun
from backend.automation.schemas import (
    CatalogOut,
    DryRunIn,
    DryRunOut,
    ReorderIn,
    RuleIn,
    RuleOut,
    RuleUpdateIn,
    RunOut,
)
from backend.errors import Invalid

blp = ApiBlueprint(
    "automation", __name__, url_prefix="/api/v1", description="Automation rules (admin)"
)


@blp.route("/automation/catalog")
class Catalog(MethodView):
    @operation(blp, 200, CatalogOut)
    @require_admin
    def get(self) -> dict[str, Any]:
        """The events a rule can start on, the fields its conditions compare (with their
        operators) and its actions (with their parameters)."""
        return catalog.describe()


@blp.route("/automation/rules")
class Rules(MethodView):
    @operation(blp, 201, RuleOut, body=RuleIn)
    @require_admin
    def post(self, args: dict[str, Any]) -> AutomationRule:
        """A new rule, last in the order. Checked whole: a 422's ``errors`` name each problem
        by its path (``conditions.1.op``, ``actions.0.region_id``)."""
        return ops.create_rule(current_user(), args)

    @operation(blp, 200, RuleOut(many=True))
    @require_admin
    def get(self) -> list[AutomationRule]:
        """Every rule, in the order they run."""
        return ops.list_rules()


@blp.route("/automation/rules/reorder")
class Reorder(MethodView):
    @operation(blp, 200, RuleOut(many=True), body=ReorderIn)
    @require_admin
    def post(self, args: dict[str, Any]) -> list[AutomationRule]:
        """Set the order: ``rule_ids`` names every rule once, first to run first."""
        return ops.reorder(current_user(), args["rule_ids"])


@blp.route("/automation/rules/dry-run")
class DryRun(MethodView):
    @operation(blp, 200, DryRunOut, body=DryRunIn, errors=(404,))
    @require_admin
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """What the rule (``rule_id`` of a saved one, or an unsaved ``rule``) would have done
        over the last 30 days: the tickets whose events it would have matched and each
        action's effect. Writes nothing."""
        if ("rule_id" in args) == ("rule" in args):
            raise Invalid("give rule_id or rule", errors={"rule_id": ["give rule_id or rule"]})
        if "rule_id" in args:
            saved = ops.get_rule(args["rule_id"])
            body = {k: getattr(saved, k) for k in ops.RULE_FIELDS}
        else:
            body = args["rule"]
            ops.validate(body)
        return dry_run(body)


@blp.route("/automation/rules/<uuid:rule_id>")
class Rule(MethodView):
    @operation(blp, 200, RuleOut, errors=(404,))
    @require_admin
    def get(self, rule_id: uuid.UUID) -> AutomationRule:
        """One rule."""
        return ops.get_rule(rule_id)

    @operation(blp, 200, RuleOut, body=RuleUpdateIn, errors=(404, 409))
    @require_admin
    def patch(self, args: dict[str, Any], rule_id: uuid.UUID) -> AutomationRule:
        """Change a rule, or switch it on or off (``enabled``); checked whole as on create.
        ``version``: the one you edited (409 if another admin saved it since)."""
        version = args.pop("version", None)
        return ops.update_rule(ops.get_rule(rule_id), current_user(), args, version=version)

    @operation(blp, 204, errors=(404,))
    @require_admin
    def delete(self, rule_id: uuid.UUID) -> None:
        """Delete the rule and its runs."""
        ops.delete_rule(ops.get_rule(rule_id), current_user())


@blp.route("/automation/rules/<uuid:rule_id>/runs")
class Runs(MethodView):
    @operation(blp, 200, RunOut(many=True), paginate=True, errors=(404,))
    @require_admin
    def get(
        self, rule_id: uuid.UUID, pagination_parameters: PaginationParameters
    ) -> list[AutomationRun]:
        """The rule's runs, newest first: the ticket, the event and what each action did."""
        ops.get_rule(rule_id)
        stmt = (
            select(AutomationRun)
            .where(AutomationRun.rule_id == rule_id)
            .order_by(AutomationRun.at.desc(), AutomationRun.id)
        )
        return paginate(stmt, pagination_parameters)
