"""The apply job: the stored rows of a clean dry run written chunk by chunk (``writing``),
each chunk committed, the progress saved in the rq job's meta for the status endpoint and the
console's progress bar, the outcome written on the import record."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from rq.job import get_current_job

from backend.db import db
from backend.imports import rowstore, writing
from backend.imports.entities import ENTITIES
from backend.imports.models import ImportBatch
from backend.jobs import job
from backend.jobs.progress import Progress

log = logging.getLogger(__name__)


@job(queue="low", retry=())  # timeout: IMPORT_TIMEOUT_S, given at enqueue
def run_import(import_id: str) -> dict[str, Any]:
    batch = db.session.get(ImportBatch, uuid.UUID(import_id))
    if batch is None or batch.status != "applying" or batch.storage_key is None:
        return {"skipped": True}  # deleted, or already finished by an earlier delivery
    progress = Progress(get_current_job())
    progress.set("reading", 0, batch.rows_total)
    try:
        result = _apply(batch, progress)
    except Exception as exc:
        db.session.rollback()
        batch = db.session.get(ImportBatch, uuid.UUID(import_id))
        assert batch is not None
        batch.status = "failed"
        batch.failure = str(getattr(exc, "message", exc))[:2000]
        db.session.commit()
        log.warning("import %s failed: %s", import_id, batch.failure)
        raise
    batch.status = "applied"
    batch.result = result
    progress.set("done", batch.rows_total, batch.rows_total)
    return result


def _apply(batch: ImportBatch, progress: Progress) -> dict[str, int]:
    spec = ENTITIES[batch.entity]
    assert batch.storage_key is not None
    rows = rowstore.get(batch.storage_key)
    totals = {"inserted": 0, "updated": 0, "unchanged": 0}
    done = 0
    progress.set("writing", 0, len(rows))
    for chunk in writing.chunked(rows):
        counts = writing.write_chunk(spec, chunk, batch.actor_id)
        for k, v in counts.items():
            totals[k] += v
        done += len(chunk)
        batch.result = dict(totals)
        db.session.commit()  # a chunk at a time: see backend/imports/writing.py
        progress.set("writing", done, len(rows))
    return totals
