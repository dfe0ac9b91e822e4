"""marshmallow schemas of the batch plan endpoint: its request, and the plan it answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from backend.db import utcnow

PIN_REASONS = ["accepted", "en_route", "flag", "manual", "override"]
PIN_DESCRIPTION = (
    "Why the plan keeps the ticket with its engineer: accepted / en_route (the engineer's "
    "commitment), flag (dispatch_flags.pinned), manual (a person assigned it), override (a "
    "person overrode the recommendation); null: free to move"
)


class ApprovedChangeIn(Schema):
    """One change of the preview, as the preview gave it (other fields are ignored)."""

    class Meta:
        unknown = EXCLUDE

    ticket_id = fields.String(required=True)
    to_engineer_id = fields.String(required=True)
    eta = fields.String(required=True)


class ApprovedIn(Schema):
    """The preview being applied, echoed back unchanged from the plan."""

    fingerprint = fields.String(required=True, validate=validate.Length(equal=64))
    inputs = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    changes = fields.List(
        fields.Nested(ApprovedChangeIn), required=True, validate=validate.Length(max=2000)
    )


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
    apply = fields.Boolean(
        load_default=False,
        metadata={"description": "Apply exactly `preview` (required then); false: preview"},
    )
    preview = fields.Nested(
        ApprovedIn,
        load_default=None,
        metadata={
            "description": "With apply: the preview's fingerprint, inputs and changes; 409 "
            "plan_changed (naming what changed) when its inputs changed since"
        },
    )
    unpin = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=2000),
        metadata={
            "description": "Tickets a person assigned or overrode (pinned by default) that "
            "the plan may move"
        },
    )
    date = fields.Date(
        load_default=None,
        metadata={
            "description": "Plan the shifts of this (local) day, e.g. tomorrow; default: "
            "today, from now"
        },
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
        if data.get("apply") and data.get("preview") is None:
            raise ValidationError(
                "apply carries out a preview: send the preview's fingerprint, inputs and changes",
                field_name="preview",
            )
        day = data.get("date")
        if day is not None and day < (utcnow() - timedelta(days=1)).date():
            raise ValidationError("a plan is for today or a later day", field_name="date")


class StopOut(Schema):
    ticket_id = fields.String()
    eta = fields.String(metadata={"description": "Arrival, ISO 8601 UTC"})
    start = fields.String()
    finish = fields.String()
    travel_km = fields.Float()
    travel_min = fields.Float()
    breach_min = fields.Float(metadata={"description": "Minutes past the SLA deadline (0: met)"})
    window_breach_min = fields.Float(
        metadata={"description": "Minutes the start is after the arrival window (0: in it)"}
    )
    pinned = fields.Boolean()


class RouteOut(Schema):
    engineer_id = fields.String()
    travel_km = fields.Float()
    travel_min = fields.Float()
    tickets = fields.List(fields.Nested(StopOut))


class ChangeOut(Schema):
    ticket_id = fields.String()
    number = fields.String()
    from_engineer_id = fields.String(allow_none=True)
    to_engineer_id = fields.String()
    action = fields.String(
        metadata={"enum": ["assign", "reassign", "keep"], "description": "keep: ETA only"}
    )
    pin = fields.String(
        allow_none=True, metadata={"enum": PIN_REASONS, "description": PIN_DESCRIPTION}
    )
    unpinned = fields.Boolean(metadata={"description": "Pinned, but the request unpinned it"})
    eta = fields.String(metadata={"description": "Arrival, ISO 8601 UTC"})
    finish = fields.String()
    travel_min = fields.Float()
    travel_km = fields.Float()
    breach_min = fields.Float(metadata={"description": "Minutes past the SLA deadline (0: met)"})
    sla = fields.String(metadata={"enum": ["on_time", "late"]})
    respond_by = fields.String(allow_none=True)
    resolve_by = fields.String(allow_none=True)
    window = fields.String(
        metadata={
            "enum": ["none", "in_window", "late"],
            "description": "The arrival window's effect: none (no window), in_window, or late "
            "(starts after the window: a window breach)",
        }
    )
    window_start = fields.String(allow_none=True, metadata={"description": "Earliest start"})
    window_end = fields.String(allow_none=True, metadata={"description": "Latest start"})
    window_breach_min = fields.Float(
        metadata={"description": "Minutes the start is after the arrival window (0: in it)"}
    )


class UnassignedOut(Schema):
    ticket_id = fields.String()
    number = fields.String()
    assignee_id = fields.String(
        allow_none=True, metadata={"description": "The engineer it keeps (apply never unassigns)"}
    )
    pin = fields.String(allow_none=True, metadata={"enum": PIN_REASONS})
    reason = fields.String(
        metadata={
            "description": "outside_all_regions | not_in_region | missing_skill:<code> | "
            "status:off_duty | off_shift | at_capacity | shift | capacity | window (no "
            "qualified engineer's shift has room for it in its arrival window)"
        }
    )
    detail = fields.String()


class SummaryOut(Schema):
    assigned = fields.Integer(metadata={"description": "Tickets in the plan's routes"})
    moves = fields.Integer(metadata={"description": "Assigned or reassigned by apply"})
    unchanged = fields.Integer(metadata={"description": "Staying with their engineer"})
    pinned = fields.Integer()
    unassigned = fields.Integer()
    breaches = fields.Integer()
    window_breaches = fields.Integer(
        metadata={"description": "Planned tickets starting after their arrival window"}
    )
    travel_km = fields.Float()
    solve_s = fields.Float()
    passes = fields.Integer()


class AppliedOut(Schema):
    ticket_id = fields.String()
    engineer_id = fields.String()
    action = fields.String()


class PlanOut(Schema):
    routes = fields.List(fields.Nested(RouteOut))
    changes = fields.List(
        fields.Nested(ChangeOut), metadata={"description": "Per planned ticket, route order"}
    )
    unassigned = fields.List(fields.Nested(UnassignedOut))
    summary = fields.Nested(SummaryOut)
    applied = fields.List(fields.Nested(AppliedOut))
    planned_at = fields.String()
    day = fields.String(allow_none=True, metadata={"description": "The day planned (null: now)"})
    unpin = fields.List(fields.String(), metadata={"description": "Pins lifted for this plan"})
    inputs = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Digest per planned ticket and engineer; echo it on apply"},
    )
    fingerprint = fields.String(
        metadata={"description": "Digest of inputs and moves; echo it on apply"}
    )


class OptimizeOut(Schema):
    status = fields.String(metadata={"description": "finished (inline) or queued (job)"})
    job_id = fields.String(allow_none=True)
    plan = fields.Nested(PlanOut, allow_none=True)


class ProgressFactsOut(Schema):
    """What the phases knew when they began (each adds the facts it has; a later phase's
    value of the same fact wins)."""

    tickets = fields.Integer()
    engineers = fields.Integer()
    groups = fields.Integer(metadata={"description": "VROOM runs in pass 1 (1: whole plan)"})
    placed = fields.Integer(metadata={"description": "Tickets in routes so far"})
    passes = fields.Integer()
    strategy = fields.String(metadata={"description": "The search's: whole | decompose | skip"})
    travel_km = fields.Float(metadata={"description": "Travel of the routes so far"})
    search_s = fields.Float(metadata={"description": "Seconds the search was given"})
    search_from_km = fields.Float(
        allow_none=True,
        metadata={"description": "Travel when the search began (null: no search); "
                  "minus travel_km, what it gained"},
    )  # fmt: skip


class ProgressOut(Schema):
    phase = fields.String(metadata={"description": "pass1 | pass2 | search | explain, then done"})
    phases = fields.List(fields.String(), metadata={"description": "Phases so far, in order"})
    facts = fields.Nested(ProgressFactsOut)
    seconds = fields.Float(metadata={"description": "Since the plan started"})
    percent = fields.Integer(metadata={"description": "Of the plan's time budget (100: done)"})


class JobOut(Schema):
    job_id = fields.String()
    status = fields.String(
        metadata={
            "description": "queued | started | deferred | scheduled | finished | failed | "
            "stopped | canceled"
        }
    )
    progress = fields.Nested(
        ProgressOut, allow_none=True, metadata={"description": "Null until the plan starts"}
    )
    plan = fields.Nested(PlanOut, allow_none=True)
    error = fields.String(allow_none=True)
