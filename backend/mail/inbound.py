"""What an inbound message becomes: a note on the ticket it answers, a new ticket for the
sender's site or asset, or (neither found) a message kept for a dispatcher.

Matching rules, first that applies (docs/email.md):

1. **Reply.** A ticket named by the message's ``In-Reply-To``/``References`` (the thread id
   or a Message-ID of an email we sent about it) or by its number in the subject
   (``T-000123``), *and* the sender is that ticket's contact or its customer's address:
   a customer-visible note on that ticket.
2. **New, by QR code.** An asset's QR token in the text (the label's ``/r/<token>`` link, or
   the token itself): a ticket on that asset.
3. **New, by address.** The site of the sender's latest ticket (they reported before), else
   the one site of the customer whose address the sender is: a ticket on that site.
4. Otherwise **unmatched**: the message (bytes included) is kept and dispatchers notified.

An automatic message (auto-reply, bounce, bulk: ``parse.is_automatic``) is kept as unmatched
without telling anyone: it is nobody's report, and answering it could start a mail loop.

The order of work keeps slow I/O out of locks: parse, look up the dedupe key and the match
(reads), end the read, decode and store the photos (Pillow, storage), then one short
transaction (an advisory lock on the message key, the dedupe check again, the writes).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from backend.assets.models import Asset, Customer, Site
from backend.db import db, release_read, utcnow
from backend.errors import DomainError
from backend.mail.models import InboundEmail, OutboundEmail
from backend.mail.parse import Attachment, Inbound, clean_subject, strip_quoted
from backend.media.operations import Prepared, prepare_emailed_photo, store_emailed_photo
from backend.media.storage import MediaSettings
from backend.notify.operations import notify
from backend.workorders.models import Ticket
from backend.workorders.operations import add_note, create_ticket

_THREAD = re.compile(r"^<fieldops\.ticket\.([0-9a-f-]{36})@", re.IGNORECASE)
_NUMBER = re.compile(r"\bT-(\d{6,12})\b")
_QR_LINK = re.compile(r"/r/([A-Za-z0-9_-]{16,64})")
_QR_BARE = re.compile(r"(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{24})(?![A-Za-z0-9_-])")
_NAMESPACE = uuid.UUID("5b0c3c8e-4f8e-4d57-9d8e-6f1c2b7a9e10")
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000


@dataclass(frozen=True)
class Match:
    outcome: str  # created | note | unmatched
    ticket_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None
    site_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Received:
    email: InboundEmail
    duplicate: bool
    ticket: Ticket | None


def _find(key: str) -> InboundEmail | None:
    return db.session.scalars(select(InboundEmail).where(InboundEmail.message_key == key)).first()


def _may_reply(ticket: Ticket, sender: str) -> bool:
    """Only the ticket's contact, or its customer's own address, adds to it by email."""
    if (ticket.contact_email or "").strip().lower() == sender:
        return True
    if ticket.site_id is None:
        return False
    stmt = (
        select(Customer.email)
        .join(Site, Site.customer_id == Customer.id)
        .where(Site.id == ticket.site_id)
    )
    return (db.session.scalar(stmt) or "").strip().lower() == sender


def _referenced_tickets(inb: Inbound) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    for ref in inb.references:
        found = _THREAD.match(ref)
        if found:
            ids.append(uuid.UUID(found.group(1)))
    if inb.references:
        stmt = select(OutboundEmail.ticket_id).where(
            OutboundEmail.message_id.in_(inb.references), OutboundEmail.ticket_id.is_not(None)
        )
        ids.extend(t for t in db.session.scalars(stmt) if t is not None)
    seqs = [int(n) for n in _NUMBER.findall(inb.subject)][:5]
    if seqs:
        ids.extend(db.session.scalars(select(Ticket.id).where(Ticket.seq.in_(seqs))))
    return list(dict.fromkeys(ids))


def _qr_asset(text: str) -> Asset | None:
    tokens = list(dict.fromkeys(_QR_LINK.findall(text) + _QR_BARE.findall(text)))[:20]
    if not tokens:
        return None
    return db.session.scalars(select(Asset).where(Asset.qr_token.in_(tokens))).first()


def _site_by_address(sender: str) -> uuid.UUID | None:
    latest = db.session.scalar(
        select(Ticket.site_id)
        .where(func.lower(Ticket.contact_email) == sender, Ticket.site_id.is_not(None))
        .order_by(Ticket.created_at.desc())
        .limit(1)
    )
    if latest is not None:
        return latest
    sites = list(
        db.session.scalars(
            select(Site.id)
            .join(Customer, Customer.id == Site.customer_id)
            .where(func.lower(Customer.email) == sender)
            .limit(2)
        )
    )
    return sites[0] if len(sites) == 1 else None


def match(inb: Inbound) -> Match:
    """The rules above, in order (reads only)."""
    if inb.automatic:
        return Match("unmatched")
    for ticket_id in _referenced_tickets(inb):
        ticket = db.session.get(Ticket, ticket_id)
        if ticket is not None and _may_reply(ticket, inb.sender):
            return Match("note", ticket_id=ticket.id)
    asset = _qr_asset(f"{inb.subject}\n{inb.text}")
    if asset is not None:
        return Match("created", asset_id=asset.id)
    site_id = _site_by_address(inb.sender)
    if site_id is not None:
        return Match("created", site_id=site_id)
    return Match("unmatched")


def photo_id(key: str, index: int) -> uuid.UUID:
    """The same attachment of the same message always gets the same photo id."""
    return uuid.uuid5(_NAMESPACE, f"{key}#{index}")


def _prepare_photos(
    inb: Inbound, settings: MediaSettings
) -> tuple[list[tuple[uuid.UUID, Prepared]], list[dict[str, str]]]:
    """Check and store each image before the transaction (no lock held meanwhile); an image
    the photo rules refuse is reported, the rest of the message still counts."""
    prepared: list[tuple[uuid.UUID, Prepared]] = []
    skipped: list[dict[str, str]] = []
    for index, item in enumerate(inb.attachments):
        pid = photo_id(inb.key, index)
        try:
            prepared.append((pid, prepare_emailed_photo(pid, item.data, settings=settings)))
        except DomainError as exc:
            skipped.append({"filename": _label(item), "reason": exc.message})
    for other in inb.others:
        skipped.append({"filename": other, "reason": "not a photo (JPEG, PNG or WebP)"})
    return prepared, skipped


def _label(item: Attachment) -> str:
    return item.filename or item.content_type


def _lock(key: str) -> None:
    """Serialise two deliveries of one message (a mail service retrying while the first is
    still being recorded): the second waits, then finds the first's row."""
    digest = hashlib.sha256(b"inbound-email:" + key.encode()).digest()[:8]
    db.session.execute(
        select(func.pg_advisory_xact_lock(int.from_bytes(digest, "big") - (1 << 63)))
    )


def _title(inb: Inbound) -> str:
    subject = clean_subject(inb.subject)
    title = subject or f"Email from {inb.sender}"
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


def _note_body(inb: Inbound, photos: int) -> str:
    text = strip_quoted(inb.text)
    if text:
        return text[:DESCRIPTION_MAX]
    return f"(email from {inb.sender} with {photos} photo(s) and no text)"


def receive(
    inb: Inbound,
    raw: bytes,
    *,
    priority: str,
    sla_policy: dict[str, tuple[float, float]],
    media: MediaSettings,
    now: datetime | None = None,
) -> Received:
    """Record one inbound message (flush only); a message already recorded (same key) is
    answered with the first outcome and changes nothing."""
    earlier = _find(inb.key)
    if earlier is not None:
        return Received(earlier, True, _ticket(earlier))
    found = match(inb)
    release_read()
    prepared, skipped = _prepare_photos(inb, media) if found.outcome != "unmatched" else ([], [])
    if found.outcome == "unmatched":
        skipped = [
            {"filename": _label(a), "reason": "not kept: no ticket"} for a in inb.attachments
        ]
    _lock(inb.key)
    earlier = _find(inb.key)
    if earlier is not None:
        return Received(earlier, True, _ticket(earlier))
    now = now or utcnow()
    ticket: Ticket | None = None
    note_id = None
    if found.outcome == "note" and found.ticket_id is not None:
        ticket = db.session.get(Ticket, found.ticket_id)
    elif found.outcome == "created":
        ticket = create_ticket(
            actor=None,
            title=_title(inb),
            priority=priority,
            description=inb.text[:DESCRIPTION_MAX],
            asset_id=found.asset_id,
            site_id=found.site_id if found.asset_id is None else None,
            sla_policy=sla_policy,
            source="email",
            contact={
                "name": inb.sender_name or None,
                "email": inb.sender,
                "phone": None,
                "language": inb.language,
            },
            now=now,
        )
    photo_ids = (
        [str(store_emailed_photo(ticket, pid, p).id) for pid, p in prepared] if ticket else []
    )
    if found.outcome == "note" and ticket is not None:
        note = add_note(
            ticket,
            author=None,
            body=_note_body(inb, len(photo_ids)),
            note_id=uuid.uuid5(_NAMESPACE, inb.key),
            customer_visible=True,
        )
        note_id = note.id
    row = InboundEmail(
        id=uuid.uuid4(),
        message_key=inb.key,
        sender=inb.sender,
        subject=inb.subject,
        outcome=found.outcome,
        ticket_id=ticket.id if ticket else None,
        note_id=note_id,
        photo_ids=photo_ids,
        skipped=skipped,
        raw=raw if found.outcome == "unmatched" else None,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    if found.outcome == "unmatched" and not inb.automatic:
        notify(
            kind="email_unmatched",
            title=f"Email from {inb.sender} matched no ticket or site",
            body=inb.subject,
            role="dispatcher",
            data={"inbound_email_id": str(row.id)},
        )
    return Received(row, False, ticket)


def _ticket(row: InboundEmail) -> Ticket | None:
    return db.session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None


def answer(result: Received) -> dict[str, Any]:
    row = result.email
    return {
        "id": row.id,
        "outcome": row.outcome,
        "duplicate": result.duplicate,
        "ticket_number": result.ticket.number if result.ticket else None,
        "photos": len(row.photo_ids),
        "skipped": row.skipped,
    }
