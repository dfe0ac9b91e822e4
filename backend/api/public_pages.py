"""The customer page at ``/r/<qr_token>`` (report a fault) and ``/t/<tracking_token>`` (follow
it, rate the service), and the plain form posts of its no-JS content: redirect-after-post, the
form shown again with what to fix. The page itself is ``backend.public.pages.customer_page``;
the form posts call the same operations as the JSON API (``api/public.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from backend.api.schemas_common import HTML
from backend.assets.models import Asset
from backend.errors import DomainError, NotFound
from backend.public import booking
from backend.public import operations as ops
from backend.public.limits import (
    apply_body_limit,
    booking_limits,
    rating_limits,
    read_limits,
    report_limits,
)
from backend.public.pages import (
    TEMPLATES,
    browser_language,
    customer_page,
    error_page,
    not_found_page,
)
from backend.public.schemas import BookingIn, RatingIn, ReportIn
from backend.public.settings import report_settings
from backend.workorders.models import Ticket

blp = Blueprint(
    "public_pages",
    __name__,
    url_prefix="",
    template_folder=str(TEMPLATES),
    description="Customer-facing HTML pages (QR report form, tracking).",
)
blp.before_request(apply_body_limit)

# The limiter's refusal on a page is the HTML error page (``_page_http_error``).
TOO_MANY = "Too many requests from this address: an HTML page; see Retry-After."


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _page_err(code: int, description: str) -> Decorator:
    decorator: Decorator = blp.alt_response(
        code, description=description, content_type="text/html", schema={"type": "string"}
    )
    return decorator


def _page(
    rule: str,
    limits: Decorator,
    status: int,
    description: str,
    errors: dict[int, str],
    *,
    methods: list[str] | None = None,
    schema: Any = None,
    **response: Any,
) -> Decorator:
    """A customer page or form post: no login (``security=[]``), rate limited by ``limits``
    before the form is read, answering ``status`` (``description``) or an HTML error page
    (``errors``: code and description)."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        for code, why in reversed(errors.items()):
            fn = _page_err(code, why)(fn)
        view: Any = limits(blp.response(status, schema, description=description, **response)(fn))
        options = {"methods": methods} if methods else {}
        routed: Callable[..., Any] = blp.route(rule, **options)(blp.doc(security=[])(view))
        return routed

    return deco


def _read_page(rule: str, description: str, *, not_found: str) -> Decorator:
    """A page a customer opens: under the read limits, HTML, or the friendly 404 page for an
    unknown code (``not_found``) or the 429 page."""
    errors = {404: not_found, 429: TOO_MANY}
    return _page(rule, read_limits, 200, description, errors, schema=HTML, content_type="text/html")


def _report(
    asset: Asset, qr_token: str, values: dict[str, str], errors: Any, status: int = 200
) -> Response:
    return customer_page(
        "report.html",
        "Report a fault",
        status,
        summary=ops.asset_summary(asset),
        qr_token=qr_token,
        values=values,
        errors=errors if isinstance(errors, dict) else {"form": [str(errors)]},
    )


def _tracking(
    ticket: Ticket,
    tracking_token: str,
    *,
    status: int = 200,
    is_new: bool = False,
    message: str | None = None,
) -> Response:
    view = ops.tracking_view(ticket)
    return customer_page(
        "tracking.html",
        f"Report {view['ticket_number']}",
        status,
        view=view,
        tracking_token=tracking_token,
        is_new=is_new,
        can_rate=ops.can_rate(ticket),
        rated=ticket.rating is not None,
        message=message,
        **booking.page_context(ticket, can_book=view["can_book"]),
    )


@_read_page(
    "/r/<string:qr_token>", "The fault report form.", not_found="Unknown QR code: a friendly page."
)
def report_page(qr_token: str) -> ResponseReturnValue:
    """The page a customer's phone opens after scanning an equipment label."""
    asset = ops.find_asset(qr_token)
    return _report(asset, qr_token, {"client_report_id": str(uuid.uuid4())}, {})


@_page(
    "/r/<string:qr_token>",
    report_limits,
    303,
    "Report stored; redirects to the tracking page.",
    {
        404: "Unknown QR code.",
        413: "The form is too large.",
        422: "The form is shown again with what to fix.",
        429: "Too many reports; try again later.",
    },
    methods=["POST"],
)
def report_form_post(qr_token: str) -> ResponseReturnValue:
    """No-JavaScript form submission; the same operation as the JSON endpoint."""
    asset = ops.find_asset(qr_token)
    form = request.form.to_dict()
    try:
        data = ReportIn().load(form)
        data.setdefault("contact_language", browser_language())
        result = ops.submit_report(qr_token=qr_token, **data, **report_settings())
    except ValidationError as exc:
        return _report(asset, qr_token, form, exc.messages, 422)
    except DomainError as exc:
        if exc.status != 422:
            raise
        return _report(asset, qr_token, form, exc.errors or {"form": [exc.message]}, 422)
    token = result.ticket.tracking_token
    target = url_for("public_pages.tracking_page", tracking_token=token)
    return redirect(f"{target}?new=1", 303)


@_read_page("/t/<string:tracking_token>", "The tracking page.", not_found="Unknown tracking code.")
def tracking_page(tracking_token: str) -> ResponseReturnValue:
    """Where a customer follows their report (and rates the service once it is done)."""
    ticket = ops.find_by_tracking(tracking_token)
    return _tracking(
        ticket,
        tracking_token,
        is_new=request.args.get("new") == "1",
        message="Thank you: your appointment is booked."
        if request.args.get("booked") == "1"
        else None,
    )


@_page(
    "/t/<string:tracking_token>/rating",
    rating_limits,
    303,
    "Rating stored; back to the tracking page.",
    {
        404: "Unknown tracking code.",
        409: "Not completed yet, or already rated.",
        422: "Score missing or out of range.",
        429: TOO_MANY,
    },
    methods=["POST"],
)
def rating_form_post(tracking_token: str) -> ResponseReturnValue:
    # Look the code up first: an unknown code is the 404 page whatever the form holds.
    ticket = ops.find_by_tracking(tracking_token)
    try:
        data = RatingIn().load({**request.form.to_dict(), "score": _int(request.form.get("score"))})
        ops.rate(tracking_token, score=data["score"], comment=data.get("comment"))
    except (ValidationError, DomainError) as exc:
        message = exc.message if isinstance(exc, DomainError) else "choose a score from 1 to 5"
        status = exc.status if isinstance(exc, DomainError) else 422
        return _tracking(ticket, tracking_token, status=status, message=message)
    return redirect(url_for("public_pages.tracking_page", tracking_token=tracking_token), 303)


@_page(
    "/t/<string:tracking_token>/booking",
    booking_limits,
    303,
    "Window booked; back to the tracking page.",
    {
        404: "Unknown tracking code.",
        409: "The window was just taken, or the report cannot be (re)booked now.",
        413: "The form is too large.",
        422: "No window chosen, or not an offered one.",
        429: TOO_MANY,
    },
    methods=["POST"],
)
def booking_form_post(tracking_token: str) -> ResponseReturnValue:
    """No-JavaScript booking: the same operation as the JSON endpoint."""
    ticket = ops.find_by_tracking(tracking_token)
    try:
        data = BookingIn().load({"start": request.form.get("start")})
        booking.book(tracking_token, data["start"])
    except (ValidationError, DomainError) as exc:
        message = exc.message if isinstance(exc, DomainError) else "choose one of the times"
        status = exc.status if isinstance(exc, DomainError) else 422
        if isinstance(exc, DomainError) and exc.status not in (409, 422):
            raise
        return _tracking(ticket, tracking_token, status=status, message=message)
    target = url_for("public_pages.tracking_page", tracking_token=tracking_token)
    return redirect(f"{target}?booked=1", 303)


def _int(value: str | None) -> int | str | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return value


@blp.errorhandler(NotFound)
def _unknown_code(exc: NotFound) -> Response:
    """An unknown QR or tracking code, on any of these pages: the friendly 404 page."""
    return not_found_page()


@blp.errorhandler(HTTPException)
def _page_http_error(exc: HTTPException) -> Response:
    """429/413 and friends on a page get a page, not JSON (Retry-After is kept: the limiter
    adds its headers after this)."""
    return error_page(exc.code or 500)
