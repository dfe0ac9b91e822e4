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
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv"]))


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
    id = fields.UUID()
    engineer_id = fields.UUID()
    author_id = fields.UUID()
    entry_id = fields.UUID(allow_none=True)
    kind = fields.String(allow_none=True)
    ticket_id = fields.UUID(allow_none=True)
    start = fields.DateTime(attribute="start_at", allow_none=True)
    end = fields.DateTime(attribute="end_at", allow_none=True)
    removed = fields.Boolean()
    reason = fields.String()
    occurred_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class EntryOut(Schema):
    id = fields.UUID(metadata={"description": "The entry's id: name it to correct the entry"})
    kind = fields.String(metadata={"enum": list(KINDS)})
    ticket_id = fields.UUID(allow_none=True)
    ticket_number = fields.String(allow_none=True)
    start = fields.DateTime()
    end = fields.DateTime()
    seconds = fields.Integer()
    open = fields.Boolean(metadata={"description": "Still running: counted up to now"})
    corrected = fields.Boolean()
    removed = fields.Boolean(metadata={"description": "Corrected away: not in the totals"})
    reason = fields.String(allow_none=True, metadata={"description": "The correction's reason"})


class TotalsOut(Schema):
    travel = fields.Integer(metadata={"description": "Seconds"})
    on_site = fields.Integer()
    work = fields.Integer()
    pause = fields.Integer()


class DayOut(Schema):
    day = fields.Date()
    status = fields.String(metadata={"enum": ["open", "approved"]})
    entries = fields.List(fields.Nested(EntryOut))
    totals = fields.Nested(TotalsOut)
    decided_by = fields.UUID(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    version = fields.Integer(allow_none=True, metadata={"description": "Send it to approve"})
    changed_since_approval = fields.Boolean(
        metadata={"description": "Events arrived after approval; the frozen day is shown"}
    )


class SheetOut(Schema):
    engineer_id = fields.UUID()
    timezone = fields.String(metadata={"description": "The engineer's days are local to it"})
    days = fields.List(fields.Nested(DayOut))


class ApproveIn(Schema):
    version = fields.Integer(
        load_default=None, allow_none=True, metadata={"description": "The day's version you read"}
    )


class ReopenIn(ApproveIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
