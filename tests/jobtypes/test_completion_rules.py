"""A job type's completion rules are one more layer of signoff's rules: the completion gate and
the phone's requirements both read them, from the version the ticket keeps."""

from __future__ import annotations

from backend.db import db
from backend.jobtypes.operations import create_job_type, update_job_type
from backend.signoff.operations import requirements_for_phone
from tests.parts.conftest import dispatcher, job  # noqa: F401 (fixtures)


def _complete(api, ticket, engineer):
    return api(
        "post", f"/api/v1/tickets/{ticket.id}/transitions", engineer, json={"action": "complete"}
    )


def test_the_job_type_relaxes_and_tightens_the_rules(api, job, dispatcher):  # noqa: F811
    relaxed = create_job_type(
        dispatcher,
        name="Meter reading",
        default_priority="P3",
        completion_rules={"signature": False, "parts": False},
    )
    strict = create_job_type(
        dispatcher, name="Lift breakdown", default_priority="P3", completion_rules={"photos": 2}
    )
    db.session.commit()

    engineer, plain = job()
    refused = _complete(api, plain, engineer)
    assert refused.status_code == 409 and refused.json["missing"] == ["signature", "parts"]

    engineer, strict_job = job(job_type_id=strict.id)
    refused = _complete(api, strict_job, engineer)
    assert refused.status_code == 409
    assert refused.json["missing"] == ["signature", "photos", "parts"]

    engineer, relaxed_job = job(job_type_id=relaxed.id)
    done = _complete(api, relaxed_job, engineer)
    assert done.status_code == 200, done.json
    assert done.json["status"] == "completed"


def test_the_ticket_keeps_the_rules_of_its_version(job, dispatcher):  # noqa: F811
    jt = create_job_type(
        dispatcher, name="Inspection", default_priority="P3", completion_rules={"photos": 1}
    )
    db.session.commit()
    _, before = job(job_type_id=jt.id)
    update_job_type(jt, dispatcher, {"completion_rules": {"photos": 3}}, version=1)
    db.session.commit()
    _, after = job(job_type_id=jt.id)
    phone = requirements_for_phone([before, after])
    assert phone[before.id]["completion"]["requirements"]["photos"] == 1
    assert phone[after.id]["completion"]["requirements"]["photos"] == 3
