"""Tickets (work orders): create, list, read, edit, transitions, audit trail, notes.

Concurrency rule for PATCH (one rule, both spellings; ``workorders.operations`` owns it in
``expected_version`` and ``update_ticket``, this view only reads the header): the client names
the version it edited, either as ``If-Match: "<version>"`` or as ``version`` in the body. A
stale ``If-Match`` is an HTTP precondition failure (412); a stale body ``version`` is a conflict
(409, the same answer sync push gives). Sending neither is refused (422): blind overwrites of a
dispatcher's edit are exactly the lost update this prevents. Every ticket answer carries
``ETag: "<version>"``.

Engineers only ever see tickets assigned to them: others' tickets answer 404, like a missing id.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from backend import fastdump
from backend.accounts.models import User
from backend.accounts.permissions import current_user, require_login, require_staff
from backend.api.replica_routing import reads_replica
from backend.api.schemas_common import (
    ETAG_HEADER,
    ApiBlueprint,
    etag,
    if_match_version,
    operation,
    paginate,
    paginate_json,
)
from backend.config import settings
from backend.db import get_or_404, utcnow
from backend.dispatch.regions import ensure_skills_exist
from backend.workorders import operations as ops
from backend.workorders.list_json import ticket_page, verify_page
from backend.workorders.models import Note, Ticket, TicketEvent
from backend.workorders.queries import (
    TicketFilters,
    TicketRow,
    events_query,
    notes_query,
    tickets_query,
)
from backend.workorders.schemas import (
    ArrivalWindowIn,
    EventOut,
    NoteIn,
    NoteOut,
    TicketCreateIn,
    TicketOut,
    TicketPatchIn,
    TicketQuery,
    TransitionIn,
)
from backend.workorders.windows import set_arrival_window

blp = ApiBlueprint("tickets", __name__, url_prefix="/api/v1", description="Tickets (work orders)")

IF_MATCH_PARAM = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": 'The version you edited, quoted (`"3"`); or send `version` in the body',
}


def _sla_policy() -> dict[str, tuple[float, float]]:
    return settings().SLA_POLICY


def _answer(ticket: Ticket, status: int = 200) -> tuple[Ticket, int, dict[str, str]]:
    return ticket, status, etag(ticket.version)


@blp.route("/tickets")
class Tickets(MethodView):
    @operation(blp, 201, TicketOut, body=TicketCreateIn, errors=(404,), headers=ETAG_HEADER)
    @require_staff
    def post(self, args: dict[str, Any]) -> tuple[Ticket, int, dict[str, str]]:
        """Create a ticket. Its location comes from ``location``, else the asset's site, else
        the site; ``region_ids`` are the regions containing it (none: ``unrouted``). With
        ``job_type_id`` it keeps that type's current version, whose default priority and
        required skills apply where none are given (an archived type is 422)."""
        ensure_skills_exist(args.get("required_skills", ()))
        ticket = ops.create_ticket(actor=current_user(), sla_policy=_sla_policy(), **args)
        return _answer(ticket, 201)

    @reads_replica
    @operation(blp, 200, TicketOut(many=True), query=TicketQuery, paginate=True)
    @require_login
    def get(self, query: dict[str, Any], pagination_parameters: PaginationParameters) -> Response:
        """Tickets, newest first, filtered by ``status``, ``priority``, ``region_id``,
        ``assignee_id``, ``unrouted``, ``bbox``, and for the drill-down behind a report's
        number ``created_from``/``created_to``, ``unassigned``, ``sla`` and ``reached``.
        Engineers see only their own."""
        now, fraction = utcnow(), settings().SLA_AT_RISK_FRACTION
        stmt = tickets_query(
            current_user(), TicketFilters(**query), now=now, at_risk_fraction=fraction
        )
        page = paginate_json(
            stmt,
            pagination_parameters,
            Ticket.__table__.c.id,
            lambda ids: ticket_page(ids, now, fraction),
        )
        if fastdump.VERIFY:
            rows = paginate(stmt, pagination_parameters, build=TicketRow)
            verify_page(json.loads(page.get_data()), rows, now, fraction)
        return page


@blp.route("/tickets/<uuid:ticket_id>")
class TicketById(MethodView):
    @operation(blp, 200, TicketOut, errors=(404,), headers=ETAG_HEADER)
    @require_login
    def get(self, ticket_id: uuid.UUID) -> tuple[Ticket, int, dict[str, str]]:
        """One ticket (engineers: only their own)."""
        return _answer(ops.get_ticket(ticket_id, for_user=current_user()))

    @blp.doc(parameters=[IF_MATCH_PARAM])
    @operation(blp, 200, TicketOut, body=TicketPatchIn, errors=(404, 409, 412), headers=ETAG_HEADER)
    @require_staff
    def patch(
        self, args: dict[str, Any], ticket_id: uuid.UUID
    ) -> tuple[Ticket, int, dict[str, str]]:
        """Dispatcher edit.

        Name the version you edited: ``If-Match: "<version>"`` (stale: 412) or ``version`` in
        the body (stale: 409, as sync push answers); neither: 422. ``assignee_id`` goes through
        the assign operation (null unassigns; unknown user 404)."""
        user = current_user()
        ticket = ops.get_ticket(ticket_id, for_user=user, lock=True)
        version = ops.expected_version(
            ticket, header=if_match_version(), body=args.pop("version", None)
        )
        fields = (*ops.EDITABLE_FIELDS, "location")
        changes = {k: v for k, v in args.items() if k in fields}
        ops.update_ticket(
            ticket, actor=user, changes=changes, version=version, sla_policy=_sla_policy()
        )
        if "assignee_id" in args and args["assignee_id"] != ticket.assignee_id:
            engineer = (
                get_or_404(User, args["assignee_id"], label="user", field="assignee_id")
                if args["assignee_id"]
                else None
            )
            ops.assign_ticket(ticket, engineer, actor=user, reason=args.get("reason"))
        return _answer(ticket)


@blp.route("/tickets/<uuid:ticket_id>/transitions")
class Transitions(MethodView):
    @operation(blp, 200, TicketOut, body=TransitionIn, errors=(403, 404, 409), headers=ETAG_HEADER)
    @require_login
    def post(
        self, args: dict[str, Any], ticket_id: uuid.UUID
    ) -> tuple[Ticket, int, dict[str, str]]:
        """Take an action. 409 when the current status does not allow it (the body names
        ``current_status`` and ``allowed_actions``); 403 when your role may not; 422 for an
        unknown action."""
        user = current_user()
        ticket = ops.get_ticket(ticket_id, for_user=user, lock=True)
        ops.transition(
            ticket,
            user,
            args["action"],
            reason=args.get("reason"),
            base_version=args.get("version"),
        )
        return _answer(ticket)


@blp.route("/tickets/<uuid:ticket_id>/arrival-window")
class ArrivalWindow(MethodView):
    @operation(blp, 200, TicketOut, body=ArrivalWindowIn, errors=(404, 409), headers=ETAG_HEADER)
    @require_staff
    def put(self, args: dict[str, Any], ticket_id: uuid.UUID) -> tuple[Ticket, int, dict[str, str]]:
        """Offer, move or clear (``start`` and ``end`` null) the arrival window. Audited with
        who and ``reason``; the customer's tracking page shows the new window. 422 (naming
        the field) for one end only, an end before the start, a window already over or longer
        than 7 days; 409 for a finished ticket or a stale ``version``."""
        user = current_user()
        ticket = ops.get_ticket(ticket_id, for_user=user, lock=True)
        set_arrival_window(
            ticket,
            actor=user,
            start=args["start"],
            end=args["end"],
            reason=args.get("reason"),
            version=args.get("version"),
        )
        return _answer(ticket)


@blp.route("/tickets/<uuid:ticket_id>/events")
class Events(MethodView):
    @operation(blp, 200, EventOut(many=True), paginate=True, errors=(404,))
    @require_login
    def get(
        self, ticket_id: uuid.UUID, pagination_parameters: PaginationParameters
    ) -> list[TicketEvent]:
        """The audit trail, oldest first: actor, action, from, to, at, via, reason."""
        ticket = ops.get_ticket(ticket_id, for_user=current_user())
        return paginate(events_query(ticket), pagination_parameters)


@blp.route("/tickets/<uuid:ticket_id>/notes")
class Notes(MethodView):
    @operation(blp, 201, NoteOut, body=NoteIn, errors=(404, 409))
    @require_login
    def post(self, args: dict[str, Any], ticket_id: uuid.UUID) -> Note:
        """Add a note. With a client ``id`` it is idempotent (same id and body: same note)."""
        user = current_user()
        ticket = ops.get_ticket(ticket_id, for_user=user)
        return ops.add_note(
            ticket,
            author=user,
            body=args["body"],
            note_id=args.get("id"),
            customer_visible=args["customer_visible"],
        )

    @operation(blp, 200, NoteOut(many=True), paginate=True, errors=(404,))
    @require_login
    def get(self, ticket_id: uuid.UUID, pagination_parameters: PaginationParameters) -> list[Note]:
        """Notes, oldest first."""
        ticket = ops.get_ticket(ticket_id, for_user=current_user())
        return paginate(notes_query(ticket), pagination_parameters)
