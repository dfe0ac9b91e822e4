"""Sign-off and service report API: the customer's signature, the completion checklist, the
signature image, and the service report PDF (staff, the assigned engineer, and the customer
through the tracking link once the job is completed)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from backend.accounts.permissions import current_user, require_login
from backend.api import keep_changes_on_error
from backend.api.replica_routing import reads_replica
from backend.api.schemas_common import BINARY, ApiBlueprint, operation
from backend.config import settings
from backend.db import get_or_404
from backend.errors import Conflict, NotFound
from backend.public.limits import read_limits
from backend.public.operations import FINISHED, find_by_tracking
from backend.signoff import operations as ops
from backend.signoff import storage
from backend.signoff.models import Signoff
from backend.signoff.report import service_report
from backend.signoff.rules import parse_rules
from backend.signoff.schemas import ChecklistOut, SignoffIn, SignoffResultOut
from backend.workorders.operations import get_ticket

blp = ApiBlueprint(
    "signoff",
    __name__,
    url_prefix="/api/v1",
    description="Customer sign-off (write-once signature), completion checklist, and the "
    "service report PDF.",
)
public = Blueprint(
    "signoff_public",
    __name__,
    url_prefix="/api/v1/public",
    description="The customer's service report, through the tracking link.",
)
blueprints = [blp, public]


@blp.record_once
def _check_rules(state: Any) -> None:
    """Validate ``COMPLETION_RULES`` when the app is built: a typo in the deployment's JSON
    fails at start-up with a clear message instead of on an engineer's first completion."""
    parse_rules(settings(state.app.config).COMPLETION_RULES)


def signoff_view(s: Signoff) -> dict[str, Any]:
    return {
        **{c: getattr(s, c) for c in Signoff.__table__.columns.keys()},  # noqa: SIM118
        "signature_url": f"/api/v1/signoffs/{s.id}/signature.png",
    }


@blp.route("/tickets/<uuid:ticket_id>/signoff", methods=["POST"])
@operation(blp, 201, SignoffResultOut, body=SignoffIn, errors=(403, 404, 409))
@blp.alt_response(415, description="signature PNG is not a PNG image")
@require_login
def submit(data: dict[str, Any], ticket_id: uuid.UUID) -> dict[str, object]:
    """Record the customer's signature (strokes rendered to PNG, or a PNG) with signer name,
    time and location, then complete the job if the completion rules are met and the job is
    in progress. Write-once: the same signature again answers the existing record; a second,
    different signature answers 409 and is kept as a conflict record (``conflict_id``)."""
    user = current_user()
    get_ticket(ticket_id, for_user=user)  # 404 before any rendering
    prepared = ops.prepare_signature(data["signature"])  # no lock held while this runs
    ticket = get_ticket(ticket_id, for_user=user, lock=True)
    result = ops.submit_body(ticket, user, data, prepared=prepared)
    if result.status == "conflict":
        keep_changes_on_error()  # the second signature stays, as a conflict
        assert result.accepted is not None
        raise Conflict(
            f"ticket {ticket.number} is already signed by {result.accepted.signer_name}; "
            "this different signature was kept as a conflict for the dispatcher",
            signoff_id=str(result.signoff.id),
            accepted_signoff_id=str(result.accepted.id),
            conflict_id=str(result.conflict_id) if result.conflict_id else None,
        )
    return {
        "signoff": signoff_view(result.signoff),
        "result": result.status,
        "completed": result.completed,
        "missing": result.missing,
        "ticket_status": ticket.status,
        "ticket_version": ticket.version,
    }


@blp.route("/tickets/<uuid:ticket_id>/signoff", methods=["GET"])
@operation(blp, 200, ChecklistOut, errors=(404,))
@require_login
def checklist(ticket_id: uuid.UUID) -> dict[str, Any]:
    """The completion checklist (what the rules require, what is there, what is missing)
    and the sign-offs recorded, conflicts included."""
    ticket = get_ticket(ticket_id, for_user=current_user())
    return {
        **ops.checklist(ticket),
        "signoffs": [signoff_view(s) for s in ops.list_signoffs(ticket.id)],
    }


@blp.route("/signoffs/<uuid:signoff_id>/signature.png", methods=["GET"])
@operation(
    blp, 200, BINARY, errors=(404,), content_type="image/png", description="the rendered signature"
)
@require_login
def signature_png(signoff_id: uuid.UUID) -> Response:
    signoff = get_or_404(Signoff, signoff_id, label="sign-off")
    get_ticket(signoff.ticket_id, for_user=current_user())
    data = storage.get(signoff.signature_key)
    if data is None:
        raise NotFound("the signature image is missing from storage")
    return Response(data, mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})


def _pdf(pdf: bytes, etag: str, number: str) -> Response:
    response = Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="service-report-{number}.pdf"',
            "Cache-Control": "private, no-cache",
        },
    )
    response.set_etag(etag)
    response.make_conditional(request)  # 304 when If-None-Match matches
    return response


@blp.route("/tickets/<uuid:ticket_id>/report.pdf", methods=["GET"])
@reads_replica
@operation(
    blp,
    200,
    BINARY,
    errors=(404,),
    content_type="application/pdf",
    description="the service report",
)
@require_login
def report(ticket_id: uuid.UUID) -> Response:
    """The service report for staff and the assigned engineer (others: 404). Cached per
    state of the ticket; ``ETag`` allows conditional requests."""
    ticket = get_ticket(ticket_id, for_user=current_user())
    return _pdf(*service_report(ticket, "staff"), ticket.number)


@public.route("/tracking/<string:tracking_token>/report.pdf", methods=["GET"])
@public.doc(security=[])
@public.response(200, BINARY, content_type="application/pdf", description="the service report")
@public.alt_response(404, response="NOT_FOUND")
@public.alt_response(409, response="CONFLICT", description="the job is not completed yet")
@public.alt_response(429, response="TOO_MANY_REQUESTS")
@read_limits
def public_report(tracking_token: str) -> Response:
    """The customer's copy of the service report, available once the job is completed."""
    ticket = find_by_tracking(tracking_token)
    if ticket.status not in FINISHED:
        raise Conflict(
            "the service report is available once the job is completed",
            current_status=ticket.status,
        )
    return _pdf(*service_report(ticket, "customer"), ticket.number)
