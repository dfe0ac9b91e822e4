"""The rule run as an rq job, queued after the event's commit (the job outbox)."""

from __future__ import annotations

import uuid
from datetime import datetime

from backend.automation.engine import evaluate_event
from backend.jobs import job


@job(queue="default", timeout=120, retry=(5, 30, 120))
def evaluate(event_type: str, ticket_id: str, event_id: str, at: str, depth: int) -> int:
    """Run the enabled rules of ``event_type`` on the ticket; returns how many matched."""
    runs = evaluate_event(
        event_type, uuid.UUID(ticket_id), uuid.UUID(event_id), datetime.fromisoformat(at), depth
    )
    return len(runs)
