"""photo.register through the real sync push, upload afterwards, state back through pull."""

from __future__ import annotations

import hashlib
import uuid

from backend.db import db
from backend.media.models import Photo
from backend.workorders.operations import assign_ticket
from tests.media.conftest import photo_bytes, upload


def _push(client, headers, *mutations):
    body = {
        "client_id": "phone-1",
        "schema_version": 1,
        "mutations": [{"id": str(uuid.uuid4()), "name": n, "args": a} for n, a in mutations],
    }
    resp = client.post("/api/v1/sync/push", json=body, headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json["results"]


def _args(pid, ticket_id, data):
    return {
        "id": str(pid),
        "ticket_id": str(ticket_id),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "image/jpeg",
        "size": len(data),
        "occurred_at": "2026-11-22T01:00:00+00:00",
    }


def _pulled_photos(client, headers):
    cursor, photos = None, {}
    for _ in range(20):
        resp = client.get(
            "/api/v1/sync/pull",
            query_string={"cursor": cursor} if cursor else {},
            headers=headers,
        ).json
        for row in resp["changes"].get("photos", {}).get("upserts", []):
            photos[row["id"]] = row
        cursor = resp["cursor"]
        if not resp["has_more"]:
            return photos
    raise AssertionError("pull did not finish")


def test_register_offline_then_upload_then_pull(client, auth, job_setup, run_jobs):
    eng, ticket = job_setup["engineer"], job_setup["ticket"]
    data, pid = photo_bytes(), uuid.uuid4()
    [res] = _push(client, auth(eng), ("photo.register", _args(pid, ticket.id, data)))
    assert res["status"] == "applied"
    assert _pulled_photos(client, auth(eng))[str(pid)]["status"] == "pending"
    # Mismatching bytes under the registered id: refused.
    assert upload(client, auth(eng), ticket.id, photo_bytes(seed=3), str(pid)).status_code == 409
    assert upload(client, auth(eng), ticket.id, data, str(pid)).status_code == 201
    run_jobs()
    row = _pulled_photos(client, auth(eng))[str(pid)]
    assert row["status"] == "uploaded" and row["processing"] == "ready"
    assert row["renditions"]["thumb"]["url"] == f"/api/v1/photos/{pid}/thumb"
    assert "original_key" not in row and "key" not in row["renditions"]["thumb"]


def test_reregistering_with_another_hash_is_a_conflict(client, auth, job_setup):
    eng, ticket = job_setup["engineer"], job_setup["ticket"]
    pid = uuid.uuid4()
    _push(client, auth(eng), ("photo.register", _args(pid, ticket.id, photo_bytes(seed=1))))
    [res] = _push(client, auth(eng), ("photo.register", _args(pid, ticket.id, photo_bytes(seed=2))))
    assert res["status"] == "conflict"


def test_bad_args_rejected_not_500(client, auth, job_setup):
    eng, ticket = job_setup["engineer"], job_setup["ticket"]
    bad = {**_args(uuid.uuid4(), ticket.id, b"x"), "sha256": "nothex", "content_type": "image/gif"}
    [res] = _push(client, auth(eng), ("photo.register", bad))
    assert res["status"] == "rejected" and "sha256" in res["error"]


def test_register_after_reassignment_is_kept_with_a_conflict(client, auth, job_setup):
    eng, other, ticket = job_setup["engineer"], job_setup["other"], job_setup["ticket"]
    ticket_id = ticket.id
    assign_ticket(ticket, other, actor=job_setup["dispatcher"])
    db.session.commit()
    pid = uuid.uuid4()
    [res] = _push(client, auth(eng), ("photo.register", _args(pid, ticket_id, photo_bytes())))
    assert res["status"] == "conflict" and res.get("conflict_id")
    assert db.session.get(Photo, pid).ticket_id == ticket_id  # evidence kept and attached
