"""``POST /api/v1/inbound/email``: raw MIME messages as mail services deliver them (an inbound
route / webhook of the provider, or a local MTA piping to it). Authenticated by a shared secret
(``X-Fieldops-Inbound-Secret``, compared in constant time) before a byte of the body is read;
the body is capped (``FIELDOPS_INBOUND_EMAIL_MAX_BYTES``) and rate limited per client address.
What a message becomes: ``backend.mail.inbound`` and docs/email.md."""

from __future__ import annotations

import hmac
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint

from backend.api.contract import ErrorSchema
from backend.config import settings
from backend.errors import TooLarge, UnsupportedMedia
from backend.extensions import client_ip, limiter
from backend.mail import inbound
from backend.mail.parse import parse
from backend.mail.schemas import InboundEmailOut
from backend.mail.settings import mail_settings
from backend.media.storage import MediaSettings
from backend.public.settings import report_settings

SECRET_HEADER = "X-Fieldops-Inbound-Secret"
CONTENT_TYPES = ("message/rfc822",)

blp = Blueprint(
    "inbound_email",
    __name__,
    url_prefix="/api/v1/inbound",
    description="Inbound email from a mail service (shared secret; docs/email.md).",
)


def _check(state: Any) -> None:
    """A bad email setting (EMAIL_FROM without a domain, an unknown time zone) stops the start
    naming its variable, instead of failing the first request that would send an email."""
    mail_settings(state.app.config)


blp.record_once(_check)


def _limit() -> str:
    return str(settings().INBOUND_EMAIL_LIMIT)


def _refusal() -> tuple[int, str] | None:
    """401 without the secret, 403 with a wrong one (or none configured): before parsing."""
    configured = settings().INBOUND_EMAIL_SECRET
    given = request.headers.get(SECRET_HEADER)
    if not given:
        return 401, f"send the shared secret in {SECRET_HEADER}"
    if not configured or not hmac.compare_digest(given.encode(), configured.encode()):
        return 403, "wrong inbound email secret (or inbound email is not configured)"
    return None


def _body() -> bytes:
    limit = settings().INBOUND_EMAIL_MAX_BYTES
    if request.mimetype not in CONTENT_TYPES:
        raise UnsupportedMedia(
            f"send the raw message as {CONTENT_TYPES[0]}, not {request.mimetype or 'nothing'}"
        )
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(
            f"the message is {request.content_length} bytes; the limit is {limit}",
            limit_bytes=limit,
        )
    request.max_content_length = limit
    return request.get_data(cache=False)


_REQUEST_BODY = {
    "required": True,
    "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
}


@blp.route("/email", methods=["POST"])
@blp.doc(
    summary="Receive one email (raw MIME) from a mail service",
    # Not a user JWT: the mail service sends the shared secret (checked in the view).
    security=[],
    requestBody=_REQUEST_BODY,
    parameters=[
        {
            "in": "header",
            "name": SECRET_HEADER,
            "required": True,
            "schema": {"type": "string", "maxLength": 500},
            "description": "The shared secret (FIELDOPS_INBOUND_EMAIL_SECRET).",
        }
    ],
)
@blp.response(200, InboundEmailOut, description="Recorded (or recorded before: duplicate)")
@blp.alt_response(401, schema=ErrorSchema, description="no secret sent")
@blp.alt_response(403, schema=ErrorSchema, description="a wrong secret, or none configured")
@blp.alt_response(413, schema=ErrorSchema, description="the message is over the size limit")
@blp.alt_response(415, schema=ErrorSchema, description="the body is not message/rfc822")
@blp.alt_response(422, schema=ErrorSchema, description="not a readable email message")
@blp.alt_response(429, schema=ErrorSchema, description="too many messages; see Retry-After")
@limiter.limit(_limit, key_func=client_ip)
def receive_email() -> ResponseReturnValue:
    """A new message opens a ticket, a reply becomes a customer-visible note, images become
    photos; a message delivered again (same Message-ID) changes nothing and is answered with
    the first outcome. An unreadable message is a 422 and nothing is recorded."""
    from backend.api import error_response

    refused = _refusal()
    if refused is not None:
        return error_response(*refused)
    raw = _body()
    inb = parse(raw, max_photos=settings().INBOUND_EMAIL_MAX_PHOTOS)
    report = report_settings()
    result = inbound.receive(
        inb,
        raw,
        priority=report["priority"],
        sla_policy=report["sla_policy"],
        media=MediaSettings.from_config(),
    )
    return inbound.answer(result)
