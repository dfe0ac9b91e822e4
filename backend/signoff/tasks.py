"""The service-report job: both copies of the PDF rendered when a job is completed.

Queued after the completing transaction commits (``wiring``: the ``after_transition`` hook),
so the download that follows is a storage read rather than a render inside a GET. The render
runs with no transaction open (``report.service_report`` ends its reads first); re-running
the job is harmless: an up-to-date cached copy is kept as it is.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.db import db
from backend.jobs import enqueue_after_commit, job
from backend.signoff.report import Audience, service_report
from backend.workorders.models import Ticket
from backend.workorders.states import Status

DONE = {Status.COMPLETED, Status.CLOSED}


@job(queue="low", timeout=300, retry=(10, 60, 300))
def render_service_reports(ticket_id: str) -> str:
    ticket = db.session.get(Ticket, uuid.UUID(ticket_id))
    if ticket is None or ticket.status not in DONE:
        return "skipped"
    audiences: tuple[Audience, ...] = ("staff", "customer")
    for audience in audiences:
        service_report(ticket, audience)
    return "rendered"


def on_transition(ticket: Ticket, event: Any) -> None:
    """``after_transition`` hook: a job that has just been completed gets its reports."""
    if event.to_status == Status.COMPLETED and event.from_status != event.to_status:
        enqueue_after_commit(render_service_reports, str(ticket.id))
