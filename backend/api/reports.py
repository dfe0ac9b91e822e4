"""Service KPI reports and their CSV/XLSX exports (docs/kpis.md): staff only. Every report's
two views are made from its catalog entry (``backend.reports.catalog``), so a new report is one
entry there; the SQL lives in ``backend.reports``."""

from __future__ import annotations

from typing import Any

from flask import Response, request, stream_with_context
from flask.views import MethodView

from backend.accounts.permissions import current_user, require_login, require_staff
from backend.api.schemas_common import ApiBlueprint, operation, spreadsheet_response
from backend.config import settings
from backend.db import utcnow
from backend.reports import export, export_jobs
from backend.reports.catalog import REPORTS, Answer, Report
from backend.reports.schemas import ExportJobOut, ExportStateOut
from backend.spreadsheet import CONTENT_TYPES, chunks

blp = ApiBlueprint(
    "reports", __name__, url_prefix="/api/v1", description="Service KPI reports and exports"
)

_FILE = spreadsheet_response("The report's groups, one row each, nested fields as dotted columns")


def _class_name(report: Report, suffix: str) -> str:
    return f"{report.name.replace('-', '_').title().replace('_', '')}{suffix}"


def _report_view(report: Report) -> type[MethodView]:
    """``GET /reports/<name>``: the report as JSON."""

    class View(MethodView):
        @operation(blp, 200, report.out, query=report.query)
        @require_staff
        def get(self, query: dict[str, Any]) -> Answer:
            return report.compute(query, utcnow(), settings())

    View.get.__doc__ = report.summary
    View.__name__ = _class_name(report, "Report")
    return View


def _export_view(report: Report) -> type[MethodView]:
    """``GET /reports/<name>/export``: the same numbers as a CSV or XLSX file (its own query
    schema, so the document lists its filters)."""

    class Export(MethodView):
        @blp.doc(responses={"200": _FILE})
        @operation(blp, 200, None, query=report.export_query)
        @require_staff
        def get(self, query: dict[str, Any]) -> Response:
            body = report.compute(query, utcnow(), settings())
            group_schema = report.out().fields["groups"].inner.schema  # type: ignore[attr-defined]
            header = export.columns(group_schema)
            lines = export.rows(group_schema, body["groups"])
            fmt = query["format"]
            name = export.filename(report.name, body["period_from"], body["period_to"], fmt)
            return Response(
                stream_with_context(chunks(fmt, report.title, header, lines)),
                mimetype=CONTENT_TYPES[fmt],
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

    Export.get.__doc__ = f"{report.title} report as CSV or XLSX."
    Export.__name__ = _class_name(report, "Export")
    return Export


def _export_job_view(report: Report) -> type[MethodView]:
    """``POST /reports/<name>/export/jobs``: the same file made by a job (long periods), with
    progress at ``/exports/<job_id>``."""

    class ExportJob(MethodView):
        @operation(blp, 202, ExportJobOut, query=report.export_query, errors=(409,))
        @require_staff
        def post(self, query: dict[str, Any]) -> dict[str, Any]:
            job_id = export_jobs.enqueue(
                current_user(), "report", report.name, request.args.to_dict()
            )
            return {"job_id": job_id, "status": "queued"}

    ExportJob.post.__doc__ = (
        f"Start the {report.title} report's CSV/XLSX as a job; follow it at /exports/{{job_id}}."
    )
    ExportJob.__name__ = _class_name(report, "ExportJob")
    return ExportJob


@blp.route("/exports/<string:job_id>")
class ExportState(MethodView):
    @operation(blp, 200, ExportStateOut, errors=(404,))
    @require_login
    def get(self, job_id: str) -> dict[str, Any]:
        """An export job's state and progress (rows written of rows to write); once finished,
        the file's name and a download link. Only whoever started it may read it."""
        return export_jobs.state(job_id, current_user())


for _report in REPORTS.values():
    blp.route(f"/reports/{_report.name}", endpoint=f"report_{_report.name}")(_report_view(_report))
    blp.route(f"/reports/{_report.name}/export", endpoint=f"export_{_report.name}")(
        _export_view(_report)
    )
    blp.route(f"/reports/{_report.name}/export/jobs", endpoint=f"export_job_{_report.name}")(
        _export_job_view(_report)
    )
