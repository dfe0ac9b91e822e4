"""Bulk import: upload and dry run, then apply as a job (docs/imports.md).

The dry run reads the whole file, checks every row (``validate``) and keeps the checked rows
as a CSV in the media storage, so apply needs no second upload and reads no spreadsheet. Only
a clean dry run may be applied: a file with errors is fixed and uploaded again, so an import
never leaves "the rows that happened to be valid" behind. Apply runs as an rq job on the low
queue, its progress in the job's meta (``backend.jobs.progress``, the same machinery as the
report exports) and its outcome on the import record.
"""

from __future__ import annotations

import uuid
from typing import Any

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import Select, select

from backend.accounts.models import User
from backend.accounts.permissions import ensure_role
from backend.config import settings
from backend.db import added, db, get_or_404, release_read
from backend.errors import Conflict, Invalid, NotFound, TooLarge
from backend.extensions import redis_holder
from backend.imports import engineers, reading, rowstore, validate, writing
from backend.imports.entities import ENTITIES, Entity
from backend.imports.models import ImportBatch
from backend.imports.tasks import run_import
from backend.jobs import enqueue_after_commit
from backend.jobs.progress import progress_of
from backend.pgtext import scrub

STAFF = ("admin", "dispatcher")
JOB_PREFIX = "import-"


class NotClean(Conflict):
    """Only a dry run without errors is applied (docs/imports.md)."""

    kind = "import_invalid"


class AlreadyStarted(Conflict):
    kind = "import_started"


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise Invalid(
            f"unknown entity {name!r}; one of {', '.join(ENTITIES)}",
            errors={"entity": [f"one of {', '.join(ENTITIES)}"]},
        ) from None


def read_limited(stream: Any) -> bytes:
    """The upload's bytes, refused (413) past ``IMPORT_MAX_BYTES`` without reading it all."""
    limit = settings().IMPORT_MAX_BYTES
    data: bytes = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"the file is over {limit} bytes; split it into smaller files")
    if not data:
        raise Invalid("the file is empty", errors={"file": ["empty file"]})
    return data


def dry_run(actor: User, entity_name: str, filename: str, data: bytes) -> ImportBatch:
    """Check every row of ``data``; the import record with its errors (status ``invalid``) or,
    when clean, with its rows stored for apply (status ``ready``). Writes nothing else."""
    ensure_role(actor, STAFF)
    actor_id = actor.id
    spec = entity(entity_name)
    fmt = reading.detect(data)
    # Reading a workbook of 100,000 rows takes seconds: no transaction waits on it
    # (docs/transactions-and-slow-io.md); the look-ups and the record are a short one after.
    release_read(expire=False)
    checked = validate.check(
        spec,
        reading.rows(data, fmt),
        writing.known_refs,
        settings().IMPORT_MAX_ROWS,
        engineers.conflicts,
    )
    if checked.total == 0 and not checked.error_count:
        checked.error(2, None, "the file has a header but no rows")
    batch_id = uuid.uuid4()
    key = None
    if not checked.error_count:
        key = f"imports/{batch_id}/rows.csv"
        rowstore.put(key, checked.rows)
    return added(
        ImportBatch(
            id=batch_id,
            entity=spec.name,
            filename=scrub(filename or f"upload.{fmt}")[:255],
            format=fmt,
            status="invalid" if checked.error_count else "ready",
            rows_total=checked.total,
            error_count=checked.error_count,
            errors=scrub(checked.errors),  # a header cell may hold what PostgreSQL cannot
            storage_key=key,
            actor_id=actor_id,
        )
    )


def get_import(import_id: uuid.UUID, *, lock: bool = False) -> ImportBatch:
    """The import; ``lock``: its row locked until commit, so two applies of it cannot both
    see it ready."""
    if not lock:
        return get_or_404(ImportBatch, import_id, label="import")
    batch = db.session.get(ImportBatch, import_id, with_for_update=True, populate_existing=True)
    if batch is None:
        raise NotFound(f"import {import_id} not found")
    return batch


def imports_query() -> Select[ImportBatch]:
    return select(ImportBatch).order_by(ImportBatch.created_at.desc(), ImportBatch.id)


def start_apply(actor: User, batch: ImportBatch) -> ImportBatch:
    """Queue the apply job (after this request commits). Only a clean dry run may be applied;
    a failed apply may be started again (what it wrote is found by key and left alone)."""
    ensure_role(actor, STAFF)
    if batch.status == "invalid":
        raise NotClean(
            f"the dry run found {batch.error_count} errors: fix the file and upload it again"
        )
    if batch.status in ("applying", "applied"):
        raise AlreadyStarted(f"this import is already {batch.status}")
    batch.status = "applying"
    batch.failure = None
    batch.job_id = enqueue_after_commit(
        run_import,
        str(batch.id),
        job_id=f"{JOB_PREFIX}{uuid.uuid4()}",
        timeout=max(1, settings().IMPORT_TIMEOUT_S),
        queue="low",
    )
    db.session.flush()
    return batch


def present(batch: ImportBatch) -> dict[str, Any]:
    """The import as the API shows it, with the apply job's progress while it runs."""
    return {
        "id": batch.id,
        "entity": batch.entity,
        "filename": batch.filename,
        "format": batch.format,
        "status": batch.status,
        "rows_total": batch.rows_total,
        "error_count": batch.error_count,
        "errors": batch.errors,
        "result": batch.result,
        "failure": batch.failure,
        "progress": _progress(batch),
        "created_at": batch.created_at,
        "updated_at": batch.updated_at,
    }


def _progress(batch: ImportBatch) -> dict[str, Any] | None:
    client = redis_holder.client
    if batch.job_id is None or client is None:
        return None
    try:
        return progress_of(Job.fetch(batch.job_id, connection=client))
    except (NoSuchJobError, RedisError):
        return None
