"""Time sheets API: an engineer's days (entries derived from status events), corrections,
approval and export. Thin views: parse, check access, call ``backend.timesheets.operations``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import Response, request, stream_with_context

from backend.accounts.models import User
from backend.accounts.permissions import current_user, require_login, require_staff
from backend.api.schemas_common import ApiBlueprint, operation, spreadsheet_response
from backend.db import utcnow
from backend.errors import Invalid, NotAllowed
from backend.reports import export_jobs
from backend.reports.schemas import ExportJobOut
from backend.spreadsheet import CONTENT_TYPES, chunks
from backend.timesheets import export
from backend.timesheets import operations as ops
from backend.timesheets.derive import Correction
from backend.timesheets.models import TimesheetCorrection
from backend.timesheets.queries import engineer_zone
from backend.timesheets.schemas import (
    ApproveIn,
    CorrectionIn,
    CorrectionOut,
    DayOut,
    ExportQuery,
    ReopenIn,
    SheetOut,
    SheetQuery,
)

blp = ApiBlueprint(
    "timesheets",
    __name__,
    url_prefix="/api/v1",
    description="Time sheets: travel, on-site, work and pause per engineer and day, derived "
    "from the jobs' status changes; corrected by the engineer with a reason, approved (and "
    "locked) by a dispatcher.",
)


_FILE = spreadsheet_response("One row per entry and day")


def _whose(user: User, asked: uuid.UUID | None) -> uuid.UUID:
    """Engineers read and correct their own sheet; staff name the engineer."""
    if user.is_staff:
        if asked is None:
            raise Invalid("name the engineer", errors={"engineer_id": ["required for staff"]})
        return asked
    if asked is not None and asked != user.id:
        raise NotAllowed("engineers see their own time sheet only")
    return user.id


def _sheet(args: dict[str, Any]) -> tuple[uuid.UUID, list[ops.DaySheet]]:
    engineer_id = _whose(current_user(), args.get("engineer_id"))
    return engineer_id, ops.sheet(engineer_id, args["from_"], args["to"], now=utcnow())


@blp.route("/timesheets", methods=["GET"])
@operation(blp, 200, SheetOut, query=SheetQuery, errors=(403,))
@require_login
def get_sheet(args: dict[str, Any]) -> dict[str, Any]:
    """Days ``from``..``to`` (local to the engineer's time zone): entries, totals per kind in
    seconds, approval. An approved day shows what was approved."""
    engineer_id, days = _sheet(args)
    return {"engineer_id": engineer_id, "timezone": engineer_zone(engineer_id).key, "days": days}


@blp.route("/timesheets/export", methods=["GET"])
@blp.doc(responses={"200": _FILE})
@operation(blp, 200, None, query=ExportQuery, errors=(403,))
@require_login
def export_sheet(args: dict[str, Any]) -> Response:
    """The period for payroll, one row per entry and day, as CSV or XLSX; streamed."""
    engineer_id, days = _sheet(args)
    fmt = args["format"]
    name = export.filename(engineer_id, args["from_"], args["to"], fmt)
    lines = export.rows(engineer_id, days)
    return Response(
        stream_with_context(chunks(fmt, "Time sheet", export.HEADER, lines)),
        mimetype=CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blp.route("/timesheets/export/jobs", methods=["POST"])
@operation(blp, 202, ExportJobOut, query=ExportQuery, errors=(403, 409))
@require_login
def export_sheet_job(args: dict[str, Any]) -> dict[str, Any]:
    """The same file as ``/timesheets/export``, made by a job; follow it at
    ``/exports/{job_id}``. Engineers export their own sheet only."""
    user = current_user()
    engineer_id = _whose(user, args.get("engineer_id"))
    job_id = export_jobs.enqueue(user, "timesheet", str(engineer_id), request.args.to_dict())
    return {"job_id": job_id, "status": "queued"}


@blp.route("/timesheets/corrections", methods=["POST"])
@operation(blp, 201, CorrectionOut, body=CorrectionIn, errors=(403, 404, 409))
@require_login
def post_correction(data: dict[str, Any]) -> tuple[TimesheetCorrection, int]:
    """Correct an entry (new start/end, or removed) or add one, with a reason. Idempotent by
    ``id`` (200 the second time). An approved day refuses it (409 ``day_approved``)."""
    user = current_user()
    engineer_id = _whose(user, data.get("engineer_id"))
    row, created = ops.correct(
        user, Correction(**{**data, "engineer_id": engineer_id}), now=utcnow()
    )
    return row, 201 if created else 200


@blp.route("/timesheets/<uuid:engineer_id>/days/<string:day>/approval", methods=["PUT"])
@operation(blp, 200, DayOut, body=ApproveIn, errors=(409, 422))
@require_staff
def approve_day(data: dict[str, Any], engineer_id: uuid.UUID, day: str) -> ops.DaySheet:
    """Approve the day: its entries are frozen and corrections to it are refused."""
    when = _day(day)
    ops.approve(current_user(), engineer_id, when, now=utcnow(), version=data["version"])
    return _one(engineer_id, when)


@blp.route("/timesheets/<uuid:engineer_id>/days/<string:day>/reopen", methods=["POST"])
@operation(blp, 200, DayOut, body=ReopenIn, errors=(409, 422))
@require_staff
def reopen_day(data: dict[str, Any], engineer_id: uuid.UUID, day: str) -> ops.DaySheet:
    """Reopen an approved day (with a reason) so it can be corrected again."""
    when = _day(day)
    ops.reopen(
        current_user(),
        engineer_id,
        when,
        now=utcnow(),
        reason=data["reason"],
        version=data["version"],
    )
    return _one(engineer_id, when)


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(
            f"{raw!r} is not a date (YYYY-MM-DD)", errors={"day": ["not a date"]}
        ) from None


def _one(engineer_id: uuid.UUID, day: date) -> ops.DaySheet:
    (sheet,) = ops.sheet(engineer_id, day, day, now=utcnow())
    return sheet
