"""The ``location.report`` sync mutation: the engineer's position fix, which dispatch owns."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from backend.dispatch.engineers import report_location
from backend.geo import Location
from backend.sync.registry import TICKET, MutationContext, MutationOutcome, mutation


class LocationReportArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # newer apps may send fields this server ignores

    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    recorded_at = fields.AwareDateTime(required=True)
    accuracy_m = fields.Float(load_default=None, allow_none=True)


# It names no ticket: a refusal is recorded as before, against none (TICKET, no ticket_id).
@mutation("location.report", LocationReportArgs, entity=TICKET)
def location_report(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    """The engineer's position fix, through ``report_location`` (which ignores a fix older
    than the stored one: phones send them late and out of order)."""
    report_location(
        ctx.user,
        location=Location(args["lon"], args["lat"]),
        recorded_at=args["recorded_at"],
        accuracy_m=args["accuracy_m"],
    )
    return MutationOutcome("applied")
