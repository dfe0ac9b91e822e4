"""The email sender job: one rq job per ``OutboundEmail`` row.

Idempotent like the push sender: it claims a ``pending`` row (``sending``, committed in a
short transaction of its own), talks SMTP with no transaction open (no lock held while a mail
server answers slowly), then records the outcome in another short transaction. A second run
of the same job finds the row ``sent`` (or freshly claimed) and does nothing, so a retried
job never sends a message that already went out. A worker that died between the server's
answer and the record leaves a ``sending`` claim; after ``CLAIM_STALE`` a later run sends
again, with the same Message-ID, so the copy is recognisable: at least once, never silently
lost.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from rq.job import get_current_job
from sqlalchemy import and_, or_, update

from backend.db import db, utcnow
from backend.jobs import job
from backend.mail.models import OutboundEmail
from backend.mail.outbound import SEND_TIMEOUT_S, thread_id
from backend.mail.settings import mail_settings
from backend.mail.smtp import Outgoing, build, send

CLAIM_STALE = timedelta(seconds=2 * SEND_TIMEOUT_S)


class TransientEmailError(Exception):
    """The SMTP server could not take the message now; rq retries the job with backoff."""


def _attempt() -> tuple[int, bool]:
    """(this attempt's number, whether rq will retry after a failure)."""
    current = get_current_job()
    if current is None or current.retries_left is None:
        return 1, False
    total = len(current.retry_intervals or []) or 0
    return max(1, total - current.retries_left + 1), current.retries_left > 0


def _claim(email_id: uuid.UUID, attempt: int) -> Outgoing | None:
    stale = utcnow() - CLAIM_STALE
    row = db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.id == email_id,
            or_(
                OutboundEmail.status == "pending",
                and_(OutboundEmail.status == "sending", OutboundEmail.claimed_at < stale),
            ),
        )
        .values(status="sending", claimed_at=utcnow(), attempts=attempt)
        .returning(
            OutboundEmail.to_addr,
            OutboundEmail.subject,
            OutboundEmail.body_text,
            OutboundEmail.body_html,
            OutboundEmail.message_id,
            OutboundEmail.ticket_id,
            OutboundEmail.language,
        )
    ).first()
    db.session.commit()
    if row is None:
        return None
    to_addr, subject, text, html, mid, ticket_id, language = row
    domain = mid.rpartition("@")[2].rstrip(">")
    return Outgoing(
        to_addr=to_addr,
        subject=subject,
        text=text,
        html=html,
        message_id=mid,
        references=thread_id(ticket_id, domain) if ticket_id is not None else None,
        language=language,
    )


def _record(email_id: uuid.UUID, **values: object) -> None:
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id, OutboundEmail.status == "sending")
        .values(**values)
    )


@job(queue="default", timeout=SEND_TIMEOUT_S, retry=(30, 300, 1800))
def send_email(email_id: str) -> str:
    """Claim (commit), send with no transaction open, record the result (commit)."""
    eid = uuid.UUID(email_id)
    cfg = mail_settings()
    if not cfg.enabled:
        return "disabled"  # SMTP was switched off since: the row stays pending
    attempt, will_retry = _attempt()
    item = _claim(eid, attempt)
    if item is None:
        return "skipped"
    result = send(build(item, cfg, date=utcnow()), cfg)  # no transaction open here
    if result.ok:
        _record(eid, status="sent", sent_at=utcnow(), last_error=None)
        return "sent"
    if result.transient and will_retry:
        _record(eid, status="pending", last_error=result.error)
        db.session.commit()
        raise TransientEmailError(result.error or "transient SMTP error")
    _record(eid, status="failed", last_error=result.error)
    return "failed"
