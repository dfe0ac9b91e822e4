"""A ticket's checklist: its definition (the job type version it keeps), the answers and what
they leave missing or failed; answering an item (docs/planned-work.md)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from backend.accounts.permissions import current_user, require_login
from backend.api.schemas_common import ApiBlueprint, operation
from backend.checklists import operations as ops
from backend.checklists.models import ChecklistAnswer
from backend.checklists.schemas import AnswerIn, AnswerOut, TicketChecklistOut
from backend.workorders.evidence import ticket_for_evidence
from backend.workorders.operations import get_ticket

blp = ApiBlueprint(
    "checklists", __name__, url_prefix="/api/v1", description="Checklists of planned work"
)


@blp.route("/tickets/<uuid:ticket_id>/checklist")
class TicketChecklist(MethodView):
    @operation(blp, 200, TicketChecklistOut, errors=(404, 422))
    @require_login
    def get(self, ticket_id: uuid.UUID) -> dict[str, Any]:
        """The checklist of the job type version the ticket was created with, its current
        answers, the items the answers show, the required ones still missing and the failed
        ones (422 for a ticket created without a job type). Engineers: their own tickets."""
        return ops.checklist_of(get_ticket(ticket_id, for_user=current_user())).describe()


@blp.route("/tickets/<uuid:ticket_id>/checklist/answers/<string:item_key>")
class Answer(MethodView):
    @operation(blp, 200, AnswerOut, body=AnswerIn, errors=(403, 404, 409))
    @require_login
    def put(self, args: dict[str, Any], ticket_id: uuid.UUID, item_key: str) -> ChecklistAnswer:
        """Answer one item (the assignee or staff). A value that can never answer the item
        (wrong type, unknown choice, not a photo of this job) is 422; a number outside the
        item's range is kept and marked ``failed``. The latest answer is the item's answer;
        with a client ``id`` a retry is idempotent (the same id with other values: 409)."""
        user = current_user()
        ticket = ticket_for_evidence(ticket_id, user, lock=True)
        return ops.answer(
            ticket,
            user,
            item_key,
            args["value"],
            answer_id=args.get("id"),
            occurred_at=args.get("occurred_at"),
        ).answer
