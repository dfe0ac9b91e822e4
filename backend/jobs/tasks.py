"""The relay sweep: hands rq every committed job intent it does not have yet."""

from __future__ import annotations

from backend.jobs import outbox
from backend.jobs.core import job
from backend.jobs.periodic import periodic


@periodic(every="JOB_RELAY_SWEEP_S", default=15)
@job(queue="high", timeout=60, retry=())
def relay_sweep() -> dict[str, int]:
    return outbox.sweep()
