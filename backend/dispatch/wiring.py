"""Hooks that connect dispatch to the ticket life cycle (imported by ``backend.models``).

- ``after_create``: when auto-dispatch is on for the ticket's regions (or globally), queue the
  auto-dispatch job to run after the creating transaction commits.
- ``after_transition`` on ``reject``: the ticket is back to ``new`` and ``rejected_by`` holds
  the engineer; re-dispatch it the same way (the scorer excludes rejecters), or, without
  auto-dispatch, flag it and notify dispatchers.

- ``skill_checks``: a ticket's required skills must be skill codes dispatch knows.
- ``regions_at``: a ticket's regions are the dispatch regions containing its location.
- ``jobtypes.hooks.definition_checks``: a job type's required skills must be known codes.

They run inside the caller's transaction, so they only write rows and queue jobs. Importing
``sync_mutations`` registers the ``location.report`` sync mutation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.db import utcnow
from backend.dispatch import sync_mutations  # noqa: F401  (registers location.report)
from backend.dispatch.regions import ensure_skills_exist, regions_containing
from backend.jobtypes import hooks as job_type_hooks
from backend.workorders import hooks
from backend.workorders.models import Ticket, TicketEvent


def on_ticket_created(ticket: Ticket, event: TicketEvent) -> None:
    from backend.dispatch.settings import current_settings
    from backend.dispatch.tasks import enqueue_auto_dispatch

    if current_settings().auto_for(ticket.region_ids):
        enqueue_auto_dispatch(ticket)


def on_ticket_transition(ticket: Ticket, event: TicketEvent) -> None:
    if event.action != "reject":
        return
    from backend.dispatch.operations import flag_for_dispatchers
    from backend.dispatch.settings import current_settings
    from backend.dispatch.tasks import enqueue_auto_dispatch

    if current_settings().auto_for(ticket.region_ids):
        enqueue_auto_dispatch(ticket)
        return
    flag_for_dispatchers(
        ticket,
        flag="needs_dispatch",
        detail={"cause": "rejected", "by": str(event.actor_id) if event.actor_id else None},
        title=f"{ticket.number} was rejected and needs a new engineer",
        now=utcnow(),
    )


hooks.register(hooks.after_create, on_ticket_created)
hooks.register(hooks.after_transition, on_ticket_transition)
hooks.register(hooks.skill_checks, ensure_skills_exist)
hooks.register(hooks.regions_at, regions_containing)


def job_type_skills_known(content: Mapping[str, Any]) -> None:
    ensure_skills_exist(content["required_skills"])


job_type_hooks.register(job_type_hooks.definition_checks, job_type_skills_known)
