"""The ``Photo`` row: one image attached to a ticket, identified by a client-made UUID.

Phones create the id and the sha256 offline (``photo.register``) and upload the bytes later,
so a row can exist before its bytes do (``status = pending``). Photos are immutable: the
sha256 fixed at registration or first upload is the identity every later upload is checked
against. Rendition state is kept apart from ``status`` because ``status`` is what the phone
cares about (are my bytes safely on the server?), while renditions are the server's business.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, SyncTracked, Timestamps, UUIDPk, Versioned

# Bytes: ``pending`` (registered, nothing received yet) -> ``uploaded`` (original stored).
STATUSES = ("pending", "uploaded")
# Renditions: ``waiting`` (job queued or bytes missing) -> ``ready`` | ``failed``.
PROCESSING = ("waiting", "ready", "failed")
# Who sent it: staff/engineers through the API or sync, or the customer's public report.
ORIGINS = ("staff", "public")
RENDITIONS = ("display", "thumb")
VARIANTS = ("original", *RENDITIONS)


class Photo(UUIDPk, Timestamps, Versioned, SyncTracked, Base):
    __tablename__ = "photos"
    __sync_entity__ = "photos"
    __table_args__ = (
        Index("ix_photos_ticket_origin", "ticket_id", "origin"),
        CheckConstraint("status IN ('pending','uploaded')", name="status_known"),
        CheckConstraint("processing IN ('waiting','ready','failed')", name="processing_known"),
        CheckConstraint("origin IN ('staff','public')", name="origin_known"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"), index=True)
    # The user who registered/uploaded it; NULL for a customer's photo.
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    origin: Mapped[str] = mapped_column(String(10), default="staff")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    processing: Mapped[str] = mapped_column(String(10), default="waiting")
    processing_error: Mapped[str | None] = mapped_column(String(500))

    sha256: Mapped[str] = mapped_column(String(64))
    # Declared by the client at registration, replaced by the sniffed type on upload.
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(BigInteger)
    # Upright dimensions of the original (EXIF orientation applied), known after upload.
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # Capture time from EXIF (DateTimeOriginal, with OffsetTimeOriginal when present; a time
    # without offset is taken as UTC) and the raw EXIF text so nothing is guessed silently.
    captured_at: Mapped[datetime | None]
    captured_at_raw: Mapped[str | None] = mapped_column(String(40))
    uploaded_at: Mapped[datetime | None]
    registered_via: Mapped[str] = mapped_column(String(10), default="api")  # api | sync

    original_key: Mapped[str | None] = mapped_column(String(300))
    # {"display": {"key", "width", "height", "size", "content_type"}, "thumb": {...}}
    renditions: Mapped[dict[str, Any]] = mapped_column(default=dict)

    @property
    def is_uploaded(self) -> bool:
        return self.status == "uploaded"

    def rendition(self, name: str) -> dict[str, Any] | None:
        return (self.renditions or {}).get(name)

    @classmethod
    def sync_schema(cls) -> type[Any]:
        """The shape of ``to_sync``, for the document (``backend.sync.wire``)."""
        from backend.media.schemas import PhotoSyncOut

        return PhotoSyncOut

    def to_sync(self) -> dict[str, Any]:
        """What a phone mirrors: no storage keys, rendition URLs instead (API paths that check
        access on every fetch)."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        renditions = {
            name: {
                "url": f"/api/v1/photos/{self.id}/{name}",
                "width": r.get("width"),
                "height": r.get("height"),
                "size": r.get("size"),
            }
            for name, r in (self.renditions or {}).items()
        }
        return {
            "id": str(self.id),
            "ticket_id": str(self.ticket_id),
            "uploaded_by_id": str(self.uploaded_by_id) if self.uploaded_by_id else None,
            "origin": self.origin,
            "status": self.status,
            "processing": self.processing,
            "sha256": self.sha256,
            "content_type": self.content_type,
            "size": self.size,
            "width": self.width,
            "height": self.height,
            "captured_at": iso(self.captured_at),
            "uploaded_at": iso(self.uploaded_at),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "version": self.version,
            "renditions": renditions,
        }

    def __repr__(self) -> str:
        return f"<Photo {self.id} {self.status}/{self.processing}>"
