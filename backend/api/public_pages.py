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
from backend.public import operations as ops
from backend.public.limits import apply_body_limit, rating_limits, read_limits, report_limits
from backend.public.pages import TEMPLATES, customer_page, error_page, not_found_page
from backend.public.schemas import RatingIn, ReportIn
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


def _page_err(code: int, description: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    decorator: Callable[[Callable[..., Any]], Callable[..., Any]] = blp.alt_response(
        code, description=description, content_type="text/html", schema={"type": "string"}
    )
    return decorator


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
    )


@blp.route("/r/<string:qr_token>")
@blp.doc(security=[])
@read_limits
@blp.response(200, HTML, description="The fault report form.", content_type="text/html")
@_page_err(404, "Unknown QR code: a friendly page.")
@_page_err(429, TOO_MANY)
def report_page(qr_token: str) -> ResponseReturnValue:
    """The page a customer's phone opens after scanning an equipment label."""
    asset = ops.find_asset(qr_token)
    return _report(asset, qr_token, {"client_report_id": str(uuid.uuid4())}, {})


@blp.route("/r/<string:qr_token>", methods=["POST"])
@blp.doc(security=[])
@report_limits
@blp.response(303, description="Report stored; redirects to the tracking page.")
@_page_err(404, "Unknown QR code.")
@_page_err(413, "The form is too large.")
@_page_err(422, "The form is shown again with what to fix.")
@_page_err(429, "Too many reports; try again later.")
def report_form_post(qr_token: str) -> ResponseReturnValue:
    """No-JavaScript form submission; the same operation as the JSON endpoint."""
    asset = ops.find_asset(qr_token)
    form = request.form.to_dict()
    try:
        data = ReportIn().load(form)
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


@blp.route("/t/<string:tracking_token>")
@blp.doc(security=[])
@read_limits
@blp.response(200, HTML, description="The tracking page.", content_type="text/html")
@_page_err(404, "Unknown tracking code.")
@_page_err(429, TOO_MANY)
def tracking_page(tracking_token: str) -> ResponseReturnValue:
    """Where a customer follows their report (and rates the service once it is done)."""
    ticket = ops.find_by_tracking(tracking_token)
    return _tracking(ticket, tracking_token, is_new=request.args.get("new") == "1")


@blp.route("/t/<string:tracking_token>/rating", methods=["POST"])
@blp.doc(security=[])
@rating_limits
@blp.response(303, description="Rating stored; back to the tracking page.")
@_page_err(404, "Unknown tracking code.")
@_page_err(409, "Not completed yet, or already rated.")
@_page_err(422, "Score missing or out of range.")
@_page_err(429, TOO_MANY)
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
