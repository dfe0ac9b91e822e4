"""Building a message with the standard library and handing it to an SMTP server.

``send`` opens one connection per message, bounded by ``SMTP_TIMEOUT_S``, and classifies the
outcome: the server took it; it refused it for good (a 5xx: a bad address, a rejected
message); or it could not take it now (a 4xx, a refused or dropped connection, a timeout),
which the sender job retries.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from backend.mail.settings import MailSettings


@dataclass(frozen=True)
class Outgoing:
    to_addr: str
    subject: str
    text: str
    html: str
    message_id: str
    references: str | None
    language: str


@dataclass(frozen=True)
class SendResult:
    ok: bool
    transient: bool = False
    error: str | None = None


def build(item: Outgoing, cfg: MailSettings, *, date: object) -> EmailMessage:
    """multipart/alternative: plain text first, HTML second (clients show the last they can)."""
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = item.to_addr
    msg["Subject"] = item.subject
    msg["Message-ID"] = item.message_id
    msg["Date"] = format_datetime(date)  # type: ignore[arg-type]
    msg["Auto-Submitted"] = "auto-generated"
    if item.references:
        msg["References"] = item.references
    msg.set_content(item.text)
    msg.add_alternative(item.html, subtype="html")
    # After the body: set_content clears every Content-* header set before it.
    msg["Content-Language"] = item.language
    return msg


def send(msg: EmailMessage, cfg: MailSettings) -> SendResult:
    """One SMTP transaction; never raises for the server's or the network's failures."""
    assert cfg.host is not None
    try:
        if cfg.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout_s, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s)
        with client:
            if cfg.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if cfg.username:
                client.login(cfg.username, cfg.password or "")
            refused = client.send_message(msg)
        if refused:
            # Only one recipient per message: a refusal here is the whole message's.
            return SendResult(False, error=f"recipient refused: {refused}")
        return SendResult(True)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        transient = all(400 <= code < 500 for code in codes)
        return SendResult(False, transient=transient, error=f"recipients refused: {codes}")
    except smtplib.SMTPResponseException as exc:
        return SendResult(
            False, transient=400 <= exc.smtp_code < 500, error=f"{exc.smtp_code} {exc.smtp_error!r}"
        )
    except (smtplib.SMTPException, OSError) as exc:  # refused, dropped, timed out, TLS
        return SendResult(False, transient=True, error=f"{exc.__class__.__name__}: {exc}")
