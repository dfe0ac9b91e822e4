"""The rollups' periodic catch-up (docs/kpis.md, "Rollups"; docs/reliability.md).

Runs on its own connection, so the session-level advisory lock of ``catch_up`` is held by one
connection for the whole run while each batch commits on it.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from backend.db import db
from backend.jobs import job, periodic
from backend.reports.catchup import catch_up

log = logging.getLogger(__name__)


def catch_up_now() -> dict[str, object]:
    """One catch-up on a connection of its own (the job, the bench, an operator)."""
    engine = db.engine
    assert engine is not None, "the app binds the database before a job runs"
    with engine.connect() as conn:
        session = Session(bind=conn)
        try:
            result = catch_up(session)
        finally:
            session.close()
    if result.changes or result.rebuilt:
        log.info("report rollups caught up: %s", result.as_dict())
    return result.as_dict()


@periodic(every="REPORTS_ROLLUP_INTERVAL_S", default=30)
@job(queue="low", timeout=1800, retry=())
def catch_up_rollups() -> dict[str, object]:
    return catch_up_now()
