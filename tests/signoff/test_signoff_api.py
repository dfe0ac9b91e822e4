"""Sign-off over HTTP: completion refused with the exact list of what is missing, then
allowed; write-once signatures with conflicts kept; access; the sync mutation."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.db import db
from backend.media.models import Photo
from backend.signoff.models import Signoff
from backend.sync.models import SyncConflict
from backend.workorders.models import Ticket

STROKES = [[[10, 80], [40, 20], [70, 90], [100, 30]], [[120, 60], [180, 60]]]
OTHER = [[[0, 0], [50, 50], [100, 0]]]


def add_photo(ticket_id: uuid.UUID, engineer_id: uuid.UUID) -> None:
    db.session.add(
        Photo(
            id=uuid.uuid4(),
            ticket_id=ticket_id,
            uploaded_by_id=engineer_id,
            origin="staff",
            status="pending",
            sha256="a" * 64,
            content_type="image/jpeg",
            size=1234,
        )
    )
    db.session.commit()


def complete(client, ticket, headers):
    return client.post(
        f"/api/v1/tickets/{ticket.id}/transitions", json={"action": "complete"}, headers=headers
    )


def sign(client, ticket, headers, strokes=STROKES, name="Dana Customer", **extra):
    body = {"signer_name": name, "signature": {"strokes": strokes}, **extra}
    return client.post(f"/api/v1/tickets/{ticket.id}/signoff", json=body, headers=headers)


def test_completion_refused_listing_exactly_what_is_missing_then_allowed(client, auth, job):
    engineer, ticket = job(priority="P1")
    h = auth(engineer)
    r = complete(client, ticket, h)
    assert r.status_code == 409, r.json
    assert r.json["missing"] == ["signature", "photos", "parts"]

    add_photo(ticket.id, engineer.id)
    client.post(f"/api/v1/tickets/{ticket.id}/parts/none", json={}, headers=h)
    checklist = client.get(f"/api/v1/tickets/{ticket.id}/signoff", headers=h).json
    assert checklist["missing"] == ["signature"]
    assert checklist["requirements"] == {"signature": True, "photos": 1, "parts": True}

    # The signature is the last thing missing: signing completes the job.
    signed = sign(
        client,
        ticket,
        h,
        rating=5,
        comment="quick and tidy",
        location={"type": "Point", "coordinates": [13.4, 52.52]},
    )
    assert signed.status_code == 201, signed.json
    assert signed.json["completed"] is True and signed.json["missing"] == []
    assert signed.json["ticket_status"] == "completed"
    s = signed.json["signoff"]
    assert s["signer_name"] == "Dana Customer" and s["rating"] == 5
    assert s["location"] == {"type": "Point", "coordinates": [13.4, 52.52]}
    png = client.get(s["signature_url"], headers=h)
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_signing_before_work_is_done_records_but_does_not_complete(client, auth, job):
    engineer, ticket = job(upto="arrive")  # on site, work not started
    h = auth(engineer)
    r = sign(client, ticket, h)
    assert r.status_code == 201 and r.json["completed"] is False
    assert r.json["missing"] == ["parts"] and r.json["ticket_status"] == "on_site"


def test_second_different_signature_is_a_kept_conflict(client, auth, job):
    engineer, ticket = job()
    h = auth(engineer)
    first = sign(client, ticket, h)
    assert first.status_code == 201
    replay = sign(client, ticket, h)  # the same signature again: answered, not duplicated
    assert replay.status_code == 201 and replay.json["result"] == "duplicate"
    assert replay.json["signoff"]["id"] == first.json["signoff"]["id"]

    second = sign(client, ticket, h, strokes=OTHER, name="Someone Else")
    assert second.status_code == 409, second.json
    assert "already signed" in second.json["message"]
    assert second.json["accepted_signoff_id"] == first.json["signoff"]["id"]

    rows = list(db.session.scalars(select(Signoff).where(Signoff.ticket_id == ticket.id)))
    assert sorted(r.status for r in rows) == ["accepted", "conflict"]  # both kept
    conflict_row = next(r for r in rows if r.status == "conflict")
    assert str(conflict_row.conflict_of_id) == first.json["signoff"]["id"]
    conflict = db.session.get(SyncConflict, uuid.UUID(second.json["conflict_id"]))
    assert conflict.kind == "second_signature" and conflict.actor_id == engineer.id
    assert conflict.theirs["signer_name"] == "Dana Customer"
    listed = client.get(f"/api/v1/tickets/{ticket.id}/signoff", headers=h).json["signoffs"]
    assert [x["status"] for x in listed] == ["accepted", "conflict"]


def test_wrong_engineer_and_bad_input(client, auth, job, make_user):
    engineer, ticket = job()
    stranger = make_user("engineer")
    assert sign(client, ticket, auth(stranger)).status_code == 404
    assert (
        client.get(f"/api/v1/tickets/{ticket.id}/report.pdf", headers=auth(stranger))
    ).status_code == 404
    h = auth(engineer)
    first = sign(client, ticket, h)
    url = first.json["signoff"]["signature_url"]
    assert client.get(url, headers=auth(stranger)).status_code == 404
    assert sign(client, ticket, h, rating=6).status_code == 422
    blank = sign(client, ticket, h, name="")
    assert blank.status_code == 422 and "signer_name" in blank.json["message"]
    bad = sign(client, ticket, h, strokes=[[[1, "x"]]])
    assert bad.status_code == 422 and "strokes[0][0]" in bad.json["message"]


def test_sync_signoff_submit_shares_the_operation(client, auth, job):
    engineer, ticket = job()
    h = auth(engineer)
    client.post(f"/api/v1/tickets/{ticket.id}/parts/none", json={}, headers=h)
    args = {
        "id": str(uuid.uuid4()),
        "ticket_id": str(ticket.id),
        "signer_name": "李小龙",
        "signature": {"strokes": STROKES},
        "rating": 4,
    }
    body = {
        "client_id": "phone-1",
        "schema_version": 1,
        "mutations": [
            {"id": str(uuid.uuid4()), "name": "signoff.submit", "args": args},
            {
                "id": str(uuid.uuid4()),
                "name": "signoff.submit",
                "args": {**args, "id": str(uuid.uuid4()), "signature": {"strokes": OTHER}},
            },
        ],
    }
    r = client.post("/api/v1/sync/push", json=body, headers=h)
    assert r.status_code == 200, r.json
    first, second = r.json["results"]
    assert first["status"] == "applied"
    assert second["status"] == "conflict" and second["conflict_id"]
    assert db.session.get(Ticket, ticket.id).status == "completed"  # rules met: completed
    rows = list(db.session.scalars(select(Signoff).where(Signoff.ticket_id == ticket.id)))
    assert {(r.status, r.via) for r in rows} == {("accepted", "sync"), ("conflict", "sync")}
