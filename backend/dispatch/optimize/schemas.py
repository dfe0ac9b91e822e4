"""marshmallow schemas of the batch plan endpoint: its request, and the plan it answers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class OptimizeIn(Schema):
    region_id = fields.UUID(
        load_default=None, metadata={"description": "Plan the open tickets of this region"}
    )
    ticket_ids = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=2000),
        metadata={"description": "Plan exactly these tickets (overrides region_id)"},
    )
    apply = fields.Boolean(load_default=False)
    date = fields.Date(
        load_default=None,
        metadata={"description": "Plan the shifts of this (local) day; default: today, now"},
    )
    run_async = fields.Boolean(
        data_key="async",
        load_default=None,
        metadata={"description": "Force a job (true) or an inline answer (false)"},
    )

    @validates_schema
    def _scope(self, data: dict[str, Any], **kwargs: Any) -> None:
        if len(set(data.get("ticket_ids") or [])) != len(data.get("ticket_ids") or []):
            raise ValidationError("ticket ids must be unique", field_name="ticket_ids")


class StopOut(Schema):
    ticket_id = fields.String()
    eta = fields.String(metadata={"description": "Arrival, ISO 8601 UTC"})
    start = fields.String()
    finish = fields.String()
    travel_km = fields.Float()
    travel_min = fields.Float()
    breach_min = fields.Float(metadata={"description": "Minutes past the SLA deadline (0: met)"})
    pinned = fields.Boolean()


class RouteOut(Schema):
    engineer_id = fields.String()
    travel_km = fields.Float()
    travel_min = fields.Float()
    tickets = fields.List(fields.Nested(StopOut))


class UnassignedOut(Schema):
    ticket_id = fields.String()
    reason = fields.String(
        metadata={
            "description": "outside_all_regions | not_in_region | missing_skill:<code> | "
            "status:off_duty | off_shift | at_capacity | shift | capacity"
        }
    )
    detail = fields.String()


class SummaryOut(Schema):
    assigned = fields.Integer()
    unassigned = fields.Integer()
    breaches = fields.Integer()
    travel_km = fields.Float()
    solve_s = fields.Float()
    passes = fields.Integer()


class AppliedOut(Schema):
    ticket_id = fields.String()
    engineer_id = fields.String()
    action = fields.String()


class PlanOut(Schema):
    routes = fields.List(fields.Nested(RouteOut))
    unassigned = fields.List(fields.Nested(UnassignedOut))
    summary = fields.Nested(SummaryOut)
    applied = fields.List(fields.Nested(AppliedOut))
    planned_at = fields.String()


class OptimizeOut(Schema):
    status = fields.String(metadata={"description": "finished (inline) or queued (job)"})
    job_id = fields.String(allow_none=True)
    plan = fields.Nested(PlanOut, allow_none=True)


class JobOut(Schema):
    job_id = fields.String()
    status = fields.String(
        metadata={"description": "queued | started | deferred | scheduled | finished | failed"}
    )
    plan = fields.Nested(PlanOut, allow_none=True)
    error = fields.String(allow_none=True)
