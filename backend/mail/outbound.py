"""Which events send which email, rendered and recorded inside the transaction of the event.

Customer emails follow a ticket with a contact email (a QR report, an emailed fault): received
(created), assigned (with the expected arrival window when dispatch estimated one) and
completed (with the service report link); each carries the public tracking link. Staff emails
stand in for push: a notification whose recipient has no registered device (or when push is
not configured at all) is also emailed to them.

Nothing here does I/O. Each message is a row (``OutboundEmail``) written with its cause and a
job queued after commit (``enqueue_after_commit``: the job outbox), so a rolled-back event
sends nothing and a committed one is sent even if Redis was down at the time. With no
``SMTP_HOST`` configured nothing is recorded at all.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select

from backend.accounts.models import User
from backend.db import db
from backend.jobs import enqueue_after_commit
from backend.mail.models import OutboundEmail
from backend.mail.settings import MailSettings, mail_settings
from backend.mail.templates import Rendered, language_of, render
from backend.notify.models import DeviceToken, Notification
from backend.notify.push import credentials_configured
from backend.public.operations import report_path
from backend.workorders.models import Ticket, TicketEvent
from backend.workorders.states import Status

SEND_TIMEOUT_S = 60
_CUSTOMER = {"en": "customer", "zh-CN": "客户"}


def customer_kind(event: TicketEvent) -> str | None:
    """The customer email an audit event is, if any."""
    if event.action == "create":
        return "received"
    if event.action in ("assign", "reassign"):
        return "assigned"
    if event.to_status == Status.COMPLETED and event.from_status != Status.COMPLETED:
        return "completed"
    return None


def message_id(kind: str, key: str, domain: str) -> str:
    """Derived from the event, never random: the same event always gives the same id."""
    return f"<fieldops.{kind}.{key}@{domain}>"


def thread_id(ticket_id: uuid.UUID, domain: str) -> str:
    """Every email about one ticket names this as its thread root (``References``), so mail
    clients group them and a reply names it back (inbound matching reads it)."""
    return f"<fieldops.ticket.{ticket_id}@{domain}>"


def _fmt(at: datetime, cfg: MailSettings) -> str:
    return at.astimezone(cfg.time_zone).strftime("%Y-%m-%d %H:%M %Z")


def arrival_window(eta: datetime | None, cfg: MailSettings) -> tuple[str, str] | None:
    """The ETA as a window centred on it (``EMAIL_ARRIVAL_WINDOW_MIN`` wide): an estimate to
    the minute would be a promise nobody keeps."""
    if eta is None:
        return None
    half = timedelta(minutes=cfg.arrival_window_min / 2)
    return _fmt(eta - half, cfg), _fmt(eta + half, cfg)


def customer_values(ticket: Ticket, kind: str, lang: str, cfg: MailSettings) -> dict[str, Any]:
    token = ticket.tracking_token
    base = cfg.public_base_url
    return {
        "name": ticket.contact_name or _CUSTOMER[lang],
        "title": ticket.title,
        "number": ticket.number,
        "tracking_url": f"{base}/t/{token}" if token else None,
        "report_url": f"{base}{report_path(token)}" if token and kind == "completed" else None,
        "window": arrival_window(ticket.eta, cfg) if kind == "assigned" else None,
    }


def _record(
    *,
    kind: str,
    mid: str,
    to_addr: str,
    lang: str,
    rendered: Rendered,
    cfg: MailSettings,
    ticket_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> OutboundEmail | None:
    if db.session.scalar(select(exists().where(OutboundEmail.message_id == mid))):
        return None  # this event's email is already recorded
    row = OutboundEmail(
        id=uuid.uuid4(),
        message_id=mid,
        kind=kind,
        ticket_id=ticket_id,
        user_id=user_id,
        to_addr=to_addr,
        language=lang,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        status="pending",
        attempts=0,
    )
    db.session.add(row)
    from backend.mail.tasks import send_email

    enqueue_after_commit(send_email, str(row.id), timeout=SEND_TIMEOUT_S, retry=cfg.retry)
    return row


def on_ticket_event(ticket: Ticket, event: TicketEvent) -> None:
    """``workorders.hooks.on_event``: the customer's status emails."""
    kind = customer_kind(event)
    if kind is None or not ticket.contact_email:
        return
    cfg = mail_settings()
    if not cfg.enabled:
        return
    lang = language_of(ticket.contact_language, cfg.default_language)
    rendered = render(
        kind, lang, customer_values(ticket, kind, lang, cfg), link_prefix=cfg.public_base_url
    )
    _record(
        kind=kind,
        mid=message_id(kind, str(event.id), cfg.domain),
        to_addr=ticket.contact_email,
        lang=lang,
        rendered=rendered,
        cfg=cfg,
        ticket_id=ticket.id,
    )


def _without_push(n: Notification) -> list[User]:
    """The notification's recipients push cannot reach: every one when push is not
    configured, else those with no registered device."""
    stmt = select(User).where(User.is_active.is_(True))
    if n.user_id is not None:
        stmt = stmt.where(User.id == n.user_id)
    else:
        stmt = stmt.where(User.role == n.role)
    if credentials_configured():
        stmt = stmt.where(~exists().where(DeviceToken.user_id == User.id))
    return list(db.session.scalars(stmt.order_by(User.id)))


def on_notification(n: Notification) -> None:
    """``notify.operations.on_notification``: staff email where push is not available."""
    cfg = mail_settings()
    if not cfg.enabled:
        return
    ticket = db.session.get(Ticket, n.ticket_id) if n.ticket_id is not None else None
    lang = language_of(cfg.default_language)
    values = {"title": n.title, "body": n.body, "number": ticket.number if ticket else None}
    rendered = render("staff", lang, values, link_prefix=cfg.public_base_url)
    for user in _without_push(n):
        _record(
            kind="staff",
            mid=message_id("notification", f"{n.id}.{user.id}", cfg.domain),
            to_addr=user.email,
            lang=lang,
            rendered=rendered,
            cfg=cfg,
            ticket_id=n.ticket_id,
            user_id=user.id,
        )


def on_setup_link(user: User, url: str, expires_at: datetime) -> bool:
    """``accounts.setup_tokens.on_issued``: the invitation with the set-password link, in the
    user's language. Each link is its own message (a resent invitation is a new one)."""
    cfg = mail_settings()
    if not cfg.enabled:
        return False
    lang = language_of(user.language, cfg.default_language)
    values = {"name": user.name, "email": user.email, "url": url, "expires": _fmt(expires_at, cfg)}
    rendered = render("invite", lang, values, link_prefix=cfg.public_base_url)
    row = _record(
        kind="invite",
        mid=message_id("invite", uuid.uuid4().hex, cfg.domain),
        to_addr=user.email,
        lang=lang,
        rendered=rendered,
        cfg=cfg,
        user_id=user.id,
    )
    return row is not None


def email_user(
    user: User, *, subject: str, body: str, rule: str, key: str, ticket: Ticket | None = None
) -> OutboundEmail | None:
    """An automation rule's email to a user (``rule``: its name, said in the email), recorded
    now and sent after commit; ``key`` makes it once per rule run. None when email is not
    configured, the user has no address, or this run's email is already recorded."""
    cfg = mail_settings()
    if not cfg.enabled or not user.email:
        return None
    lang = language_of(user.language, cfg.default_language)
    values = {
        "title": subject,
        "body": body,
        "number": ticket.number if ticket else None,
        "rule": rule,
    }
    return _record(
        kind="rule",
        mid=message_id("rule", key, cfg.domain),
        to_addr=user.email,
        lang=lang,
        rendered=render("rule", lang, values, link_prefix=cfg.public_base_url),
        cfg=cfg,
        ticket_id=ticket.id if ticket else None,
        user_id=user.id,
    )
