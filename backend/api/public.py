"""Public (no login) JSON API under ``/api/v1/public``: QR fault intake, tracking and rating.

The customer page that calls it (and its no-JS form) is served by ``api/public_pages.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask_smorest import Blueprint

from backend.api.schemas_common import operation
from backend.booking.settings import check as check_booking
from backend.public import booking
from backend.public import operations as ops
from backend.public.limits import (
    apply_body_limit,
    booking_limits,
    rating_limits,
    read_limits,
    report_limits,
)
from backend.public.pages import browser_language
from backend.public.schemas import (
    AssetPublicOut,
    BookingIn,
    BookingOut,
    RatingIn,
    RatingOut,
    ReportIn,
    ReportOut,
    SlotsOut,
    TrackingOut,
)
from backend.public.settings import check, report_settings, tracking_url
from backend.workorders.models import Ticket

blp = Blueprint(
    "public",
    __name__,
    url_prefix="/api/v1/public",
    description="Anonymous QR fault intake and tracking. Rate limited per IP and per QR label "
    "(429 with Retry-After); bodies over 16 KiB are refused (413).",
)
blp.before_request(apply_body_limit)
blp.record_once(check)
blp.record_once(check_booking)


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _err(code: int) -> Decorator:
    decorator: Decorator = blp.alt_response(code, response=HTTPStatus(code).name)
    return decorator


def _customer(
    rule: str,
    limits: Decorator,
    status: int,
    schema: Any,
    *,
    errors: tuple[int, ...],
    body: Any = None,
    methods: list[str] | None = None,
) -> Decorator:
    """A customer endpoint: no login (``security=[]``), rate limited by ``limits`` before its
    body is parsed, answering ``status`` with ``schema`` or one of the standard error answers
    ``errors``."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        for code in reversed(errors):
            fn = _err(code)(fn)
        view: Any = limits(operation(blp, status, schema, body=body)(fn))
        options = {"methods": methods} if methods else {}
        routed: Callable[..., Any] = blp.route(rule, **options)(blp.doc(security=[])(view))
        return routed

    return deco


@_customer("/assets/<string:qr_token>", read_limits, 200, AssetPublicOut, errors=(404, 429))
def public_asset(qr_token: str) -> dict[str, str]:
    """Name of the equipment and its site, shown on the report form (nothing else)."""
    return ops.summary_by_label(qr_token)


@blp.route("/assets/<string:qr_token>/reports", methods=["POST"])
@blp.doc(security=[])
@report_limits
@blp.arguments(ReportIn)
@blp.response(201, ReportOut, description="A ticket was opened.")
@blp.alt_response(200, schema=ReportOut, description="Replay: the ticket opened before.")
@_err(404)
@_err(413)
@_err(422)
@_err(429)
def public_report(data: dict[str, Any], qr_token: str) -> tuple[dict[str, str], int]:
    """Report a fault on the equipment whose label was scanned. Replays (same
    ``client_report_id``, or same description and contact shortly after) return 200 with the
    ticket already opened instead of opening another."""
    data.setdefault("contact_language", browser_language())
    result = ops.submit_report(qr_token=qr_token, **data, **report_settings())
    body = _report_body(result.ticket)
    return body, 201 if result.created else 200


def _report_body(ticket: Ticket) -> dict[str, str]:
    token = ticket.tracking_token
    assert token is not None  # every publicly reported ticket gets one (create_ticket)
    return {
        "ticket_number": ticket.number,
        "tracking_token": token,
        "tracking_url": tracking_url(token),
    }


@_customer("/tracking/<string:tracking_token>", read_limits, 200, TrackingOut, errors=(404, 429))
def public_tracking(tracking_token: str) -> dict[str, Any]:
    """Status of a reported fault: number, status, last change and ETA only."""
    return ops.tracking_view(ops.find_by_tracking(tracking_token))


@_customer(
    "/tracking/<string:tracking_token>/rating",
    rating_limits,
    201,
    RatingOut,
    errors=(404, 409, 413, 422, 429),
    body=RatingIn,
    methods=["POST"],
)
def public_rating(data: dict[str, Any], tracking_token: str) -> dict[str, object]:
    """Rate the service once the work is completed; only once (409 otherwise)."""
    ticket = ops.rate(tracking_token, score=data["score"], comment=data.get("comment"))
    return {"ticket_number": ticket.number, "score": ticket.rating, "rated_at": ticket.rated_at}


@_customer(
    "/tracking/<string:tracking_token>/slots", read_limits, 200, SlotsOut, errors=(404, 409, 429)
)
def public_slots(tracking_token: str) -> dict[str, Any]:
    """Arrival windows the customer may book now: times only, each one an engineer able to
    do the job can keep. 409 (``reason``: ``not_offered``, ``started``, ``too_late``) when
    this report cannot be booked or rebooked."""
    return booking.slots_view(tracking_token)


@_customer(
    "/tracking/<string:tracking_token>/booking",
    booking_limits,
    200,
    BookingOut,
    errors=(404, 409, 413, 422, 429),
    body=BookingIn,
    methods=["POST"],
)
def public_booking(data: dict[str, Any], tracking_token: str) -> dict[str, Any]:
    """Book one of the offered windows (``start``), or move the booking to another. 409 when
    the window was just taken by someone else (``reason: slot_taken``: pick another) or the
    report cannot be (re)booked now; 422 when ``start`` is not an offered slot's start."""
    ticket = booking.book(tracking_token, data["start"])
    return booking.booking_body(ticket)
