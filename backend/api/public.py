"""Public (no login) endpoints: QR fault intake, tracking and rating, JSON and HTML.

``blp`` is the JSON API under ``/api/v1/public``; ``pages`` serves the customer's pages
(``/r/<qr_token>`` report form, ``/t/<tracking_token>`` tracking) that work without any
JavaScript: plain form POSTs, redirect-after-post, autoescaped Jinja templates. When the PWA
build (``mobile_pwa/dist/customer.html``) exists, ``/r/`` and ``/t/`` serve it instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from flask import Response, make_response, redirect, render_template, request
from flask import url_for as flask_url_for
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from backend.assets.models import Asset
from backend.config import settings
from backend.errors import DomainError, NotFound
from backend.public import operations as ops
from backend.public.limits import apply_body_limit, rating_limits, read_limits, report_limits
from backend.public.schemas import (
    AssetPublicOut,
    RatingIn,
    RatingOut,
    ReportIn,
    ReportOut,
    TrackingOut,
)
from backend.workorders.models import Ticket

TEMPLATES = Path(__file__).resolve().parent.parent / "public" / "templates"
PWA_PAGE = Path(__file__).resolve().parents[2] / "mobile_pwa" / "dist" / "customer.html"

blp = Blueprint(
    "public",
    __name__,
    url_prefix="/api/v1/public",
    description="Anonymous QR fault intake and tracking. Rate limited per IP and per QR label "
    "(429 with Retry-After); bodies over 16 KiB are refused (413).",
)
pages = Blueprint(
    "public_pages",
    __name__,
    url_prefix="",
    template_folder=str(TEMPLATES),
    description="Customer-facing HTML pages (QR report form, tracking).",
)
blueprints = [blp, pages]
blp.before_request(apply_body_limit)
pages.before_request(apply_body_limit)


def _err(code: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    decorator: Callable[[Callable[..., Any]], Callable[..., Any]] = blp.alt_response(
        code, response=HTTPStatus(code).name
    )
    return decorator


def _page_err(code: int, description: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    decorator: Callable[[Callable[..., Any]], Callable[..., Any]] = pages.alt_response(
        code, description=description, content_type="text/html", schema={"type": "string"}
    )
    return decorator


# The limiter's refusal on a page is the HTML error page (``_page_http_error``).
TOO_MANY = "Too many requests from this address: an HTML page; see Retry-After."


def _report_settings() -> dict[str, Any]:
    cfg = settings()
    return {
        "priority": cfg.PUBLIC_REPORT_PRIORITY,
        "sla_policy": cfg.SLA_POLICY,
        "dedupe_window": timedelta(seconds=cfg.PUBLIC_REPORT_DEDUPE_S),
    }


def _tracking_url(token: str) -> str:
    return f"{settings().PUBLIC_BASE_URL}/t/{token}"


# --- JSON API -------------------------------------------------------------------------------


@blp.route("/assets/<string:qr_token>")
@blp.doc(security=[])
@read_limits
@blp.response(200, AssetPublicOut)
@_err(404)
@_err(429)
def public_asset(qr_token: str) -> dict[str, str]:
    """Name of the equipment and its site, shown on the report form (nothing else)."""
    return ops.asset_summary(ops.find_asset(qr_token))


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
    result = ops.submit_report(qr_token=qr_token, **data, **_report_settings())
    body = _report_body(result.ticket)
    return body, 201 if result.created else 200


def _report_body(ticket: Ticket) -> dict[str, str]:
    token = ticket.tracking_token
    assert token is not None  # every publicly reported ticket gets one (create_ticket)
    return {
        "ticket_number": ticket.number,
        "tracking_token": token,
        "tracking_url": _tracking_url(token),
    }


@blp.route("/tracking/<string:tracking_token>")
@blp.doc(security=[])
@read_limits
@blp.response(200, TrackingOut)
@_err(404)
@_err(429)
def public_tracking(tracking_token: str) -> dict[str, Any]:
    """Status of a reported fault: number, status, last change and ETA only."""
    return ops.tracking_view(ops.find_by_tracking(tracking_token))


@blp.route("/tracking/<string:tracking_token>/rating", methods=["POST"])
@blp.doc(security=[])
@rating_limits
@blp.arguments(RatingIn)
@blp.response(201, RatingOut)
@_err(404)
@_err(409)
@_err(413)
@_err(422)
@_err(429)
def public_rating(data: dict[str, Any], tracking_token: str) -> dict[str, object]:
    """Rate the service once the work is completed; only once (409 otherwise)."""
    ticket = ops.rate(tracking_token, score=data["score"], comment=data.get("comment"))
    return {"ticket_number": ticket.number, "score": ticket.rating, "rated_at": ticket.rated_at}


# --- HTML pages -----------------------------------------------------------------------------


def _html(template: str, status: int = 200, **context: Any) -> Response:
    response = make_response(render_template(f"public/{template}", **context), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _pwa_page() -> Response | None:
    page = Path(settings().PUBLIC_PWA_PAGE or PWA_PAGE)
    if not page.is_file():
        return None
    response = make_response(page.read_bytes())
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _not_found_page() -> Response:
    return _html("not_found.html", 404)


@pages.route("/r/<string:qr_token>")
@pages.doc(security=[])
@read_limits
@pages.response(200, description="The fault report form.", content_type="text/html")
@_page_err(404, "Unknown QR code: a friendly page.")
@_page_err(429, TOO_MANY)
def report_page(qr_token: str) -> ResponseReturnValue:
    """The page a customer's phone opens after scanning an equipment label."""
    try:
        asset = ops.find_asset(qr_token)
    except NotFound:
        return _not_found_page()
    pwa = _pwa_page()
    if pwa is not None:
        return pwa
    return _html(
        "report.html",
        summary=ops.asset_summary(asset),
        qr_token=qr_token,
        values={"client_report_id": str(uuid.uuid4())},
        errors={},
    )


@pages.route("/r/<string:qr_token>", methods=["POST"])
@pages.doc(security=[])
@report_limits
@pages.response(303, description="Report stored; redirects to the tracking page.")
@_page_err(404, "Unknown QR code.")
@_page_err(413, "The form is too large.")
@_page_err(422, "The form is shown again with what to fix.")
@_page_err(429, "Too many reports; try again later.")
def report_form_post(qr_token: str) -> ResponseReturnValue:
    """No-JavaScript form submission; the same operation as the JSON endpoint."""
    try:
        asset = ops.find_asset(qr_token)
    except NotFound:
        return _not_found_page()
    form = request.form.to_dict()
    try:
        data = ReportIn().load(form)
        result = ops.submit_report(qr_token=qr_token, **data, **_report_settings())
    except ValidationError as exc:
        return _form_again(asset, qr_token, form, exc.messages)
    except DomainError as exc:
        if exc.status != 422:
            raise
        return _form_again(asset, qr_token, form, exc.errors or {"form": [exc.message]})
    token = result.ticket.tracking_token
    target = flask_url_for("public_pages.tracking_page", tracking_token=token)
    return redirect(f"{target}?new=1", 303)


def _form_again(asset: Asset, qr_token: str, form: dict[str, str], errors: Any) -> Response:
    return _html(
        "report.html",
        422,
        summary=ops.asset_summary(asset),
        qr_token=qr_token,
        values=form,
        errors=errors if isinstance(errors, dict) else {"form": [str(errors)]},
    )


@pages.route("/t/<string:tracking_token>")
@pages.doc(security=[])
@read_limits
@pages.response(200, description="The tracking page.", content_type="text/html")
@_page_err(404, "Unknown tracking code.")
@_page_err(429, TOO_MANY)
def tracking_page(tracking_token: str) -> ResponseReturnValue:
    """Where a customer follows their report (and rates the service once it is done)."""
    try:
        ticket = ops.find_by_tracking(tracking_token)
    except NotFound:
        return _not_found_page()
    pwa = _pwa_page()
    if pwa is not None:
        return pwa
    return _html(
        "tracking.html",
        view=ops.tracking_view(ticket),
        tracking_token=tracking_token,
        is_new=request.args.get("new") == "1",
        can_rate=ops.can_rate(ticket),
        rated=ticket.rating is not None,
        message=None,
    )


@pages.route("/t/<string:tracking_token>/rating", methods=["POST"])
@pages.doc(security=[])
@rating_limits
@pages.response(303, description="Rating stored; back to the tracking page.")
@_page_err(404, "Unknown tracking code.")
@_page_err(409, "Not completed yet, or already rated.")
@_page_err(422, "Score missing or out of range.")
@_page_err(429, TOO_MANY)
def rating_form_post(tracking_token: str) -> ResponseReturnValue:
    try:
        # Look the code up first: an unknown code is the 404 page whatever the form holds.
        ops.find_by_tracking(tracking_token)
        data = RatingIn().load({**request.form.to_dict(), "score": _int(request.form.get("score"))})
        ops.rate(tracking_token, score=data["score"], comment=data.get("comment"))
    except NotFound:
        return _not_found_page()
    except (ValidationError, DomainError) as exc:
        ticket = ops.find_by_tracking(tracking_token)
        message = exc.message if isinstance(exc, DomainError) else "choose a score from 1 to 5"
        status = exc.status if isinstance(exc, DomainError) else 422
        return _html(
            "tracking.html",
            status,
            view=ops.tracking_view(ticket),
            tracking_token=tracking_token,
            is_new=False,
            can_rate=ops.can_rate(ticket),
            rated=ticket.rating is not None,
            message=message,
        )
    return redirect(flask_url_for("public_pages.tracking_page", tracking_token=tracking_token), 303)


def _int(value: str | None) -> int | str | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return value


@pages.errorhandler(HTTPException)
def _page_http_error(exc: HTTPException) -> ResponseReturnValue:
    """429/413 and friends on a page get a page, not JSON (Retry-After is kept: the limiter
    adds its headers after this)."""
    code = exc.code or 500
    return _html("error.html", code, code=code, phrase=HTTPStatus(code).phrase)
