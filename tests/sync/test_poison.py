"""No input stalls a phone's sync (issue 13 item 3, issue 14): a mutation the server cannot
store is answered ``rejected`` with a reason and the rest of the batch applies; a retry of the
batch answers the same without a 500."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from backend.db import db
from backend.sync.models import SyncMutation
from backend.workorders.models import Note
from tests.sync.phone import Phone

LONE = "\ud83d"  # the first half of an emoji, as JSON.stringify sends it: "\ud83d"


def _job(make_ticket, assign, engineer):
    return assign(make_ticket(), engineer)


def _raw_push(client, auth, user, envelope):
    """Send the envelope exactly as a browser's JSON.stringify would (lone surrogates as
    ``\\udXXX`` escapes)."""
    body = json.dumps(envelope)
    assert "\\ud83d" in body or LONE not in body
    return client.post(
        "/api/v1/sync/push",
        data=body,
        content_type="application/json",
        headers=auth(user),
    )


@pytest.mark.parametrize(
    "poison",
    [
        {"body": f"half an emoji {LONE} here"},
        {"body": f"low half {chr(0xDE00)} alone"},
        {"body": "bad\x00body"},
    ],
    ids=["high-surrogate", "low-surrogate", "nul"],
)
def test_unstorable_note_is_rejected_and_the_rest_applies_on_every_retry(
    client, auth, make_user, make_ticket, assign, poison
):
    alice = make_user()
    job = _job(make_ticket, assign, alice)
    phone = Phone(alice.id)
    good1 = uuid.uuid4()
    phone.queue("note.add", id=good1, ticket_id=job.id, body="before")
    bad = phone.queue("note.add", id=uuid.uuid4(), ticket_id=job.id, **poison)
    good2 = uuid.uuid4()
    phone.queue("note.add", id=good2, ticket_id=job.id, body="after 😀")

    for attempt in range(2):  # the retry answers the same, never a 500
        res = _raw_push(client, auth, alice, phone.envelope())
        assert res.status_code == 200, res.get_json()
        results = res.get_json()["results"]
        statuses = [r["status"] for r in results]
        if attempt == 0:
            assert statuses == ["applied", "rejected", "applied"]
            # the refusal's code, which the app says in the engineer's language (issue #12)
            assert results[1]["data"]["kind"] == "invalid_args", results[1]
        else:
            assert statuses == ["duplicate"] * 3
            assert results[1]["original_status"] == "rejected"
        assert "body" in results[1]["error"]
        assert "NUL" in results[1]["error"] or "surrogate" in results[1]["error"]
    bodies = db.session.scalars(select(Note.body).where(Note.ticket_id == job.id)).all()
    assert sorted(bodies) == ["after 😀", "before"]
    stored = db.session.get(SyncMutation, uuid.UUID(bad))
    assert stored is not None and stored.status == "rejected"
    assert "\ufffd" in stored.args["body"]  # kept for support, made storable


def test_lone_surrogate_in_a_dict_key_or_nested_list_is_rejected(
    client, auth, make_user, make_ticket, assign, dispatcher
):
    job = make_ticket()
    phone = Phone(dispatcher.id)
    phone.queue(
        "ticket.update", ticket_id=job.id, base_version=job.version, changes={f"k{LONE}": 1}
    )
    phone.queue(
        "ticket.update",
        ticket_id=job.id,
        base_version=job.version,
        changes={"required_skills": ["ok", f"bad{LONE}"]},
    )
    phone.queue("note.add", id=uuid.uuid4(), ticket_id=job.id, body="fine")
    res = _raw_push(client, auth, dispatcher, phone.envelope())
    assert res.status_code == 200, res.get_json()
    results = res.get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert "surrogate" in results[0]["error"] and "surrogate" in results[1]["error"]
    assert [r["data"]["kind"] for r in results[:2]] == ["invalid_args", "invalid_args"]


@pytest.mark.parametrize(
    "mutation",
    [
        {"name": f"note.add{LONE}", "args": {}},
        {"name": "note\x00add", "args": {}},
        {"name": "x" * 500, "args": {}},
        {"name": "note.add", "args": "not an object"},
        {"name": "note.add", "args": [1, 2]},
    ],
    ids=["surrogate-name", "nul-name", "long-name", "args-string", "args-list"],
)
def test_a_malformed_mutation_is_rejected_alone_not_the_batch(
    client, auth, make_user, make_ticket, assign, mutation
):
    alice = make_user()
    job = _job(make_ticket, assign, alice)
    good = {
        "id": str(uuid.uuid4()),
        "name": "note.add",
        "args": {"id": str(uuid.uuid4()), "ticket_id": str(job.id), "body": "fine"},
    }
    bad = {"id": str(uuid.uuid4()), **mutation}
    envelope = {"client_id": "phone-1", "schema_version": 1, "mutations": [bad, good]}
    for _ in range(2):
        res = _raw_push(client, auth, alice, envelope)
        assert res.status_code == 200, res.get_json()
    results = res.get_json()["results"]
    assert [r.get("original_status") for r in results] == ["rejected", "applied"]
    assert results[0]["error"]


def test_ticket_update_changes_are_bounded_and_typed(http, make_ticket, dispatcher):
    """``changes`` has the REST maxima (so the push cap can be derived): an unknown or
    oversized field is rejected alone; a GeoJSON location now applies (it used to fail)."""
    job = make_ticket()
    phone = Phone(dispatcher.id)
    phone.queue("ticket.update", ticket_id=job.id, base_version=job.version, changes={"x": 1})
    phone.queue(
        "ticket.update", ticket_id=job.id, base_version=job.version, changes={"title": "t" * 201}
    )
    phone.queue(
        "ticket.update",
        ticket_id=job.id,
        base_version=job.version,
        changes={"title": "moved", "location": {"type": "Point", "coordinates": [13.5, 52.5]}},
    )
    results = http.push(dispatcher, phone.envelope())["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"], results
    assert "x" in results[0]["error"] and "title" in results[1]["error"]
