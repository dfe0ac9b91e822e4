"""The rendition job, run by rq after the upload's transaction has committed.

It reads the original from storage, makes ``display`` and ``thumb`` with ``processing`` and
records them on the row. Re-running it is harmless (a ready photo is skipped), so rq retries
are safe. A photo Pillow cannot decode is marked ``failed`` with the reason (the bytes stay,
the job succeeds); only infrastructure errors (storage or database down) raise, so rq retries.

The image work happens before the row is locked: the transaction that writes the result is a
few milliseconds long and never holds the sync horizon back while Pillow runs.
"""

from __future__ import annotations

import uuid

from PIL import Image

from backend.db import db
from backend.errors import DomainError
from backend.jobs import job
from backend.media.models import Photo
from backend.media.operations import rendition_key
from backend.media.processing import make_renditions
from backend.media.storage import MediaSettings, storage_for


@job(queue="default", timeout=300, retry=(5, 30, 120))
def make_photo_renditions(photo_id: str) -> str:
    pid = uuid.UUID(photo_id)
    photo = db.session.get(Photo, pid)
    if photo is None or not photo.is_uploaded or photo.original_key is None:
        return "skipped"
    if photo.processing == "ready":
        return "ready"
    settings = MediaSettings.from_config()
    storage = storage_for(settings)
    data = storage.get(photo.original_key)
    db.session.rollback()  # end the read; nothing is held while Pillow works
    try:
        renditions = make_renditions(
            data, max_pixels=settings.max_pixels, decode_budget=settings.decode_budget
        )
    except (DomainError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        photo = db.session.get(Photo, pid, with_for_update=True)
        if photo is not None:
            photo.processing = "failed"
            photo.processing_error = f"{exc.__class__.__name__}: {exc}"[:500]
        return "failed"
    stored = {}
    for name, rendition in renditions.items():
        key = rendition_key(pid, name)
        storage.put(key, rendition.data, rendition.content_type)
        stored[name] = {
            "key": key,
            "width": rendition.width,
            "height": rendition.height,
            "size": len(rendition.data),
            "content_type": rendition.content_type,
        }
    photo = db.session.get(Photo, pid, with_for_update=True, populate_existing=True)
    if photo is None or photo.processing == "ready":
        return "ready"
    photo.renditions = stored
    photo.processing = "ready"
    photo.processing_error = None
    return "ready"
