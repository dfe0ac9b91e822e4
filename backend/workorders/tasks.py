"""Background jobs of the work-order core: the periodic SLA scan.

Scheduling: the scan is declared ``@periodic`` on ``SLA_SCAN_INTERVAL_S``; the scheduler that
``fieldops worker`` starts enqueues it once per interval (one slot for all schedulers). A run
that fails (the database is away, the schema not migrated yet) costs that run only. Without
Redis there is no scheduler; ``fieldops sla-scan`` (cron) runs one scan.
"""

from __future__ import annotations

import logging

from backend.config import settings
from backend.jobs import job, periodic
from backend.workorders.sla_scan import scan

log = logging.getLogger(__name__)
SLA_SCAN_QUEUE = "low"


@periodic(every="SLA_SCAN_INTERVAL_S", default=60)
@job(queue=SLA_SCAN_QUEUE, timeout=300, retry=())
def sla_scan() -> dict[str, object]:
    result = scan(at_risk_fraction=settings().SLA_AT_RISK_FRACTION)
    if result.at_risk or result.breached or result.recovered:
        log.info("SLA scan: %s", result.as_dict())
    return result.as_dict()
