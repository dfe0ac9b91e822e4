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

While it runs, the job keeps its phase and what is known so far in its rq meta (``progress``:
phase, the facts the solver reported, seconds and percent of the budget), so the console can
show a bar. One queued or running plan per region (or for the whole backlog) at a time: a
second is refused with 409 naming the one running (a Redis key per scope, claimed when the
plan is queued and released when it ends or is cancelled; plans of listed tickets are not
scoped). ``cancel`` stops a queued or running plan (rq kills the work horse's process group,
the plan's forked searches with it).

Without Redis there is no queue to poll, so every request is answered synchronously.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import UTC, date
from typing import Any

from redis.exceptions import RedisError
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus, get_current_job

from backend.accounts.models import User
from backend.config import settings
from backend.db import db, extend_timeouts
from backend.dispatch.optimize.ops import OptimizeRequest, plan
from backend.dispatch.settings import current_settings
from backend.errors import Conflict, Invalid, NotFound
from backend.extensions import redis_holder
from backend.jobs import enqueue_after_commit, job, outbox

RESULT_TTL_S = 24 * 3600
JOB_PREFIX = "optimize-"
SCOPE_PREFIX = "optimize-running:"
ACTIVE = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


class PlanRunning(Conflict):
    """A plan for the same scope is queued or running (``job_id`` names it)."""

    kind = "plan_running"


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
    try:
        return _run(actor_id, region_id, ticket_ids, day, unpin, current)
    finally:
        if current is not None:
            release(scope_key(region_id, ticket_ids), current.id)


def _run(
    actor_id: str,
    region_id: str | None,
    ticket_ids: list[str],
    day: str | None,
    unpin: list[str] | None,
    current: Job | None,
) -> dict[str, Any]:
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
    budget = plan_budget()
    return plan(
        req,
        actor=actor,
        settings=current_settings(),
        timeout_s=solver_timeout(),
        budget_s=budget,
        memory_mb=memory_budget(),
        progress=None if current is None else _reporter(current, budget),
    )


def _reporter(current: Job, budget_s: float) -> Any:
    """The solver's ``progress``: each phase and its facts into the job's meta."""
    started = time.time()
    phases: list[str] = []
    known: dict[str, Any] = {}  # each phase adds its facts (pass 1's size stays known)

    def report(phase: str, facts: dict[str, Any]) -> None:
        phases.append(phase)
        known.update(facts)
        current.meta["progress"] = {
            "phase": phase,
            "phases": list(phases),
            "facts": dict(known),
            "started_at": started,
            "budget_s": budget_s,
        }
        with contextlib.suppress(RedisError):  # progress is a courtesy: the plan goes on
            current.save_meta()  # type: ignore[no-untyped-call]

    return report


def progress_of(rq_job: Job, finished: bool) -> dict[str, Any] | None:
    """Phase, facts, seconds so far and percent of the budget (100 once finished)."""
    meta = (rq_job.meta or {}).get("progress")
    if not meta:
        return None
    seconds = time.time() - float(meta["started_at"])
    percent = 100 if finished else min(99, int(100 * seconds / max(1e-9, meta["budget_s"])))
    return {
        "phase": "done" if finished else meta["phase"],
        "phases": meta["phases"],
        "facts": meta["facts"],
        "seconds": round(seconds, 1),
        "percent": percent,
    }


def scope_key(region_id: str | None, ticket_ids: list[str]) -> str | None:
    """The Redis key of a plan's scope: its region, or the whole backlog; None for a plan
    of listed tickets (two such plans may overlap or not; the apply's 409 guards them)."""
    if ticket_ids:
        return None
    return SCOPE_PREFIX + (region_id or "all")


def _active(job_id: str) -> bool:
    client = redis_holder.client
    if client is None:
        return False
    try:
        return Job.fetch(job_id, connection=client).get_status() in ACTIVE
    except NoSuchJobError:
        return outbox.is_pending(job_id)


def _text(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value if isinstance(value, str) else None


def _who(job_id: str) -> dict[str, Any]:
    """Whose plan ``job_id`` is, since when, and how far it got: what a dispatcher refused a
    second plan reads (the console puts it in words) instead of a bare job id."""
    client = redis_holder.client
    try:
        rq_job = Job.fetch(job_id, connection=client)
    except (NoSuchJobError, RedisError):
        return {"started_by": None, "started_at": None, "progress": None}
    args = rq_job.args or ()
    actor = db.session.get(User, uuid.UUID(args[0])) if args else None
    at = rq_job.enqueued_at or rq_job.created_at
    return {
        "started_by": actor.name if actor is not None else None,
        "started_at": at.replace(tzinfo=UTC).isoformat() if at else None,
        "progress": progress_of(rq_job, finished=False),
    }


def claim(key: str | None, job_id: str) -> None:
    """Take the scope for ``job_id``, or raise PlanRunning naming the plan holding it. A key
    whose plan ended without releasing it (a killed worker) is taken over; without Redis
    there is nothing to claim (and nothing queued either)."""
    client = redis_holder.client
    if key is None or client is None:
        return
    try:
        for _ in range(2):
            if client.set(key, job_id, nx=True, ex=timeout_s() + 60):
                return
            holder = _text(client.get(key))
            if holder and _active(holder):
                raise PlanRunning(
                    f"a plan for this scope is already running: {holder}; wait for it or cancel it",
                    job_id=holder,
                    **_who(holder),
                )
            client.delete(key)
    except RedisError:
        return  # the outbox queues the plan anyway; the apply's fingerprint guards it


def release(key: str | None, job_id: str) -> None:
    client = redis_holder.client
    if key is None or client is None:
        return
    try:
        if _text(client.get(key)) == job_id:
            client.delete(key)
    except RedisError:
        pass  # the key expires with the job timeout


def enqueue(req: OptimizeRequest, actor: User) -> str:
    """Queue the preview after this request commits; returns the job id to poll. Raises
    PlanRunning (409) while another plan for the same region is queued or running."""
    job_id = f"{JOB_PREFIX}{uuid.uuid4()}"
    claim(
        scope_key(str(req.region_id) if req.region_id else None, list(map(str, req.ticket_ids))),
        job_id,
    )
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
    body["progress"] = progress_of(rq_job, status == JobStatus.FINISHED)
    if status == JobStatus.FINISHED:
        body["plan"] = rq_job.return_value()
    elif status in (JobStatus.STOPPED, JobStatus.CANCELED):
        body["error"] = "cancelled"
    elif status == JobStatus.FAILED:
        exc = rq_job.exc_info or ""
        body["error"] = exc.strip().splitlines()[-1] if exc.strip() else "job failed"
    return body


def cancel(job_id: str) -> dict[str, Any]:
    """Stop a queued or running plan; its scope is free again. A plan that already ended is
    answered as it is (nothing to cancel)."""
    client = redis_holder.client
    if client is None or not job_id.startswith(JOB_PREFIX):
        raise NotFound(f"optimize job {job_id} not found")
    try:
        rq_job = Job.fetch(job_id, connection=client)
    except NoSuchJobError:
        raise NotFound(f"optimize job {job_id} not found (unknown or expired)") from None
    status = rq_job.get_status()
    if status == JobStatus.STARTED:
        with contextlib.suppress(InvalidJobOperation):  # it ended meanwhile
            send_stop_job_command(client, job_id)
    elif status in ACTIVE:
        rq_job.cancel()
    args = rq_job.args or ()
    if len(args) >= 3:
        release(scope_key(args[1], list(args[2])), job_id)
    return job_state(job_id)
