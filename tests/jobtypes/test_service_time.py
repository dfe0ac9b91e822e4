"""A job type's estimated duration is the service time the dispatcher and the optimizer plan a
ticket with; tickets without one keep the configured default (DISPATCH_SERVICE_MIN)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from backend.db import db
from backend.dispatch.operations import ticket_facts
from backend.dispatch.optimize.ops import OptimizeRequest, load_problem
from backend.dispatch.scoring import EngineerFacts, TicketFacts, evaluate, plan_insertion
from backend.dispatch.settings import DispatchSettings
from backend.dispatch.shifts import Shift
from backend.jobtypes.operations import create_job_type, update_job_type

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday, three hours before the shift ends
REGION = uuid.uuid4()
S = DispatchSettings()  # service_min 60


def _ticket(**kw) -> TicketFacts:
    base = TicketFacts(
        ticket_id=uuid.uuid4(),
        priority="P3",
        required_skills=frozenset(),
        region_ids=frozenset({REGION}),
        location=(13.40, 52.52),
        resolve_by=NOW + timedelta(hours=24),
    )
    return replace(base, **kw)


def _engineer() -> EngineerFacts:
    return EngineerFacts(
        engineer_id=uuid.uuid4(),
        name="E",
        status="available",
        skills=frozenset(),
        region_ids=frozenset({REGION}),
        shift=Shift("UTC", (0, 1, 2, 3, 4), time(8), time(18)),
        max_open_jobs=6,
        location=(13.41, 52.52),
        location_source="home",
    )


def test_the_dispatcher_plans_the_job_types_duration():
    default = plan_insertion(_ticket(), _engineer(), NOW, 10, S)
    long = plan_insertion(_ticket(service_min=240), _engineer(), NOW, 10, S)
    assert default.finish - default.start == timedelta(minutes=S.service_min)
    assert long.finish - long.start == timedelta(minutes=240)


def test_a_job_longer_than_the_rest_of_the_shift_is_off_shift():
    engineer = _engineer()
    assert "off_shift" not in evaluate(_ticket(), engineer, NOW, S).reasons
    assert "off_shift" in evaluate(_ticket(service_min=240), engineer, NOW, S).reasons


def test_tickets_carry_their_versions_duration_to_dispatch_and_the_optimizer(
    make_ticket, make_user
):
    staff = make_user("dispatcher")
    jt = create_job_type(staff, name="Lift service", default_priority="P3", estimated_minutes=150)
    no_estimate = create_job_type(staff, name="Survey", default_priority="P3")
    db.session.commit()
    typed = make_ticket(job_type_id=jt.id)
    plain = make_ticket()
    unestimated = make_ticket(job_type_id=no_estimate.id)
    update_job_type(jt, staff, {"estimated_minutes": 30}, version=1)
    later = make_ticket(job_type_id=jt.id)

    assert ticket_facts(typed).service_min == 150
    assert ticket_facts(plain).service_min is None
    assert ticket_facts(unestimated).service_min is None
    assert ticket_facts(later).service_min == 30

    ids = (typed.id, plain.id, unestimated.id, later.id)
    loaded = load_problem(OptimizeRequest(ticket_ids=ids), S, NOW)
    service = {task.id: task.service_s for task in loaded.problem.tasks}
    assert service == {
        str(typed.id): 150 * 60,
        str(plain.id): S.service_min * 60,
        str(unestimated.id): S.service_min * 60,
        str(later.id): 30 * 60,
    }
