"""Input and output of the bulk import and export endpoints (docs/imports.md)."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from backend.imports.entities import ENTITIES
from backend.imports.models import STATUSES

_ENTITY = "one of " + ", ".join(ENTITIES)


class ImportForm(Schema):
    class Meta:
        unknown = EXCLUDE

    entity = fields.String(
        required=True, validate=validate.OneOf(list(ENTITIES)), metadata={"description": _ENTITY}
    )


class ImportFiles(Schema):
    file = Upload(required=True, metadata={"description": "CSV (UTF-8) or XLSX, header first"})


# flask-smorest documents only the last ``arguments`` of a body: this documents the whole form.
class ImportMultipart(ImportForm):
    file = Upload(required=True, metadata={"description": "CSV (UTF-8) or XLSX, header first"})


class RowErrorOut(Schema):
    row = fields.Integer(required=True, metadata={"description": "Spreadsheet row (header: 1)"})
    column = fields.String(required=True, allow_none=True)
    message = fields.String(required=True)


class ImportResultOut(Schema):
    inserted = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)


class ImportProgressOut(Schema):
    phase = fields.String(required=True, metadata={"description": "reading | writing | done"})
    done = fields.Integer(required=True, metadata={"description": "Rows written"})
    total = fields.Integer(required=True, allow_none=True)
    percent = fields.Integer(required=True)
    seconds = fields.Float(required=True, metadata={"description": "Since apply started"})


class ImportOut(Schema):
    id = fields.UUID(required=True)
    entity = fields.String(required=True)
    filename = fields.String(required=True)
    format = fields.String(required=True, metadata={"description": "csv | xlsx"})
    status = fields.String(required=True, metadata={"description": " | ".join(STATUSES)})
    rows_total = fields.Integer(required=True, metadata={"description": "Data rows in the file"})
    error_count = fields.Integer(required=True)
    errors = fields.List(
        fields.Nested(RowErrorOut),
        required=True,
        metadata={"description": "The dry run's errors by row (the first 1000)"},
    )
    result = fields.Nested(ImportResultOut, required=True, allow_none=True)
    failure = fields.String(required=True, allow_none=True)
    progress = fields.Nested(
        ImportProgressOut,
        required=True,
        allow_none=True,
        metadata={"description": "The apply job's progress while it runs"},
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class ColumnOut(Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)
    required = fields.Boolean(required=True)


class EntityOut(Schema):
    name = fields.String(required=True)
    title = fields.String(required=True)
    key = fields.String(required=True)
    columns = fields.List(fields.Nested(ColumnOut), required=True)


class DataExportQuery(Schema):
    format = fields.String(
        load_default="csv",
        validate=validate.OneOf(["csv", "xlsx"]),
        metadata={"description": "csv (UTF-8) or xlsx"},
    )
    from_ = fields.Date(
        data_key="from",
        metadata={"description": "Tickets only: created on or after this UTC day"},
    )
    to = fields.Date(metadata={"description": "Tickets only: created on or before this UTC day"})

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        first, last = data.get("from_"), data.get("to")
        if first and last and first > last:
            raise ValidationError("must not be before from", field_name="to")
