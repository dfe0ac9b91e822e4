"""Checklist answers: plain values in, ``flush()`` only, DomainError out.

``answer`` is the one write, shared by ``PUT /tickets/{id}/checklist/answers/{key}`` and the
``checklist.answer`` sync mutation. Its merge rule, per item: the latest answer applied wins
(the order the server applies them, never the device's clock), and an answer from an engineer
the job was taken from (reassigned, cancelled) is kept as ``late`` evidence without changing
the current answer; the caller records the conflict (``workorders.evidence``'s policy).

What the answers leave missing and failed is ``jobtypes.checklist.evaluate`` over the current
answers and the definition of the version the ticket keeps.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from backend.accounts.models import User
from backend.checklists.models import ChecklistAnswer
from backend.db import added, db, utcnow
from backend.errors import Conflict, Invalid, NotFound
from backend.jobtypes.checklist import (
    AnswerRefused,
    Evaluation,
    check_answer,
    evaluate,
    item_by_key,
    labels,
)
from backend.jobtypes.models import JobTypeVersion
from backend.jobtypes.operations import versions_by_id
from backend.maintenance.assets import reading_from_answer
from backend.media.models import Photo
from backend.workorders.audit import record_activity
from backend.workorders.evidence import audit_via, check_evidence_access
from backend.workorders.models import Ticket
from backend.workorders.operations import moved_on


def version_of(ticket: Ticket) -> JobTypeVersion:
    """The job type version the ticket keeps; 422 for a ticket without a checklist."""
    version = (
        db.session.get(JobTypeVersion, ticket.job_type_version_id)
        if ticket.job_type_version_id is not None
        else None
    )
    if version is None:
        raise Invalid(
            f"ticket {ticket.number} has no checklist (it was created without a job type)",
            errors={"ticket_id": ["no checklist"]},
        )
    return version


@dataclass(frozen=True)
class Answered:
    answer: ChecklistAnswer
    recorded: bool  # False: this id was answered before with the same value (a retry)
    late: bool  # kept as evidence, not current: the job had moved on


def answer(
    ticket: Ticket,
    user: User,
    item_key: str,
    value: Any,
    *,
    answer_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    offline: bool = False,
) -> Answered:
    """Answer one item. Refuses (422) an unknown item or a value that can never answer it,
    (403) a user the job is not theirs (online), (409) an answer id reused for another one."""
    # Taken from this engineer (offline work kept) or cancelled: evidence, not the answer.
    taken = check_evidence_access(ticket, user, offline=offline, what="answer the checklist of")
    late = taken or moved_on(ticket, user) is not None
    version = version_of(ticket)
    item = item_by_key(version.checklist, item_key)
    if item is None:
        raise Invalid(
            f"the checklist of ticket {ticket.number} has no item {item_key!r}",
            errors={"item_key": ["unknown item"]},
        )
    checked = None
    if value is not None:
        try:
            checked = check_answer(item, value)
        except AnswerRefused as exc:
            raise Invalid(str(exc), errors={"value": [str(exc)]}) from None
        if item["type"] == "photo":
            _photo_of(ticket, checked.value)
    stored = checked.value if checked is not None else None
    if answer_id is not None:
        earlier = db.session.get(ChecklistAnswer, answer_id)
        if earlier is not None:
            if (earlier.ticket_id, earlier.item_key, earlier.value) != (
                ticket.id,
                item_key,
                stored,
            ):
                raise Conflict(
                    f"answer {answer_id} was already given with other values",
                    errors={"id": ["already used"]},
                )
            return Answered(earlier, recorded=False, late=earlier.status == "late")
    replaced: list[uuid.UUID] = []
    if not late:
        for previous in db.session.scalars(
            select(ChecklistAnswer)
            .where(
                ChecklistAnswer.ticket_id == ticket.id,
                ChecklistAnswer.item_key == item_key,
                ChecklistAnswer.status == "current",
            )
            .with_for_update()
        ):
            previous.status = "superseded"
            replaced.append(previous.id)
        db.session.flush()  # the partial unique index: one current answer per item
    row = added(
        ChecklistAnswer(
            id=answer_id or uuid.uuid4(),
            ticket_id=ticket.id,
            job_type_version_id=version.id,
            item_key=item_key,
            value=stored,
            failed=checked.failed if checked is not None else False,
            status="late" if late else "current",
            answered_by_id=user.id,
            answered_at=utcnow(),
            occurred_at=occurred_at,
        )
    )
    if item["type"] == "meter" and not late and ticket.asset_id is not None:
        reading_from_answer(
            ticket.asset_id,
            user,
            meter=item_key,
            value=stored,
            answer_id=row.id,
            replaces=replaced,
        )
    record_activity(
        ticket,
        actor=user,
        action="checklist_answer",
        via=audit_via(offline),
        occurred_at=occurred_at,
        data={"item": item_key, "failed": row.failed, "late": late},
    )
    return Answered(row, recorded=True, late=late)


def _photo_of(ticket: Ticket, photo_id: str) -> None:
    photo = db.session.get(Photo, uuid.UUID(photo_id))
    if photo is None or photo.ticket_id != ticket.id:
        raise Invalid(
            f"photo {photo_id} is not a photo of ticket {ticket.number}: register it first",
            errors={"value": ["unknown photo"]},
        )


def current_answers(ticket_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[ChecklistAnswer]]:
    """The current answers of these tickets (one query), in answering order."""
    out: dict[uuid.UUID, list[ChecklistAnswer]] = {t: [] for t in ticket_ids}
    if not ticket_ids:
        return out
    stmt = (
        select(ChecklistAnswer)
        .where(ChecklistAnswer.ticket_id.in_(ticket_ids), ChecklistAnswer.status == "current")
        .order_by(ChecklistAnswer.answered_at, ChecklistAnswer.id)
    )
    for row in db.session.scalars(stmt):
        out[row.ticket_id].append(row)
    return out


def values(answers: Sequence[ChecklistAnswer]) -> dict[str, Any]:
    """Item key -> value of the answers that are set (a cleared item is unanswered)."""
    return {a.item_key: a.value for a in answers if a.value is not None}


@dataclass(frozen=True)
class TicketChecklist:
    version: JobTypeVersion
    answers: list[ChecklistAnswer]
    evaluation: Evaluation

    def describe(self) -> dict[str, Any]:
        """As ``TicketChecklistOut`` writes it."""
        v = self.version
        return {
            "job_type_id": v.job_type_id,
            "job_type_version_id": v.id,
            "version": v.number,
            "name": v.name,
            "description": v.description,
            "suggested_parts": v.suggested_parts,
            "checklist": v.checklist,
            "answers": self.answers,
            "visible": self.evaluation.visible,
            "missing": self.evaluation.missing,
            "failed": self.failed_items(),
        }

    def failed_items(self) -> list[dict[str, str]]:
        """What a customer may see of the failed items: their labels (no values, no notes)."""
        return [
            {"key": k, "label": label}
            for k, label in zip(
                self.evaluation.failed,
                labels(self.version.checklist, self.evaluation.failed),
                strict=True,
            )
        ]


def checklists_of(tickets: Sequence[Ticket]) -> dict[uuid.UUID, TicketChecklist]:
    """Each ticket's checklist state (tickets without one are left out): three queries for any
    number of tickets (a pull page, the completion gate, a report)."""
    with_list = [t for t in tickets if t.job_type_version_id is not None]
    versions = versions_by_id({t.job_type_version_id for t in with_list if t.job_type_version_id})
    answers = current_answers([t.id for t in with_list])
    out: dict[uuid.UUID, TicketChecklist] = {}
    for t in with_list:
        version = versions.get(t.job_type_version_id) if t.job_type_version_id else None
        if version is None:
            continue
        mine = answers[t.id]
        out[t.id] = TicketChecklist(version, mine, evaluate(version.checklist, values(mine)))
    return out


def checklist_of(ticket: Ticket) -> TicketChecklist:
    found = checklists_of([ticket]).get(ticket.id)
    if found is None:
        version_of(ticket)  # raises the 422 naming why
        raise NotFound(f"ticket {ticket.number} has no checklist")
    return found


def missing_items(ticket: Ticket) -> list[str]:
    """The keys of the required items still unanswered (none for a ticket without one)."""
    found = checklists_of([ticket]).get(ticket.id)
    return list(found.evaluation.missing) if found is not None else []
