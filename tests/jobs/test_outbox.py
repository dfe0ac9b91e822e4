"""The job outbox: the intent commits with its cause, reaches rq after the commit, survives
Redis being down, and a job's effects commit once however often rq runs it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import func, select

from backend.db import db, utcnow
from backend.extensions import redis_holder
from backend.jobs import enqueue_after_commit
from backend.jobs.models import JobOutbox
from backend.jobs.outbox import OUTBOX_META, sweep
from backend.notify.models import Notification
from tests.jobs.sample_jobs import KIND, fail_always, leave_mark


def _marks(label: str) -> int:
    return db.session.scalar(
        select(func.count()).where(Notification.kind == KIND, Notification.title == label)
    )


def _row(job_id: str) -> JobOutbox | None:
    return db.session.get(JobOutbox, job_id)


@pytest.fixture()
def redis_down(app):
    """Point the app's Redis at a port nothing listens on (as when Redis is stopped); the
    returned function brings it back."""
    url, client = redis_holder.url, redis_holder._client

    def back() -> None:
        redis_holder.url, redis_holder._client = url, client

    redis_holder.url, redis_holder._client = "redis://127.0.0.1:1/0", None
    try:
        yield back
    finally:
        back()


def test_intent_commits_with_its_cause_and_reaches_rq(session, redis_client, run_jobs):
    job_id = enqueue_after_commit(leave_mark, "a")
    assert _row(job_id) is not None  # written in the caller's transaction
    assert not Job.exists(job_id, connection=redis_client)  # nothing before the commit
    session.commit()
    job = Job.fetch(job_id, connection=redis_client)
    assert job.meta[OUTBOX_META] is True and job.origin == "default"
    assert job.timeout == 30 and job.retries_left == 1  # the job's declared policy
    run_jobs()
    assert _marks("a") == 1
    assert _row(job_id) is None  # the job deleted its row with its result


def test_rolled_back_cause_leaves_no_intent(session, redis_client):
    job_id = enqueue_after_commit(leave_mark, "b")
    session.rollback()
    assert _row(job_id) is None
    assert not Job.exists(job_id, connection=redis_client)


def test_rolled_back_savepoint_takes_its_job(session, redis_client):
    kept = enqueue_after_commit(leave_mark, "kept")
    with pytest.raises(RuntimeError), session.begin_nested():
        enqueue_after_commit(leave_mark, "dropped")
        raise RuntimeError("the mutation failed")
    session.commit()
    assert Queue("default", connection=redis_client).job_ids == [kept]
    assert db.session.scalar(select(func.count()).select_from(JobOutbox)) == 1


def test_a_job_run_twice_commits_its_effects_once(session, redis_client, run_jobs):
    job_id = enqueue_after_commit(leave_mark, "twice")
    session.commit()
    run_jobs()
    # rq runs it again (a requeued abandoned job, a sweep that raced the first run).
    Queue("default", connection=redis_client).enqueue_job(
        Job.fetch(job_id, connection=redis_client)
    )
    run_jobs()
    assert _marks("twice") == 1


def test_redis_down_at_commit_fails_nothing_and_the_sweep_delivers(
    session, redis_client, run_jobs, redis_down
):
    job_id = enqueue_after_commit(leave_mark, "outage")
    session.commit()  # the relay fails inside the commit: it must not raise
    assert _row(job_id) is not None and _row(job_id).relay_count == 0
    redis_down()  # Redis is back
    assert not Job.exists(job_id, connection=redis_client)
    assert sweep(now=utcnow() + timedelta(seconds=30)) == {"relayed": 1, "dead": 0, "waiting": 0}
    # A second sweep finds it queued and leaves it alone.
    assert sweep(now=utcnow() + timedelta(seconds=30))["relayed"] == 0
    run_jobs()
    assert _marks("outage") == 1 and _row(job_id) is None


def test_sweep_relays_what_redis_lost_and_marks_what_rq_gave_up(session, redis_client, run_jobs):
    lost = enqueue_after_commit(leave_mark, "lost")
    doomed = enqueue_after_commit(fail_always, "doomed")
    session.commit()
    Job.fetch(lost, connection=redis_client).delete()  # as a Redis restart without data would
    run_jobs()  # runs doomed (fails, no retries left) — lost is not in rq any more
    later = utcnow() + timedelta(seconds=30)
    assert sweep(now=later) == {"relayed": 1, "dead": 1, "waiting": 0}
    assert _row(doomed).dead_at is not None and "fails on purpose" in _row(doomed).last_error
    run_jobs()
    assert _marks("lost") == 1
    assert sweep(now=later) == {"relayed": 0, "dead": 0, "waiting": 0}


def test_sweep_leaves_fresh_rows_to_the_relay_after_commit(session, redis_client):
    job_id = enqueue_after_commit(leave_mark, "fresh")
    session.commit()
    Job.fetch(job_id, connection=redis_client).delete()
    assert sweep()["relayed"] == 0  # younger than the grace: its relay may be under way


def test_the_request_id_travels_into_the_job(session, redis_client, run_jobs):
    from backend.logs import reset_request_id, set_request_id
    from tests.jobs.sample_jobs import which_request

    token = set_request_id("req-4711")
    try:
        job_id = enqueue_after_commit(which_request)
        session.commit()
    finally:
        reset_request_id(token)
    assert _row(job_id).request_id == "req-4711"
    job = Job.fetch(job_id, connection=redis_client)
    assert job.meta["request_id"] == "req-4711"
    run_jobs()
    job.refresh()
    assert job.return_value() == "req-4711"  # the job's log lines carry the request's id
