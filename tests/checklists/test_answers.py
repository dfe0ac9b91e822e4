"""Checklist answers: REST and the ``checklist.answer`` sync mutation (one operation), every
item type against the real database, the merge rule (latest applied wins, late answers kept
as evidence with a conflict), the completion gate naming the missing items, the phone's copy."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from backend.accounts.models import User
from backend.checklists.models import ChecklistAnswer
from backend.db import db
from backend.jobtypes.operations import create_job_type
from backend.media.models import Photo
from backend.sync.models import SyncConflict
from backend.workorders import operations as wo
from backend.workorders.models import Ticket
from tests.jobtypes.conftest import CHILLER_CHECKLIST

SIGNED = {"signer_name": "Site Manager", "strokes": [[[10, 10], [40, 30]]]}


@pytest.fixture()
def planned(job, dispatcher):
    """An engineer working a ticket of the chiller job type (no other close-out evidence)."""
    from backend.jobtypes.schemas import JobChecklistIn

    jt = create_job_type(
        dispatcher,
        name="Chiller quarterly inspection",
        default_priority="P3",
        completion_rules={"signature": False, "parts": False, "photos": 0},
        checklist=JobChecklistIn().load(CHILLER_CHECKLIST),
    )
    db.session.commit()
    return job(job_type_id=jt.id)


def _photo(ticket_id: uuid.UUID, engineer_id: uuid.UUID) -> uuid.UUID:
    photo = Photo(
        id=uuid.uuid4(),
        ticket_id=ticket_id,
        uploaded_by_id=engineer_id,
        origin="staff",
        status="pending",
        sha256="a" * 64,
        content_type="image/jpeg",
        size=1234,
    )
    db.session.add(photo)
    db.session.commit()
    return photo.id


def put(api, user, ticket, key: str, value: Any, **extra: Any):
    return api(
        "put",
        f"/api/v1/tickets/{ticket.id}/checklist/answers/{key}",
        user,
        json={"value": value, **extra},
    )


def state(api, user, ticket) -> dict[str, Any]:
    res = api("get", f"/api/v1/tickets/{ticket.id}/checklist", user)
    assert res.status_code == 200, res.json
    return dict(res.json)


def test_every_item_type_answered_over_rest(api, planned):
    engineer, ticket = planned
    photo_id = _photo(ticket.id, engineer.id)
    answers = {
        "isolated": "yes",
        "leak": "minor",
        "leak_photo": str(photo_id),
        "oil_pressure": 3.2,
        "hours": 10234,
        "checks": ["fans", "filters"],
        "remarks": "Clean.",
        "witness": SIGNED,
    }
    for key, value in answers.items():
        res = put(api, engineer, ticket, key, value)
        assert res.status_code == 200, (key, res.json)
        assert res.json["status"] == "current" and res.json["failed"] is False
    got = state(api, engineer, ticket)
    assert {a["item_key"]: a["value"] for a in got["answers"]} == {
        **answers,
        "witness": {"signer_name": "Site Manager", "strokes": [[[10.0, 10.0], [40.0, 30.0]]]},
    }
    assert got["missing"] == [] and got["failed"] == []
    assert got["name"] == "Chiller quarterly inspection"
    assert "leak_photo" in got["visible"]


@pytest.mark.parametrize(
    "key,value,why",
    [
        ("isolated", "perhaps", "answer yes, no or na"),
        ("oil_pressure", "high", "answer a number"),
        ("leak", "huge", "answer one of none, minor, major"),
        ("checks", ["wheels"], "distinct choices"),
        ("remarks", " ", "a text of 1 to 5000"),
        ("hours", -3, ">= 0"),
        ("witness", {"signer_name": "Ann"}, "needs strokes"),
        ("leak_photo", str(uuid.UUID(int=7)), "not a photo of ticket"),
    ],
)
def test_a_value_that_can_never_answer_is_422(api, planned, key, value, why):
    engineer, ticket = planned
    res = put(api, engineer, ticket, key, value)
    assert res.status_code == 422
    assert why in res.json["message"]
    assert "value" in res.json["errors"]


def test_unknown_item_and_ticket_without_checklist_are_422(api, planned, job):
    engineer, ticket = planned
    res = put(api, engineer, ticket, "colour", "red")
    assert res.status_code == 422 and res.json["errors"] == {"item_key": ["unknown item"]}
    other_engineer, plain = job()
    res = put(api, other_engineer, plain, "isolated", "yes")
    assert res.status_code == 422 and res.json["errors"] == {"ticket_id": ["no checklist"]}
    assert api("get", f"/api/v1/tickets/{plain.id}/checklist", other_engineer).status_code == 422


def test_out_of_range_is_kept_and_listed_as_failed(api, planned):
    engineer, ticket = planned
    res = put(api, engineer, ticket, "oil_pressure", 6.1)
    assert res.status_code == 200 and res.json["failed"] is True
    assert state(api, engineer, ticket)["failed"] == [
        {"key": "oil_pressure", "label": "Oil pressure"}
    ]
    put(api, engineer, ticket, "oil_pressure", 3)
    assert state(api, engineer, ticket)["failed"] == []


def test_the_latest_answer_wins_and_the_earlier_is_kept(api, planned):
    engineer, ticket = planned
    first = put(api, engineer, ticket, "isolated", "no").json
    second = put(api, engineer, ticket, "isolated", "yes").json
    rows = {
        r.id: r.status
        for r in db.session.scalars(
            select(ChecklistAnswer).where(ChecklistAnswer.ticket_id == ticket.id)
        )
    }
    assert rows == {uuid.UUID(first["id"]): "superseded", uuid.UUID(second["id"]): "current"}
    got = state(api, engineer, ticket)
    assert [(a["item_key"], a["value"]) for a in got["answers"]] == [("isolated", "yes")]
    # null clears: the item is unanswered again
    assert put(api, engineer, ticket, "isolated", None).status_code == 200
    assert "isolated" in state(api, engineer, ticket)["missing"]


def test_a_client_id_makes_a_retry_idempotent(api, planned):
    engineer, ticket = planned
    answer_id = str(uuid.uuid4())
    first = put(api, engineer, ticket, "leak", "none", id=answer_id)
    again = put(api, engineer, ticket, "leak", "none", id=answer_id)
    assert first.status_code == again.status_code == 200
    assert first.json == again.json
    clash = put(api, engineer, ticket, "leak", "major", id=answer_id)
    assert clash.status_code == 409


def test_only_the_assignee_or_staff_may_answer(api, planned, make_user, dispatcher):
    _, ticket = planned
    stranger = make_user("engineer")
    assert put(api, stranger, ticket, "isolated", "yes").status_code == 404
    assert api("get", f"/api/v1/tickets/{ticket.id}/checklist", stranger).status_code == 404
    assert put(api, dispatcher, ticket, "isolated", "yes").status_code == 200


def test_completion_refused_naming_missing_items_then_allowed(api, planned):
    engineer, ticket = planned

    def complete():
        return api(
            "post",
            f"/api/v1/tickets/{ticket.id}/transitions",
            engineer,
            json={"action": "complete"},
        )

    refused = complete()
    assert refused.status_code == 409
    assert refused.json["missing"] == [
        "checklist.isolated",
        "checklist.leak",
        "checklist.oil_pressure",
    ]
    put(api, engineer, ticket, "isolated", "yes")
    put(api, engineer, ticket, "leak", "major")  # shows the required leak photo
    put(api, engineer, ticket, "oil_pressure", 9)  # answered, though failed
    refused = complete()
    assert refused.status_code == 409 and refused.json["missing"] == ["checklist.leak_photo"]
    assert "leak_photo" in refused.json["message"]
    put(api, engineer, ticket, "leak_photo", str(_photo(ticket.id, engineer.id)))
    done = complete()
    assert done.status_code == 200, done.json
    assert done.json["status"] == "completed"


# ---- the sync mutation ------------------------------------------------------------------


def _push(http, user, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
    envelope = {"client_id": "phone-1", "schema_version": 1, "mutations": list(mutations)}
    return list(http.push(user, envelope)["results"])


def _answer(ticket, key: str, value: Any, mutation_id: str | None = None) -> dict[str, Any]:
    return {
        "id": mutation_id or str(uuid.uuid4()),
        "name": "checklist.answer",
        "args": {
            "id": str(uuid.uuid4()),
            "ticket_id": str(ticket.id),
            "item_key": key,
            "value": value,
            "occurred_at": "2026-12-03T10:00:00+00:00",
        },
    }


def _current(ticket_id: uuid.UUID) -> dict[str, Any]:
    rows = db.session.scalars(
        select(ChecklistAnswer).where(
            ChecklistAnswer.ticket_id == ticket_id, ChecklistAnswer.status == "current"
        )
    )
    return {r.item_key: r.value for r in rows}


def test_sync_answers_apply_in_order_the_latest_winning(http, planned):
    engineer, ticket = planned
    first, second = _answer(ticket, "leak", "minor"), _answer(ticket, "leak", "none")
    second["args"]["occurred_at"] = "2026-12-03T09:00:00+00:00"  # the device clock: ignored
    results = _push(http, engineer, first, second, _answer(ticket, "oil_pressure", 1))
    assert [r["status"] for r in results] == ["applied"] * 3
    assert results[2]["data"]["failed"] is True
    assert _current(ticket.id) == {"leak": "none", "oil_pressure": 1}
    again = _push(http, engineer, first)
    assert again[0]["status"] == "duplicate"
    assert _current(ticket.id)["leak"] == "none"


def test_a_refused_sync_answer_is_rejected_and_the_batch_goes_on(http, planned):
    engineer, ticket = planned
    results = _push(
        http, engineer, _answer(ticket, "isolated", "maybe"), _answer(ticket, "isolated", "yes")
    )
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["data"]["kind"] == "invalid"


@pytest.mark.parametrize("moved", ["reassigned", "cancelled"])
def test_answers_after_the_job_moved_on_are_kept_with_a_conflict(
    http,
    planned,
    make_user,
    dispatcher,
    moved,
):
    engineer, ticket = planned
    _push(http, engineer, _answer(ticket, "isolated", "yes"))
    ticket = db.session.get(Ticket, ticket.id)
    if moved == "reassigned":
        wo.assign_ticket(ticket, make_user("engineer"), actor=dispatcher)
    else:
        wo.transition(ticket, db.session.get(User, dispatcher.id), "cancel", reason="customer")
    db.session.commit()
    late = _answer(ticket, "isolated", "no")
    results = _push(http, engineer, late)
    assert results[0]["status"] == "conflict" and results[0]["conflict_id"]
    row = db.session.get(ChecklistAnswer, uuid.UUID(late["args"]["id"]))
    assert row is not None and row.status == "late" and row.value == "no"  # kept as evidence
    assert _current(ticket.id) == {"isolated": "yes"}  # and the job's answer unchanged
    conflict = db.session.get(SyncConflict, uuid.UUID(results[0]["conflict_id"]))
    assert conflict is not None
    assert conflict.kind == f"evidence_after_{'reassign' if moved == 'reassigned' else 'cancel'}"
    assert conflict.mine == {"item_key": "isolated", "value": "no"}


def test_the_phone_gets_the_definition_and_the_answers(http, planned):
    engineer, ticket = planned
    _push(http, engineer, _answer(ticket, "isolated", "yes"))
    page = http.pull(engineer, limit=1000)
    while page["has_more"]:
        page = http.pull(engineer, page["cursor"], limit=1000)
    first = http.pull(engineer, limit=1000)
    tickets = first["changes"]["tickets"]["upserts"]
    mine = next(t for t in tickets if t["id"] == str(ticket.id))
    job_type = mine["context"]["job_type"] if "context" in mine else mine["job_type"]
    assert job_type["name"] == "Chiller quarterly inspection"
    assert job_type["checklist"]["sections"][1]["items"][0]["max"] == 4.5
    answers = first["changes"]["checklist_answers"]["upserts"]
    assert [(a["item_key"], a["value"], a["status"]) for a in answers] == [
        ("isolated", "yes", "current")
    ]
