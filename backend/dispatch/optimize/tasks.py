"""Batch plans as rq jobs.

A plan for a whole region takes seconds (400 tickets x 50 engineers: a few seconds of VROOM
per pass), too long to hold a request open, so ``POST /dispatch/optimize`` answers small
requests at once and queues larger ones here. The job has an explicit timeout
(``FIELDOPS_OPTIMIZE_TIMEOUT_S``, default 120 s); the VROOM pass gets a third of it so the
solver stops with its best plan before rq kills the job. The whole plan - passes and the
PyVRP search - gets ``FIELDOPS_OPTIMIZE_BUDGET_S`` (default 9 s, what ``bench/dispatch.py``
measures a 400 x 50 day with, so the product ships the plan quality the bench reports; at
most half the timeout). Small plans end long before it: the search stops at its iteration
cap. The job returns the plan (stored by
rq for ``RESULT_TTL_S``) and ``GET /dispatch/optimize/<job_id>`` reads it back.

Without Redis there is no queue to poll, so every request is answered synchronously.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus, get_current_job

from backend.accounts.models import User
from backend.config import settings
from backend.db import db, extend_timeouts
from backend.dispatch.optimize.ops import OptimizeRequest, plan
from backend.dispatch.settings import current_settings
from backend.errors import Invalid, NotFound
from backend.extensions import redis_holder
from backend.jobs import enqueue_after_commit, job, outbox

RESULT_TTL_S = 24 * 3600
JOB_PREFIX = "optimize-"


def timeout_s() -> int:
    return max(1, settings().OPTIMIZE_TIMEOUT_S)


def sync_max() -> int:
    """Plans of at most this many tickets are solved inside the request."""
    return settings().OPTIMIZE_SYNC_MAX_TICKETS


def solver_timeout() -> float:
    return max(1.0, timeout_s() / 3)


def memory_budget() -> float:
    """The plan's memory budget in MB (``optimize.strategy`` chooses a search that fits)."""
    return float(settings().OPTIMIZE_MEMORY_MB)


def plan_budget() -> float:
    budget = settings().OPTIMIZE_BUDGET_S
    return max(1.0, min(budget, timeout_s() / 2))


@job(queue="default", retry=(30,))  # timeout: given per plan at enqueue
def run_optimize(
    actor_id: str,
    region_id: str | None,
    ticket_ids: list[str],
    apply: bool,
    day: str | None,
    unpin: list[str] | None = None,
) -> dict[str, Any]:
    """The job: plain values in (rq pickles them), the preview dict out. Applying never
    runs here (it needs no solving); ``apply`` is kept so a job queued by an older release
    still loads, and fails with a clear message."""
    if apply:
        raise Invalid("a queued plan is a preview; apply it in the request")
    current = get_current_job()
    if current is not None:  # keep the plan readable for a day, not rq's default 500 s
        current.result_ttl = RESULT_TTL_S
    # The plan reads its inputs, then searches for up to half the job timeout with the read
    # open: raise the connection's idle/statement limits for this transaction only.
    extend_timeouts(timeout_s())
    actor = db.session.get(User, uuid.UUID(actor_id))
    if actor is None:
        raise NotFound(f"user {actor_id} no longer exists")
    req = OptimizeRequest(
        region_id=uuid.UUID(region_id) if region_id else None,
        ticket_ids=tuple(uuid.UUID(t) for t in ticket_ids),
        day=date.fromisoformat(day) if day else None,
        unpin=tuple(uuid.UUID(t) for t in unpin or ()),
    )
    return plan(
        req,
        actor=actor,
        settings=current_settings(),
        timeout_s=solver_timeout(),
        budget_s=plan_budget(),
        memory_mb=memory_budget(),
    )


def enqueue(req: OptimizeRequest, actor: User) -> str:
    """Queue the preview after this request commits; returns the job id to poll."""
    job_id = f"{JOB_PREFIX}{uuid.uuid4()}"
    enqueue_after_commit(
        run_optimize,
        str(actor.id),
        str(req.region_id) if req.region_id else None,
        [str(t) for t in req.ticket_ids],
        False,
        req.day.isoformat() if req.day else None,
        [str(t) for t in req.unpin],
        job_id=job_id,
        timeout=timeout_s(),
        queue="default",
    )
    return job_id


def queued_available() -> bool:
    return redis_holder.client is not None


def job_state(job_id: str) -> dict[str, Any]:
    """Status of a queued plan and, once finished, the plan itself."""
    client = redis_holder.client
    if client is None or not job_id.startswith(JOB_PREFIX):
        raise NotFound(f"optimize job {job_id} not found")
    try:
        rq_job = Job.fetch(job_id, connection=client)
    except (NoSuchJobError, RedisError):
        # Committed but not in rq (yet): Redis is down or lost it, and the outbox relays it.
        if outbox.is_pending(job_id):
            return {"job_id": job_id, "status": "queued"}
        raise NotFound(f"optimize job {job_id} not found (unknown or expired)") from None
    status = rq_job.get_status()
    body: dict[str, Any] = {"job_id": job_id, "status": str(status.value if status else "unknown")}
    if status == JobStatus.FINISHED:
        body["plan"] = rq_job.return_value()
    elif status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        exc = rq_job.exc_info or ""
        body["error"] = exc.strip().splitlines()[-1] if exc.strip() else "job failed"
    return body
