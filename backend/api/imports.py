"""Bulk import and export (docs/imports.md): admins and dispatchers upload a CSV or XLSX file
of one entity, get the dry run's errors by row and column, apply a clean one as a job whose
progress they follow, and export the same records (and tickets) as files."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request, stream_with_context
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from backend.accounts.permissions import current_user, require_staff
from backend.api.schemas_common import (
    ApiBlueprint,
    document_errors,
    operation,
    paginate,
    spreadsheet_response,
)
from backend.db import utcnow
from backend.imports import export
from backend.imports import operations as ops
from backend.imports.entities import ENTITIES
from backend.imports.schemas import (
    DataExportQuery,
    EntityOut,
    ImportFiles,
    ImportForm,
    ImportMultipart,
    ImportOut,
)
from backend.media.schemas import multipart
from backend.reports import export_jobs
from backend.reports.schemas import ExportJobOut
from backend.spreadsheet import CONTENT_TYPES, chunks

blp = ApiBlueprint(
    "imports", __name__, url_prefix="/api/v1", description="Bulk import and export (staff)"
)


@blp.route("/imports")
class Imports(MethodView):
    @blp.arguments(ImportForm, location="form")
    @blp.arguments(ImportFiles, location="files")
    @blp.doc(**multipart(ImportMultipart))
    @blp.response(201, ImportOut, description="the dry run: status ready, or invalid + errors")
    @document_errors(blp, 413, 415, 422)
    @require_staff
    def post(self, form: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        """Upload a CSV or XLSX file of one entity and dry-run it: every row is checked and
        every problem listed by row and column; nothing is written until it is applied."""
        upload = files["file"]
        data = ops.read_limited(upload.stream)
        batch = ops.dry_run(current_user(), form["entity"], upload.filename or "", data)
        return ops.present(batch)

    @operation(blp, 200, ImportOut(many=True), paginate=True)
    @require_staff
    def get(self, pagination_parameters: PaginationParameters) -> list[dict[str, Any]]:
        """Imports, newest first."""
        return [ops.present(b) for b in paginate(ops.imports_query(), pagination_parameters)]


@blp.route("/imports/entities")
class Entities(MethodView):
    @operation(blp, 200, EntityOut(many=True))
    @require_staff
    def get(self) -> list[dict[str, Any]]:
        """What each importable file holds: its columns (the header row) and its key."""
        return [
            {
                "name": e.name,
                "title": e.title,
                "key": e.key,
                "columns": [
                    {"name": c.name, "description": c.description, "required": c.required}
                    for c in e.columns
                ],
            }
            for e in ENTITIES.values()
        ]


@blp.route("/imports/<uuid:import_id>")
class Import(MethodView):
    @operation(blp, 200, ImportOut, errors=(404,))
    @require_staff
    def get(self, import_id: uuid.UUID) -> dict[str, Any]:
        """An import: its dry run, and while applying the job's progress (rows written of
        rows to write), then what it changed."""
        return ops.present(ops.get_import(import_id))


@blp.route("/imports/<uuid:import_id>/apply")
class Apply(MethodView):
    @operation(blp, 202, ImportOut, errors=(404, 409))
    @require_staff
    def post(self, import_id: uuid.UUID) -> dict[str, Any]:
        """Apply a clean dry run as a job (409 if it had errors or is applied); follow it at
        GET /imports/{import_id}."""
        return ops.present(ops.start_apply(current_user(), ops.get_import(import_id, lock=True)))


_FILE = spreadsheet_response("The records, one row each, with the import's columns")


# A long export (tickets over years) is made by the report exports' job, which follows it with
# the same progress and download link (``GET /exports/<job_id>``).
export_jobs.SOURCES["data"] = export.job_rows
_ENTITIES = "any(customers, sites, assets, parts, van_stock, engineers, tickets)"


@blp.route(f"/data/<{_ENTITIES}:entity>/export")
class DataExport(MethodView):
    @blp.doc(responses={"200": _FILE})
    @operation(blp, 200, None, query=DataExportQuery, errors=(422,))
    @require_staff
    def get(self, query: dict[str, Any], entity: str) -> Response:
        """Customers, sites, assets, parts, van stock or engineers as CSV or XLSX with the
        import's columns (a file that imports back unchanged), or tickets."""
        export.check_period(entity, query.get("from_"), query.get("to"))
        fmt = query["format"]
        spec = export.EXPORTS[entity]
        data = export.rows(entity, query.get("from_"), query.get("to"))
        name = export.filename(entity, utcnow(), fmt)
        return Response(
            stream_with_context(chunks(fmt, spec.title, list(spec.header), data)),
            mimetype=CONTENT_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


@blp.route(f"/data/<{_ENTITIES}:entity>/export/jobs")
class DataExportJob(MethodView):
    @operation(blp, 202, ExportJobOut, query=DataExportQuery, errors=(409, 422))
    @require_staff
    def post(self, query: dict[str, Any], entity: str) -> dict[str, str]:
        """The same file made by a job (a large register, tickets over a long period): follow
        its progress and get the download link at GET /exports/{job_id}. 409 without a job
        queue (download it directly)."""
        export.check_period(entity, query.get("from_"), query.get("to"))
        job_id = export_jobs.enqueue(current_user(), "data", entity, request.args.to_dict())
        return {"job_id": job_id, "status": "queued"}
