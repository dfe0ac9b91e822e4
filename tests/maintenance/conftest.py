"""Maintenance fixtures: a dispatcher (``staff``), a job type and plans made through the
operations. API tests import the API tests' fixtures themselves: their autouse fixture binds
every session to the test's transaction, which the concurrency test must not have."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from backend.db import db
from backend.jobtypes.models import JobType
from backend.jobtypes.operations import create_job_type
from backend.maintenance.models import MaintenancePlan
from backend.maintenance.plans import create_plan


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture()
def staff(make_user):
    return make_user("dispatcher")


@pytest.fixture()
def job_type(session, staff) -> JobType:
    jt = create_job_type(
        staff, name="Chiller inspection", default_priority="P3", estimated_minutes=90
    )
    db.session.commit()
    return jt


@pytest.fixture()
def make_plan(session, staff, job_type):
    def _make(**over: Any) -> MaintenancePlan:
        args: dict[str, Any] = {
            "name": "Monthly chiller check",
            "job_type_id": job_type.id,
            "timezone": "Europe/Berlin",
            "window_minutes": 120,
            "horizon_days": 14,
        }
        args.update(over)
        plan = create_plan(staff, **args)
        db.session.commit()
        return plan

    return _make
