"""Background jobs: durable intents (the outbox), rq queues, periodic jobs and the worker.

``core`` has the API features use (``job``, ``enqueue_after_commit``); ``outbox`` the durable
hand-over to rq; ``periodic`` and ``scheduler`` the schedule; ``worker`` the rq worker that
notices an abandoned job within seconds.
"""

from backend.jobs.core import (
    QUEUES,
    JobPolicy,
    PendingJob,
    enqueue_after_commit,
    job,
    policy_of,
    run_ready_jobs,
)
from backend.jobs.periodic import periodic

__all__ = [
    "QUEUES",
    "JobPolicy",
    "PendingJob",
    "enqueue_after_commit",
    "job",
    "periodic",
    "policy_of",
    "run_ready_jobs",
]
