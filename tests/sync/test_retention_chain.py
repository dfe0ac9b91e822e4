"""The daily change-log purge chain: started by the worker, never duplicated by restarts."""

from __future__ import annotations

from rq import Queue
from rq.registry import ScheduledJobRegistry

from backend.sync.tasks import start_purge_chain


def test_purge_chain_starts_once_and_reschedules_itself(session, redis_client, run_jobs):
    first = start_purge_chain()
    again = start_purge_chain()  # a second worker, or a restart, the same day
    assert first == again and first is not None
    low = Queue("low", connection=redis_client)
    assert low.job_ids == [first]
    run_jobs()
    scheduled = ScheduledJobRegistry(queue=low).get_job_ids()
    assert len(scheduled) == 1 and scheduled[0] != first  # tomorrow's purge, exactly one
