"""The generation job: tickets for maintenance plans' occurrences within their horizon.

Declared ``@periodic`` on ``MAINTENANCE_GENERATE_INTERVAL_S``. Each plan is committed on its
own, so a run over many plans holds no lock and no open transaction longer than one plan's
tickets take (tickets are in the sync change log, whose horizon a long transaction holds
back), and a plan that fails (its job type archived since) costs that plan only. Running it
twice, or two at once, creates each occurrence's ticket once (``generate``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from backend.config import settings
from backend.db import db, utcnow
from backend.errors import DomainError
from backend.jobs import job, periodic
from backend.maintenance.generate import due_plans, generate_plan
from backend.maintenance.plans import get_plan

log = logging.getLogger(__name__)
GENERATE_QUEUE = "low"


def generate_all(now: datetime | None = None) -> dict[str, object]:
    """One pass over every active plan, committing each plan's tickets."""
    now = now or utcnow()
    policy = settings().SLA_POLICY
    created = 0
    failed: list[str] = []
    for plan_id in due_plans(now):
        try:
            created += len(generate_plan(get_plan(plan_id), now, policy).tickets)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            failed.append(str(plan_id))
            log.warning("maintenance plan %s: no tickets generated: %s", plan_id, exc)
    return {"tickets": created, "failed_plans": failed}


@periodic(every="MAINTENANCE_GENERATE_INTERVAL_S", default=600)
@job(queue=GENERATE_QUEUE, timeout=900, retry=())
def generate_tickets() -> dict[str, object]:
    result = generate_all()
    if result["tickets"] or result["failed_plans"]:
        log.info("maintenance generation: %s", result)
    return result
