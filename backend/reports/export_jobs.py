"""Exports as rq jobs with progress (docs/kpis.md, "Exports"): a report's or a time sheet's
CSV/XLSX for a long period is started with ``POST .../export/jobs`` (202 with a job id), the
job writes the file with the same writer and the same rows as the streamed ``GET .../export``
(``backend.spreadsheet``), keeps its progress in the rq job's meta (rows written of the rows
to write, as the day plan keeps its phase: ``dispatch/optimize/tasks.py``) and stores the file
through the media storage (filesystem or S3). ``GET /exports/<job_id>`` answers the state and,
once finished, a time-limited download link. Only whoever started an export may read it.

QR label sheets of many assets (``backend.assets.labels``) are exports too (kind ``labels``):
a PDF, with labels drawn of labels to draw as progress.

Files live ``EXPORT_TTL_S`` (a day by default): each one is put in a Redis sorted set by its
expiry, and every export job first removes the files whose time has passed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, cast

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus, get_current_job

from backend.accounts.models import User
from backend.assets import labels as qr_labels
from backend.config import settings
from backend.db import db, release_read, utcnow
from backend.errors import Conflict, NotFound
from backend.extensions import redis_holder
from backend.jobs import enqueue_after_commit, job, outbox
from backend.jobs.models import JobOutbox
from backend.jobs.progress import Progress, progress_of
from backend.media.storage import get_storage
from backend.reports import export
from backend.reports.catalog import REPORTS
from backend.spreadsheet import CONTENT_TYPES, chunks
from backend.timesheets import export as sheet_export
from backend.timesheets import operations as sheet_ops
from backend.timesheets.schemas import ExportQuery as SheetExportQuery

JOB_PREFIX = "export-"
EXPIRING = "exports:expiring"  # sorted set: storage key -> expiry (unix seconds)
KINDS = ("report", "timesheet", "labels")
# Further kinds of tabular export, by a feature this one cannot import (bulk import's data
# exports, kind "data"): kind -> (name, query) -> (title, header, rows, file name, format).
# Registered by the composition root (backend/api), read when the job runs.
Rows = tuple[str, list[str], list[list[Any]], str, str]
SOURCES: dict[str, Callable[[str, dict[str, Any]], Rows]] = {}
FILE_TYPES = {**CONTENT_TYPES, "pdf": "application/pdf"}


class NoQueue(Conflict):
    """Without Redis there is no job to follow: the export is downloaded directly."""

    kind = "no_queue"


def timeout_s() -> int:
    return max(1, settings().EXPORT_TIMEOUT_S)


def ttl_s() -> int:
    return max(60, settings().EXPORT_TTL_S)


def enqueue(actor: User, kind: str, name: str, query: dict[str, Any]) -> str:
    """Queue an export after this request commits; the job id to follow. ``query`` is the
    request's query string (already validated by the view; the job parses it again)."""
    if redis_holder.client is None:
        raise NoQueue("exports run in the request here: download it with GET .../export")
    job_id = f"{JOB_PREFIX}{uuid.uuid4()}"
    enqueue_after_commit(
        run_export,
        str(actor.id),
        kind,
        name,
        dict(query),
        job_id=job_id,
        timeout=timeout_s(),
        queue="low",
    )
    return job_id


@job(queue="low", retry=())  # timeout: EXPORT_TIMEOUT_S, given at enqueue
def run_export(actor_id: str, kind: str, name: str, query: dict[str, Any]) -> dict[str, Any]:
    """Compute the rows, write the file reporting rows done of total, store it. Returns where
    the file is (the status endpoint makes the link)."""
    current = get_current_job()
    if current is not None:
        current.result_ttl = ttl_s()
    purge_expired()
    progress = Progress(current)
    if kind == "labels":
        return _label_sheet(current, progress, query)
    progress.set("computing", 0, None)
    title, header, rows, filename, fmt = _rows(kind, name, query)
    progress.set("writing", 0, len(rows))
    data = _write(fmt, title, header, progress.count("writing", rows, len(rows)))
    progress.set("storing", len(rows), len(rows))
    key = f"exports/{current.id if current else uuid.uuid4()}/{filename}"
    get_storage().put(key, data, CONTENT_TYPES[fmt])
    _remember(key)
    progress.set("done", len(rows), len(rows))
    return {"key": key, "filename": filename, "format": fmt, "rows": len(rows)}


def _label_sheet(current: Job | None, progress: Progress, query: dict[str, Any]) -> dict[str, Any]:
    """The label sheet's PDF: the labels read, the transaction ended (rendering takes
    seconds), then drawn page by page, reporting labels done of total."""
    progress.set("computing", 0, None)
    ids = query.get("asset_ids")
    site = query.get("site_id")
    chosen = qr_labels.select_labels(
        asset_ids=[uuid.UUID(i) for i in ids] if ids else None,
        site_id=uuid.UUID(site) if site else None,
        base_url=settings().PUBLIC_BASE_URL,
        limit=qr_labels.MAX_LABELS,
    )
    release_read(expire=False)
    total = len(chosen)
    progress.set("writing", 0, total)
    grid = qr_labels.Grid(columns=int(query["columns"]), rows=int(query["rows"]))
    data = qr_labels.render_sheet(chosen, grid, lambda done: progress.set("writing", done, total))
    progress.set("storing", total, total)
    filename = "qr-labels.pdf"
    key = f"exports/{current.id if current else uuid.uuid4()}/{filename}"
    get_storage().put(key, data, FILE_TYPES["pdf"])
    _remember(key)
    progress.set("done", total, total)
    return {"key": key, "filename": filename, "format": "pdf", "rows": total}


def _rows(
    kind: str, name: str, query: dict[str, str]
) -> tuple[str, list[str], list[list[Any]], str, str]:
    """(sheet title, header, rows, file name, format) of the export, as the streamed view
    makes them."""
    now = utcnow()
    if kind in SOURCES:
        return SOURCES[kind](name, query)
    if kind == "report":
        report = REPORTS[name]
        parsed = report.export_query().load(query)
        body = report.compute(parsed, now, settings())
        group_schema = report.out().fields["groups"].inner.schema  # type: ignore[attr-defined]
        fmt = parsed["format"]
        return (
            report.title,
            export.columns(group_schema),
            list(export.rows(group_schema, body["groups"])),
            export.filename(report.name, body["period_from"], body["period_to"], fmt),
            fmt,
        )
    engineer_id = uuid.UUID(name)
    parsed = SheetExportQuery().load({k: v for k, v in query.items() if k != "engineer_id"})
    days = sheet_ops.sheet(engineer_id, parsed["from_"], parsed["to"], now=now)
    fmt = parsed["format"]
    return (
        "Time sheet",
        list(sheet_export.HEADER),
        list(sheet_export.rows(engineer_id, days)),
        sheet_export.filename(engineer_id, parsed["from_"], parsed["to"], fmt),
        fmt,
    )


def _write(fmt: str, title: str, header: list[str], rows: Iterable[list[Any]]) -> bytes:
    """The whole file, written in chunks to a temporary file (memory stays flat while rows
    are formatted), then read once for the storage."""
    fd, path = tempfile.mkstemp(prefix="fieldops-export-", suffix=f".{fmt}")
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks(fmt, title, header, rows):
                fh.write(chunk.encode() if isinstance(chunk, str) else chunk)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


def _remember(key: str) -> None:
    client = redis_holder.client
    if client is None:
        return
    with contextlib.suppress(RedisError):
        client.zadd(EXPIRING, {key: time.time() + ttl_s()})


def purge_expired() -> int:
    """Remove the stored export files whose time has passed; how many."""
    client = redis_holder.client
    if client is None:
        return 0
    try:
        keys = cast(list[Any], client.zrangebyscore(EXPIRING, 0, time.time()))
    except RedisError:
        return 0
    storage = get_storage()
    for raw in keys:
        key = raw.decode() if isinstance(raw, bytes) else str(raw)
        storage.delete(key)
        with contextlib.suppress(RedisError):
            client.zrem(EXPIRING, raw)
    return len(keys)


def _fetch(job_id: str, user: User) -> Job | None:
    """The rq job of ``job_id`` if ``user`` started it (None: committed, not relayed yet);
    NotFound otherwise, the same for someone else's export as for none (no oracle)."""
    client = redis_holder.client
    missing = NotFound(f"export job {job_id} not found")
    if client is None or not job_id.startswith(JOB_PREFIX):
        raise missing
    try:
        rq_job = Job.fetch(job_id, connection=client)
    except (NoSuchJobError, RedisError):
        if outbox.is_pending(job_id) and outbox_actor(job_id) == str(user.id):
            return None
        raise missing from None
    args = rq_job.args or ()
    if not args or args[0] != str(user.id):
        raise missing
    return rq_job


def outbox_actor(job_id: str) -> str | None:
    """Who queued a job still waiting in the outbox (its first argument)."""
    row = db.session.get(JobOutbox, job_id)
    return str(row.args[0]) if row is not None and row.args else None


def state(job_id: str, user: User) -> dict[str, Any]:
    """The export's status, rows done of total and percent, and once finished the file's
    name and a download link (valid ``MEDIA_URL_TTL_S``; ask again for a fresh one)."""
    rq_job = _fetch(job_id, user)
    body: dict[str, Any] = {
        "job_id": job_id,
        "status": "queued",
        "progress": None,
        "filename": None,
        "download_url": None,
        "error": None,
    }
    if rq_job is None:
        return body
    status = rq_job.get_status()
    body["status"] = str(status.value if status else "unknown")
    finished = status == JobStatus.FINISHED
    body["progress"] = progress_of(rq_job)
    if finished:
        result = rq_job.return_value() or {}
        storage = get_storage()
        if not storage.exists(result["key"]):
            raise NotFound(f"export {job_id} has expired; start it again")
        body["filename"] = result["filename"]
        body["download_url"] = storage.url(
            result["key"],
            expires_in=settings().MEDIA_URL_TTL_S,
            content_type=FILE_TYPES[result["format"]],
            download_name=result["filename"],
        )
    elif status == JobStatus.FAILED:
        exc = rq_job.exc_info or ""
        body["error"] = exc.strip().splitlines()[-1] if exc.strip() else "export failed"
    elif status in (JobStatus.STOPPED, JobStatus.CANCELED):
        body["error"] = "cancelled"
    return body
