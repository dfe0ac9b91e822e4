"""Request and answer shapes of time sheets (REST and the ``timesheet.correct`` mutation)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.timesheets.derive import KINDS


class SheetQuery(Schema):
    engineer_id = fields.UUID(
        metadata={"description": "Whose sheet (staff); engineers get their own, always"}
    )
    from_ = fields.Date(required=True, data_key="from", metadata={"description": "First local day"})
    to = fields.Date(required=True, metadata={"description": "Last local day (at most 62 days)"})


class ExportQuery(SheetQuery):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class CorrectionIn(Schema):
    """One correction: new ``start``/``end`` of an entry (either or both), or ``removed``; with
    no ``entry_id`` a new manual entry (``kind``, ``start``, ``end`` required)."""

    id = fields.UUID(
        required=True, metadata={"description": "Client-generated; resending it is idempotent"}
    )
    engineer_id = fields.UUID(
        metadata={"description": "Whose entry (staff); engineers correct their own"}
    )
    entry_id = fields.UUID(load_default=None, allow_none=True)
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(KINDS))
    ticket_id = fields.UUID(load_default=None, allow_none=True)
    start = fields.AwareDateTime(load_default=None, allow_none=True)
    end = fields.AwareDateTime(load_default=None, allow_none=True)
    removed = fields.Boolean(load_default=False)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    occurred_at = fields.AwareDateTime(
        load_default=None, allow_none=True, metadata={"description": "When it was made (device)"}
    )

    @validates_schema
    def _something_changes(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("entry_id") and not (data.get("start") or data.get("end") or data["removed"]):
            raise ValidationError("name a new start, a new end, or removed", "start")


class CorrectionOut(Schema):
    id = fields.UUID(required=True)
    engineer_id = fields.UUID(required=True)
    author_id = fields.UUID(required=True)
    entry_id = fields.UUID(required=True, allow_none=True)
    kind = fields.String(required=True, allow_none=True)
    ticket_id = fields.UUID(required=True, allow_none=True)
    start = fields.DateTime(required=True, attribute="start_at", allow_none=True)
    end = fields.DateTime(required=True, attribute="end_at", allow_none=True)
    removed = fields.Boolean(required=True)
    reason = fields.String(required=True)
    occurred_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class EntryOut(Schema):
    id = fields.UUID(
        required=True, metadata={"description": "The entry's id: name it to correct the entry"}
    )
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    ticket_id = fields.UUID(required=True, allow_none=True)
    ticket_number = fields.String(required=True, allow_none=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    seconds = fields.Integer(required=True)
    open = fields.Boolean(
        required=True, metadata={"description": "Still running: counted up to now"}
    )
    corrected = fields.Boolean(required=True)
    removed = fields.Boolean(
        required=True, metadata={"description": "Corrected away: not in the totals"}
    )
    reason = fields.String(
        required=True, allow_none=True, metadata={"description": "The correction's reason"}
    )


class TotalsOut(Schema):
    travel = fields.Integer(required=True, metadata={"description": "Seconds"})
    on_site = fields.Integer(required=True)
    work = fields.Integer(required=True)
    pause = fields.Integer(required=True)


class DayOut(Schema):
    day = fields.Date(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "approved"]})
    entries = fields.List(fields.Nested(EntryOut), required=True)
    totals = fields.Nested(TotalsOut, required=True)
    decided_by = fields.UUID(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    version = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Send it to approve"}
    )
    changed_since_approval = fields.Boolean(
        required=True,
        metadata={"description": "Events arrived after approval; the frozen day is shown"},
    )


class SheetOut(Schema):
    engineer_id = fields.UUID(required=True)
    timezone = fields.String(
        required=True, metadata={"description": "The engineer's days are local to it"}
    )
    days = fields.List(fields.Nested(DayOut), required=True)


class ApproveIn(Schema):
    version = fields.Integer(
        load_default=None, allow_none=True, metadata={"description": "The day's version you read"}
    )


class ReopenIn(ApproveIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
