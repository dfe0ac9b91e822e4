"""One row per accepted public fault report: the idempotency record for replayed forms.

A customer on a flaky phone connection double-taps "send" or the browser re-posts the form;
without this record each replay would open another ticket for the same fault. The row keys a
report by the client's ``client_report_id`` (unique per asset) and by a fingerprint of
description + contact, so both an explicit retry and an accidental re-submit find the ticket
that was already opened.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UUIDPk, utcnow


class PublicReport(UUIDPk, Base):
    __tablename__ = "public_reports"
    __table_args__ = (
        UniqueConstraint("asset_id", "client_report_id", name="uq_public_reports_asset_client"),
        Index("ix_public_reports_asset_fp_created", "asset_id", "fingerprint", "created_at"),
    )

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id"))
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"), index=True)
    client_report_id: Mapped[str | None] = mapped_column(String(64))
    # sha256 of the normalised description and contact fields (hex).
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
