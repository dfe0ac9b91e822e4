"""Public intake and tracking rules: plain values in, flush only, DomainError out.

Callers are anonymous, so every lookup is by an unguessable token and every answer is built
from an explicit allow-list (``asset_summary``, ``tracking_view``) rather than from the model.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from backend.assets.models import Asset, Site
from backend.booking.availability import refusal
from backend.booking.settings import booking_settings
from backend.db import db, utcnow
from backend.errors import Conflict, Invalid, NotFound
from backend.public.models import PublicReport
from backend.workorders.audit import record_activity
from backend.workorders.models import Ticket
from backend.workorders.operations import create_ticket
from backend.workorders.states import Status

# The work is done: the customer may rate it and read the service report.
FINISHED = frozenset({Status.COMPLETED, Status.CLOSED})
RATEABLE = FINISHED
# The engineer is on the way: only then is an expected arrival news to the customer (after
# arrival, or once the job is done, the last estimate would be a stale promise).
ARRIVAL_PENDING = frozenset({Status.ASSIGNED, Status.ACCEPTED, Status.EN_ROUTE})
TITLE_MAX = 200

# Hook: ``failed(ticket) -> [label, ...]``, the checks the work failed, in words a customer
# may read (registered by ``checklists``, above this package). Only labels: no answers, no
# notes.
failed_checks: list[Callable[[Ticket], list[str]]] = []


@dataclass(frozen=True)
class ReportResult:
    ticket: Ticket
    created: bool  # False: a replay answered with the ticket opened earlier


def _unknown_label() -> NotFound:
    # Same answer for malformed and unknown tokens: nothing to learn by probing.
    return NotFound("this QR code is not known; please call the service number instead")


def find_asset(qr_token: str) -> Asset:
    asset = db.session.scalars(select(Asset).where(Asset.qr_token == qr_token)).first()
    if asset is None:
        raise _unknown_label()
    return asset


def asset_summary(asset: Asset) -> dict[str, str]:
    """The only facts about an asset a stranger holding its label may learn."""
    return _summary(asset.name, asset.site.name)


def summary_by_label(qr_token: str) -> dict[str, str]:
    """``asset_summary`` of the asset labelled ``qr_token``, read as its two names in one
    statement: a scan is the commonest public request, and loading the asset, its site and
    the site's customer as entities (their eager joins) for two strings was most of its CPU."""
    stmt = (
        select(Asset.name, Site.name)
        .join(Site, Site.id == Asset.site_id)
        .where(Asset.qr_token == qr_token)
    )
    row = db.session.execute(stmt).first()
    if row is None:
        raise _unknown_label()
    return _summary(row[0], row[1])


def _summary(asset_name: str, site_name: str) -> dict[str, str]:
    return {"asset_name": asset_name, "site_name": site_name}


def fingerprint(description: str, contact: dict[str, str | None]) -> str:
    """Whitespace- and case-insensitive digest, so a re-typed or re-posted copy matches."""
    parts = [" ".join(description.split()).casefold()]
    for key in ("name", "phone", "email"):
        parts.append(" ".join((contact.get(key) or "").split()).casefold())
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _title(asset: Asset, description: str) -> str:
    first_line = next((ln.strip() for ln in description.splitlines() if ln.strip()), "")
    title = f"{asset.name}: {first_line}" if first_line else f"Fault reported on {asset.name}"
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


def _lock_asset(asset_id: uuid.UUID) -> None:
    """Serialise reports for one asset, so two identical posts racing each other cannot both
    miss the idempotency check and open two tickets. Held until the transaction ends."""
    key = int.from_bytes(hashlib.sha256(b"public-report:" + asset_id.bytes).digest()[:8], "big")
    db.session.execute(select(func.pg_advisory_xact_lock(key - (1 << 63))))


def _replay(
    asset_id: uuid.UUID, client_report_id: str | None, fp: str, since: datetime
) -> Ticket | None:
    """The ticket an earlier post of this report opened: the one with the same
    ``client_report_id`` (any age), else the newest with the same content since ``since``.
    One statement (the commonest public write asked two or three)."""
    match = (PublicReport.fingerprint == fp) & (PublicReport.created_at >= since)
    order: list[Any] = [PublicReport.created_at.desc()]
    if client_report_id:
        same_id = PublicReport.client_report_id == client_report_id
        match = same_id | match
        order.insert(0, case((same_id, 0), else_=1))
    stmt = (
        select(Ticket)
        .join(PublicReport, PublicReport.ticket_id == Ticket.id)
        .where(PublicReport.asset_id == asset_id, match)
        .order_by(*order)
        .limit(1)
    )
    return db.session.scalars(stmt).first()


def submit_report(
    *,
    qr_token: str,
    description: str,
    contact_name: str,
    contact_phone: str | None = None,
    contact_email: str | None = None,
    contact_language: str | None = None,
    client_report_id: str | None = None,
    priority: str,
    sla_policy: dict[str, tuple[float, float]],
    dedupe_window: timedelta,
    now: datetime | None = None,
) -> ReportResult:
    """Open a ticket on the asset's site for a customer's fault report, or return the ticket
    a replay of the same report already opened (same ``client_report_id``, or the same
    description and contact within ``dedupe_window``)."""
    if not description.strip():
        raise Invalid("describe the fault", errors={"description": ["must not be empty"]})
    if not contact_name.strip():
        raise Invalid("tell us your name", errors={"contact_name": ["must not be empty"]})
    now = now or utcnow()
    asset = find_asset(qr_token)
    contact = {"name": contact_name.strip(), "phone": contact_phone, "email": contact_email}
    fp = fingerprint(description, contact)
    _lock_asset(asset.id)
    existing = _replay(asset.id, client_report_id, fp, now - dedupe_window)
    if existing is not None:
        return ReportResult(existing, created=False)
    ticket = create_ticket(
        actor=None,
        title=_title(asset, description),
        priority=priority,
        description=description,
        asset_id=asset.id,
        sla_policy=sla_policy,
        source="public",
        contact={**contact, "language": contact_language},
        now=now,
    )
    db.session.add(
        PublicReport(
            asset_id=asset.id,
            ticket_id=ticket.id,
            client_report_id=client_report_id or None,
            fingerprint=fp,
            created_at=now,
        )
    )
    db.session.flush()
    return ReportResult(ticket, created=True)


def find_by_tracking(tracking_token: str, *, lock: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.tracking_token == tracking_token)
    if lock:
        stmt = stmt.with_for_update()
    ticket = db.session.scalars(stmt).first()
    if ticket is None:
        raise NotFound("no report with this tracking code")
    return ticket


def tracking_view(ticket: Ticket) -> dict[str, Any]:
    """What a customer sees: no engineer, no contact data, no internal notes; the expected
    arrival while the engineer is on the way, the service report once the work is done, and
    the labels of the checklist items the work failed."""
    finished = ticket.status in FINISHED and ticket.tracking_token is not None
    return {
        "ticket_number": ticket.number,
        "status": ticket.status,
        "updated_at": ticket.updated_at,
        "eta": ticket.eta if ticket.status in ARRIVAL_PENDING else None,
        "report_url": report_path(ticket.tracking_token) if finished else None,
        "can_rate": can_rate(ticket),
        "rated": ticket.rating is not None,
        "failed_checks": [label for failed in failed_checks for label in failed(ticket)],
        # The arrival window, booked by the customer or set by the dispatcher.
        "window_start": ticket.window_start,
        "window_end": ticket.window_end,
        "can_book": refusal(ticket, now=utcnow(), settings=booking_settings()) is None,
    }


def report_path(tracking_token: str | None) -> str:
    """Where the customer's copy of the service report is served (``api/signoff.py``)."""
    return f"/api/v1/public/tracking/{tracking_token}/report.pdf"


def can_rate(ticket: Ticket) -> bool:
    return ticket.status in RATEABLE and ticket.rating is None


def rate(tracking_token: str, *, score: int, comment: str | None = None) -> Ticket:
    """Record the customer's rating: once, and only once the work is completed."""
    if not 1 <= score <= 5:
        raise Invalid("score must be 1 to 5", errors={"score": ["between 1 and 5"]})
    ticket = find_by_tracking(tracking_token, lock=True)
    if ticket.status not in RATEABLE:
        raise Conflict(
            f"report {ticket.number} can be rated once the work is completed; "
            f"it is {ticket.status}",
            current_status=ticket.status,
        )
    if ticket.rating is not None:
        raise Conflict(f"report {ticket.number} has already been rated")
    ticket.rating = score
    ticket.rating_comment = (comment or "").strip() or None
    ticket.rated_at = utcnow()
    record_activity(
        ticket,
        actor=None,
        action="rate",
        via="api",
        data={"score": score},
    )
    db.session.flush()
    return ticket
