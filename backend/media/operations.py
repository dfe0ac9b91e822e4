"""Photo rules shared by REST uploads, the public report page and sync ``photo.register``.

Plain values in (the acting ``User``, ids, bytes, a ``MediaSettings``), ``flush()`` only,
DomainError out. A photo's identity is its client-made UUID plus the sha256 of its bytes:
the same id with the same bytes is a no-op however often it arrives (phones retry blindly),
the same id with other bytes is refused with 409, because photos are immutable evidence.

The original is checked (Pillow) and written to storage before the transaction that records
it takes any lock: the client must not be told "uploaded" for bytes that are not durable, and
a transaction holding a row lock holds back every engineer's sync pull (the horizon is
cluster-wide) for as long as it lasts. If that short transaction then fails, the file is an
orphan under a key derived from the photo id and the bytes' hash: no row points at it, the
retry of the same upload writes the same key, and an id nobody retries leaves one unreachable
file per failed upload (bounded by the upload limits); it costs storage, never correctness.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import User
from backend.db import db, release_read, utcnow
from backend.errors import Conflict, Invalid, NotAllowed, NotFound, TooLarge, UnsupportedMedia
from backend.jobs import enqueue_after_commit
from backend.media.models import VARIANTS, Photo
from backend.media.processing import CONTENT_TYPES, ImageInfo, inspect
from backend.media.storage import MediaSettings, storage_for
from backend.workorders.evidence import ticket_for_evidence
from backend.workorders.models import Ticket
from backend.workorders.operations import can_view

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


# A rendition job not done this long after upload is presumed lost (Redis restarted between
# commit and enqueue): the next identical re-upload queues it again.
STALE_PROCESSING = timedelta(minutes=2)


def original_key(photo_id: uuid.UUID, content_type: str, sha256: str) -> str:
    """Keyed by id *and* hash: two racing uploads of different bytes under one id can never
    overwrite the winner's file before the database refuses the loser."""
    return f"photos/{photo_id}/original-{sha256[:16]}.{_EXT.get(content_type, 'bin')}"


def rendition_key(photo_id: uuid.UUID, name: str) -> str:
    return f"photos/{photo_id}/{name}.jpg"


def normalise_sha256(value: str) -> str:
    sha = value.strip().lower()
    if not _SHA256.match(sha):
        raise Invalid(
            "sha256 must be 64 hexadecimal characters (the SHA-256 of the file's bytes)",
            errors={"sha256": ["not a SHA-256 hex digest"]},
        )
    return sha


def _get(photo_id: uuid.UUID, *, lock: bool = False) -> Photo | None:
    stmt = select(Photo).where(Photo.id == photo_id)
    if lock:
        stmt = stmt.with_for_update()
    return db.session.scalars(stmt).first()


def _check_same(photo: Photo, ticket_id: uuid.UUID, sha256: str, origin: str) -> None:
    if photo.ticket_id != ticket_id or photo.origin != origin:
        raise Conflict(
            f"photo id {photo.id} is already used by another photo; generate a new id",
            errors={"id": ["already used"]},
        )
    if photo.sha256 != sha256:
        raise Conflict(
            f"photo {photo.id} is registered with sha256 {photo.sha256}, but these bytes hash "
            f"to {sha256}; photos are immutable, so send the registered file or use a new id",
            registered_sha256=photo.sha256,
            received_sha256=sha256,
        )


def _add(photo: Photo) -> Photo:
    """Insert, resolving a concurrent insert of the same client id to the stored row."""
    try:
        with db.session.begin_nested():
            db.session.add(photo)
            db.session.flush()
    except IntegrityError:
        stored = _get(photo.id, lock=True)
        if stored is None:
            raise
        _check_same(stored, photo.ticket_id, photo.sha256, photo.origin)
        return stored
    return photo


def register_photo(
    *,
    actor: User,
    ticket_id: uuid.UUID,
    photo_id: uuid.UUID,
    sha256: str,
    content_type: str,
    size: int,
    settings: MediaSettings,
    via: str = "sync",
) -> tuple[Photo, bool]:
    """Announce a photo the phone will upload later (status ``pending``). Returns
    ``(photo, created)``; registering the same id and hash again changes nothing."""
    sha = normalise_sha256(sha256)
    if content_type not in CONTENT_TYPES:
        raise UnsupportedMedia(
            f"content_type {content_type!r} is not accepted; use {', '.join(CONTENT_TYPES)}",
            errors={"content_type": ["unsupported"]},
        )
    if size <= 0:
        raise Invalid("size must be a positive number of bytes", errors={"size": ["not > 0"]})
    if size > settings.max_bytes:
        raise TooLarge(
            f"the photo is {size} bytes; the limit is {settings.max_bytes} bytes",
            errors={"size": ["too large"]},
        )
    existing = _get(photo_id, lock=True)
    if existing is not None:
        _check_same(existing, ticket_id, sha, "staff")
        return existing, False
    ticket_for_evidence(ticket_id, actor)
    photo = Photo(
        id=photo_id,
        ticket_id=ticket_id,
        uploaded_by_id=actor.id,
        origin="staff",
        status="pending",
        processing="waiting",
        sha256=sha,
        content_type=content_type,
        size=size,
        registered_via=via,
        renditions={},
    )
    stored = _add(photo)
    return stored, stored is photo


@dataclass(frozen=True)
class Prepared:
    """An upload checked and stored before any row is locked. ``info``/``key`` are None when
    the photo was already uploaded with these bytes (nothing to decode or store)."""

    digest: str
    size: int
    info: ImageInfo | None = None
    key: str | None = None


def _prepare(
    photo_id: uuid.UUID,
    data: bytes,
    declared_sha: str | None,
    *,
    ticket_id: uuid.UUID,
    origin: str,
    existing: Photo | None,
    settings: MediaSettings,
    max_pixels: int,
) -> Prepared:
    """Size and hash checks, the Pillow checks and the storage put: all before the
    transaction that records the photo takes its locks, because that transaction holds the
    cluster-wide sync horizon for as long as it lasts. The original's key is derived from
    the photo id and the bytes' hash, so if that transaction then fails the file is an
    orphan nobody references, and a retry of the same upload writes the same key."""
    if len(data) > settings.max_bytes:
        raise TooLarge(
            f"the file is {len(data)} bytes; the limit is {settings.max_bytes} bytes "
            f"({settings.max_bytes / 2**20:g} MiB)",
            errors={"file": ["too large"]},
        )
    digest = hashlib.sha256(data).hexdigest()
    if declared_sha is not None and normalise_sha256(declared_sha) != digest:
        raise Invalid(
            f"the sha256 you sent ({declared_sha.lower()}) does not match the bytes received "
            f"({digest}); the upload was damaged on the way, send it again",
            errors={"sha256": ["does not match the file"]},
        )
    if existing is not None:
        _check_same(existing, ticket_id, digest, origin)
        if existing.is_uploaded:
            return Prepared(digest, len(data))
    release_read()
    info = inspect(data, max_pixels=max_pixels, decode_budget=settings.decode_budget)
    key = original_key(photo_id, info.content_type, digest)
    storage_for(settings).put(key, data, info.content_type)
    return Prepared(digest, len(data), info, key)


def _may_deliver(existing: Photo | None, ticket_id: uuid.UUID, actor: User) -> Ticket:
    if existing is not None and existing.uploaded_by_id == actor.id:
        # The registrant may always deliver what they registered, even after a reassignment.
        ticket = db.session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"ticket {ticket_id} not found")
        return ticket
    return ticket_for_evidence(ticket_id, actor)


def upload_photo(
    *,
    actor: User,
    ticket_id: uuid.UUID,
    photo_id: uuid.UUID,
    data: bytes,
    sha256: str | None,
    settings: MediaSettings,
) -> tuple[Photo, bool]:
    """Store the bytes of a photo taken by staff or an engineer on ``ticket_id``: checked
    and stored first (no lock held), then recorded in a short locking transaction."""
    existing = _get(photo_id)
    _may_deliver(existing, ticket_id, actor)
    prepared = _prepare(
        photo_id,
        data,
        sha256,
        ticket_id=ticket_id,
        origin="staff",
        existing=existing,
        settings=settings,
        max_pixels=settings.max_pixels,
    )
    existing = _get(photo_id, lock=True)
    ticket = _may_deliver(existing, ticket_id, actor)
    return _store(ticket, photo_id, prepared, origin="staff", actor=actor, existing=existing)


def ticket_by_tracking_token(token: str, *, lock: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.tracking_token == token)
    if lock:
        stmt = stmt.with_for_update()
    ticket = db.session.scalars(stmt).first() if token else None
    if ticket is None:
        raise NotFound("no report found for this tracking link")
    return ticket


def public_photo_count(ticket_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(Photo.ticket_id == ticket_id, Photo.origin == "public")
    return int(db.session.scalar(stmt) or 0)


def _check_public_slot(ticket: Ticket, existing: Photo | None, settings: MediaSettings) -> None:
    if existing is None:
        count = public_photo_count(ticket.id)
        if count >= settings.public_photos_per_ticket:
            raise Conflict(
                f"a report takes at most {settings.public_photos_per_ticket} photos; "
                f"this one already has {count}",
                limit=settings.public_photos_per_ticket,
            )


def upload_public_photo(
    *,
    tracking_token: str,
    photo_id: uuid.UUID | None,
    data: bytes,
    settings: MediaSettings,
) -> tuple[Photo, bool]:
    """A customer's photo for their own report: same validation (with the lower anonymous
    pixel limit), at most N per ticket. Checked and stored before any lock; then the ticket
    row is locked so two concurrent uploads cannot both take the last slot."""
    photo_id = photo_id or uuid.uuid4()
    ticket = ticket_by_tracking_token(tracking_token)
    existing = _get(photo_id)
    _check_public_slot(ticket, existing, settings)  # early answer; checked again under lock
    prepared = _prepare(
        photo_id,
        data,
        None,
        ticket_id=ticket.id,
        origin="public",
        existing=existing,
        settings=settings,
        max_pixels=settings.public_max_pixels,
    )
    ticket = ticket_by_tracking_token(tracking_token, lock=True)
    existing = _get(photo_id, lock=True)
    _check_public_slot(ticket, existing, settings)
    return _store(ticket, photo_id, prepared, origin="public", actor=None, existing=existing)


def prepare_emailed_photo(photo_id: uuid.UUID, data: bytes, *, settings: MediaSettings) -> Prepared:
    """An image a customer attached to an email (``backend.mail``): the customer page's
    checks (size, sniffed type, the anonymous pixel limit, Pillow's decode) and the storage
    put, before any lock; ``photo_id`` is derived from the message, so the retried delivery
    of a message that failed to record writes the same key."""
    return _prepare(
        photo_id,
        data,
        None,
        ticket_id=uuid.UUID(int=0),  # no row exists yet for this id: nothing to compare
        origin="public",
        existing=None,
        settings=settings,
        max_pixels=settings.public_max_pixels,
    )


def store_emailed_photo(ticket: Ticket, photo_id: uuid.UUID, prepared: Prepared) -> Photo:
    """Record an emailed photo as the customer's (origin ``public``: shown on the tracking
    page like the ones sent from it), registered via ``email``."""
    existing = _get(photo_id, lock=True)
    photo, _ = _store(
        ticket, photo_id, prepared, origin="public", actor=None, existing=existing, via="email"
    )
    return photo


def _store(
    ticket: Ticket,
    photo_id: uuid.UUID,
    prepared: Prepared,
    *,
    origin: str,
    actor: User | None,
    existing: Photo | None,
    via: str = "api",
) -> tuple[Photo, bool]:
    """Record a prepared upload (the short, locking part)."""
    if existing is not None:
        _check_same(existing, ticket.id, prepared.digest, origin)
        if existing.is_uploaded:
            # Idempotent: same id, same bytes, nothing to do (unless its job was lost).
            if existing.processing == "waiting" and (
                existing.uploaded_at is None or utcnow() - existing.uploaded_at > STALE_PROCESSING
            ):
                _enqueue_renditions(existing)
            return existing, False
    if prepared.info is None or prepared.key is None:
        # Uploaded when we looked, gone now (deleted meanwhile): let the client send it again.
        raise Conflict(f"photo {photo_id} changed while it was being uploaded; send it again")
    info = prepared.info
    photo = existing or Photo(
        id=photo_id,
        ticket_id=ticket.id,
        uploaded_by_id=actor.id if actor else None,
        origin=origin,
        sha256=prepared.digest,
        registered_via=via,
    )
    photo.status = "uploaded"
    photo.processing = "waiting"
    photo.processing_error = None
    photo.content_type = info.content_type
    photo.size = prepared.size
    photo.width, photo.height = info.width, info.height
    photo.captured_at, photo.captured_at_raw = info.captured_at, info.captured_at_raw
    photo.uploaded_at = utcnow()
    photo.original_key = prepared.key
    photo.renditions = {}
    stored = photo if existing is not None else _add(photo)
    if stored is not photo:  # lost an insert race to an identical upload
        return stored, False
    db.session.flush()
    _enqueue_renditions(photo)
    return photo, True


def _enqueue_renditions(photo: Photo) -> None:
    from backend.media.tasks import make_photo_renditions

    enqueue_after_commit(make_photo_renditions, str(photo.id))


def photo_for_viewer(photo_id: uuid.UUID, user: User, variant: str) -> Photo:
    """The photo if ``user`` may see it: staff, or the engineer the ticket is assigned to
    (everyone else gets the same 404 as for a missing id). Originals are staff-only."""
    if variant not in VARIANTS:
        raise NotFound(f"unknown variant {variant!r}; use {', '.join(VARIANTS)}")
    photo = db.session.get(Photo, photo_id)
    ticket = db.session.get(Ticket, photo.ticket_id) if photo is not None else None
    if photo is None or ticket is None or not can_view(ticket, user):
        raise NotFound(f"photo {photo_id} not found")
    if variant == "original" and not user.is_staff:
        raise NotAllowed(
            "only dispatchers and admins may download the original photo; "
            "use the display or thumb rendition"
        )
    return photo


def list_photos(ticket_id: uuid.UUID, user: User) -> list[Photo]:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not can_view(ticket, user):
        raise NotFound(f"ticket {ticket_id} not found")
    stmt = select(Photo).where(Photo.ticket_id == ticket_id).order_by(Photo.created_at, Photo.id)
    return list(db.session.scalars(stmt))


def public_photo(tracking_token: str, photo_id: uuid.UUID, variant: str) -> Photo:
    """A customer sees only the photos they sent with their own report, never originals."""
    ticket = ticket_by_tracking_token(tracking_token)
    photo = db.session.get(Photo, photo_id)
    if (
        variant not in ("display", "thumb")
        or photo is None
        or photo.ticket_id != ticket.id
        or photo.origin != "public"
    ):
        raise NotFound(f"photo {photo_id} not found")
    return photo


def list_public_photos(tracking_token: str) -> list[Photo]:
    ticket = ticket_by_tracking_token(tracking_token)
    stmt = (
        select(Photo)
        .where(Photo.ticket_id == ticket.id, Photo.origin == "public")
        .order_by(Photo.created_at, Photo.id)
    )
    return list(db.session.scalars(stmt))


def stored_variant(photo: Photo, variant: str) -> tuple[str, str]:
    """(storage key, content type) of a variant, or 409 saying why it is not there yet."""
    if not photo.is_uploaded:
        raise Conflict(
            f"photo {photo.id} has been registered but its bytes have not been uploaded yet",
            status=photo.status,
        )
    if variant == "original":
        assert photo.original_key is not None
        return photo.original_key, photo.content_type
    rendition = photo.rendition(variant)
    if rendition is None:
        detail = (
            f"could not be processed: {photo.processing_error}"
            if photo.processing == "failed"
            else "is still being processed; retry in a few seconds"
        )
        raise Conflict(
            f"the {variant} rendition of photo {photo.id} {detail}", processing=photo.processing
        )
    return rendition["key"], rendition.get("content_type", "image/jpeg")
