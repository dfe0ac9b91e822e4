"""Photo upload and access over HTTP, renditions by a real rq burst worker."""

from __future__ import annotations

import hashlib
import io
import uuid

from PIL import Image

from backend.db import db
from backend.media.models import Photo
from backend.media.operations import register_photo
from backend.media.storage import MediaSettings
from backend.sync.registry import MUTATIONS, MutationContext
from tests.media.conftest import GPS_IFD, photo_bytes, png_header_only, upload


def _new() -> str:
    return str(uuid.uuid4())


def test_upload_then_renditions_by_worker(client, auth, job_setup, run_jobs):
    eng, ticket = job_setup["engineer"], job_setup["ticket"]
    data = photo_bytes(2400, 1800, orientation=6, two_tone=True)
    pid = _new()
    resp = upload(
        client, auth(eng), ticket.id, data, pid, sha256=hashlib.sha256(data).hexdigest().upper()
    )
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["id"] == pid and body["status"] == "uploaded"
    assert body["processing"] == "waiting" and body["renditions"] == {}
    assert body["captured_at"].startswith("2026-11-20T10:11:12")
    assert (body["width"], body["height"]) == (1800, 2400)
    # Not ready before the job: a precise 409, not a broken image.
    pending = client.get(f"/api/v1/photos/{pid}/thumb", headers=auth(eng))
    assert pending.status_code == 409 and "being processed" in pending.json["message"]

    run_jobs()

    listed = client.get(f"/api/v1/tickets/{ticket.id}/photos", headers=auth(eng)).json
    assert listed[0]["processing"] == "ready"
    assert listed[0]["renditions"]["display"]["width"] == 1200
    assert listed[0]["renditions"]["thumb"]["url"] == f"/api/v1/photos/{pid}/thumb"
    for variant, size in (("display", (1200, 1600)), ("thumb", (240, 320))):
        resp = client.get(f"/api/v1/photos/{pid}/{variant}", headers=auth(eng))
        assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
        im = Image.open(io.BytesIO(resp.data))
        assert im.size == size
        assert not im.getexif().get_ifd(GPS_IFD) and len(im.getexif()) == 0
        # orientation applied: the stored top (red) is on the right when viewed
        px = im.convert("RGB")
        assert px.getpixel((size[0] - 5, size[1] // 2))[0] > 200
        assert px.getpixel((5, size[1] // 2))[2] > 200
    # The original is kept byte for byte, for staff.
    staff = client.get(f"/api/v1/photos/{pid}/original", headers=auth(job_setup["dispatcher"]))
    assert staff.status_code == 200 and staff.data == data
    # Conditional GET works on the served bytes.
    etag = staff.headers["ETag"]
    again = client.get(
        f"/api/v1/photos/{pid}/original",
        headers={**auth(job_setup["dispatcher"]), "If-None-Match": etag},
    )
    assert again.status_code == 304


def test_reupload_same_id_and_bytes_is_idempotent(client, auth, job_setup, redis_client):
    eng, ticket = job_setup["engineer"], job_setup["ticket"]
    data, pid = photo_bytes(), _new()
    first = upload(client, auth(eng), ticket.id, data, pid)
    queued = redis_client.llen("rq:queue:default")
    second = upload(client, auth(eng), ticket.id, data, pid)
    assert first.status_code == second.status_code == 201
    assert second.json["version"] == first.json["version"]
    assert second.json["uploaded_at"] == first.json["uploaded_at"]
    assert redis_client.llen("rq:queue:default") == queued  # no second rendition job
    assert db.session.query(Photo).filter_by(ticket_id=ticket.id).count() == 1


def test_reupload_requeues_a_lost_rendition_job(client, auth, job_setup, redis_client, run_jobs):
    from datetime import timedelta

    eng, ticket = job_setup["engineer"], job_setup["ticket"]
    data, pid = photo_bytes(), _new()
    assert upload(client, auth(eng), ticket.id, data, pid).status_code == 201
    redis_client.flushdb()  # the queued job is lost (Redis restarted)
    photo = db.session.get(Photo, uuid.UUID(pid))
    photo.uploaded_at = photo.uploaded_at - timedelta(minutes=5)
    db.session.commit()
    assert upload(client, auth(eng), ticket.id, data, pid).status_code == 201
    run_jobs()
    db.session.expire_all()
    assert db.session.get(Photo, uuid.UUID(pid)).processing == "ready"


def test_same_id_other_bytes_is_409(client, auth, job_setup):
    eng, ticket = job_setup["engineer"], job_setup["ticket"]
    pid = _new()
    assert upload(client, auth(eng), ticket.id, photo_bytes(seed=1), pid).status_code == 201
    resp = upload(client, auth(eng), ticket.id, photo_bytes(seed=2), pid)
    assert resp.status_code == 409
    assert "immutable" in resp.json["message"] and resp.json["registered_sha256"]


def test_registered_then_uploaded_matches_hash(client, auth, job_setup, app):
    eng, ticket = job_setup["engineer"], job_setup["ticket"]
    data, pid = photo_bytes(), uuid.uuid4()
    handler = MUTATIONS["photo.register"]
    args = handler.schema().load(
        {
            "id": str(pid),
            "ticket_id": str(ticket.id),
            "sha256": hashlib.sha256(data).hexdigest(),
            "content_type": "image/jpeg",
            "size": len(data),
            "extra_field": "ignored",
        }
    )
    ctx = MutationContext(user=eng, mutation_id=uuid.uuid4(), client_id="phone-1", schema_version=1)
    outcome = handler.handler(args, ctx)
    assert outcome.status == "applied" and outcome.data["status"] == "pending"
    assert handler.handler(args, ctx).data["photo_id"] == str(pid)  # re-register: no-op
    db.session.commit()
    photo = db.session.get(Photo, pid)
    assert photo.status == "pending" and photo.registered_via == "sync"
    # A registered photo without bytes is visible but not servable yet.
    resp = client.get(f"/api/v1/photos/{pid}/display", headers=auth(eng))
    assert resp.status_code == 409 and "not been uploaded" in resp.json["message"]
    # Other bytes under that id: refused.
    wrong = upload(client, auth(eng), ticket.id, photo_bytes(seed=9), str(pid))
    assert wrong.status_code == 409 and wrong.json["registered_sha256"] == photo.sha256
    ok = upload(client, auth(eng), ticket.id, data, str(pid))
    assert ok.status_code == 201 and ok.json["status"] == "uploaded"


def test_register_rejects_bad_values(job_setup, app):
    eng, ticket = job_setup["engineer"], job_setup["ticket"]
    settings = MediaSettings.from_config(app.config)
    common = {"actor": eng, "ticket_id": ticket.id, "photo_id": uuid.uuid4(), "settings": settings}
    import pytest

    from backend.errors import Invalid, NotFound, TooLarge, UnsupportedMedia

    with pytest.raises(UnsupportedMedia):
        register_photo(**common, sha256="a" * 64, content_type="image/gif", size=10)
    with pytest.raises(Invalid):
        register_photo(**common, sha256="xyz", content_type="image/jpeg", size=10)
    with pytest.raises(TooLarge):
        register_photo(**common, sha256="a" * 64, content_type="image/jpeg", size=10**9)
    with pytest.raises(NotFound):
        register_photo(
            **{**common, "actor": job_setup["other"]},
            sha256="a" * 64,
            content_type="image/jpeg",
            size=10,
        )


def test_validation_failures(client, auth, job_setup, app, monkeypatch):
    eng, ticket = job_setup["engineer"], job_setup["ticket"]
    h = auth(eng)
    text = upload(client, h, ticket.id, b"just some notes about the job\n" * 10, _new())
    assert text.status_code == 415 and "plain text" in text.json["message"]
    bomb = upload(client, h, ticket.id, png_header_only(20_000, 20_000), _new())
    assert bomb.status_code == 413
    big = upload(client, h, ticket.id, png_header_only(8000, 7000), _new())
    assert big.status_code == 413 and "megapixels" in big.json["message"]
    data = photo_bytes()
    truncated = upload(client, h, ticket.id, data[: len(data) // 2], _new())
    assert truncated.status_code == 422 and "damaged" in truncated.json["message"]
    bad_sha = upload(client, h, ticket.id, data, _new(), sha256="0" * 64)
    assert bad_sha.status_code == 422 and "does not match" in bad_sha.json["message"]
    no_file = client.post(
        f"/api/v1/tickets/{ticket.id}/photos",
        data={"id": _new()},
        headers=h,
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422 and "file" in str(no_file.json["errors"])
    no_id = client.post(
        f"/api/v1/tickets/{ticket.id}/photos",
        data={"file": (io.BytesIO(data), "a.jpg")},
        headers=h,
        content_type="multipart/form-data",
    )
    assert no_id.status_code == 422 and "id" in str(no_id.json["errors"])
    bad_id = upload(client, h, ticket.id, data, "not-a-uuid")
    assert bad_id.status_code == 422
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 10_000)
    too_big = upload(client, h, ticket.id, data, _new())
    assert too_big.status_code == 413 and "limit is 10000 bytes" in too_big.json["message"]
    # Nothing was stored by any refused upload.
    assert db.session.query(Photo).filter_by(ticket_id=ticket.id).count() == 0


def test_request_over_max_content_length_is_413_json(client, auth, job_setup, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50_000)
    resp = upload(
        client, auth(job_setup["engineer"]), job_setup["ticket"].id, b"\xff" * 60_000, _new()
    )
    assert resp.status_code == 413 and resp.is_json


def test_access_rules(client, auth, job_setup, run_jobs):
    eng, other, ticket = job_setup["engineer"], job_setup["other"], job_setup["ticket"]
    pid = _new()
    assert upload(client, auth(eng), ticket.id, photo_bytes(), pid).status_code == 201
    run_jobs()
    # Another engineer can neither upload to nor see the job's photos: 404, like a bad id.
    assert upload(client, auth(other), ticket.id, photo_bytes(), _new()).status_code == 404
    for variant in ("display", "thumb", "original"):
        assert client.get(f"/api/v1/photos/{pid}/{variant}", headers=auth(other)).status_code == 404
    assert client.get(f"/api/v1/tickets/{ticket.id}/photos", headers=auth(other)).status_code == 404
    # The assigned engineer sees renditions but never the original.
    original = client.get(f"/api/v1/photos/{pid}/original", headers=auth(eng))
    assert original.status_code == 403 and "original" in original.json["message"]
    assert client.get(f"/api/v1/photos/{pid}/display", headers=auth(eng)).status_code == 200
    assert client.get(f"/api/v1/photos/{pid}/display").status_code == 401
    assert client.get(f"/api/v1/photos/{pid}/huge", headers=auth(eng)).status_code == 404
    assert client.get(f"/api/v1/photos/{_new()}/display", headers=auth(eng)).status_code == 404


def test_former_assignee_keeps_offline_evidence(client, auth, job_setup):
    """Registered offline, reassigned meanwhile: the upload is still accepted and attached."""
    from backend.workorders.operations import assign_ticket

    eng, other, ticket = job_setup["engineer"], job_setup["other"], job_setup["ticket"]
    data = photo_bytes()
    handler = MUTATIONS["photo.register"]
    ctx = MutationContext(user=eng, mutation_id=uuid.uuid4(), client_id="p", schema_version=1)
    pid = uuid.uuid4()
    handler.handler(
        handler.schema().load(
            {
                "id": str(pid),
                "ticket_id": str(ticket.id),
                "content_type": "image/jpeg",
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
            }
        ),
        ctx,
    )
    assign_ticket(ticket, other, actor=job_setup["dispatcher"])
    db.session.commit()
    resp = upload(client, auth(eng), ticket.id, data, str(pid))
    assert resp.status_code == 201 and resp.json["ticket_id"] == str(ticket.id)
    # ...but the former assignee no longer sees the job's photos.
    assert client.get(f"/api/v1/photos/{pid}/thumb", headers=auth(eng)).status_code == 404


def test_webp_and_png_uploads(client, auth, job_setup, run_jobs):
    eng, ticket = job_setup["engineer"], job_setup["ticket"]
    for fmt in ("PNG", "WEBP"):
        pid = _new()
        resp = upload(client, auth(eng), ticket.id, photo_bytes(1800, 900, fmt=fmt), pid)
        assert resp.status_code == 201 and resp.json["content_type"] == f"image/{fmt.lower()}"
    run_jobs()
    photos = client.get(f"/api/v1/tickets/{ticket.id}/photos", headers=auth(eng)).json
    assert [p["renditions"]["display"]["width"] for p in photos] == [1600, 1600]


def test_openapi_documents_the_photo_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    op = spec["paths"]["/api/v1/tickets/{ticket_id}/photos"]["post"]
    assert {"201", "409", "413", "415", "422"} <= set(op["responses"])
    assert "multipart/form-data" in op["requestBody"]["content"]
    get = spec["paths"]["/api/v1/photos/{photo_id}/{variant}"]["get"]
    assert {"200", "302", "403", "404", "409"} <= set(get["responses"])


def test_lost_insert_race_resolves_to_the_stored_row(job_setup):
    """A concurrent upload inserted the same id first (unseen by our earlier read): same
    bytes -> the stored row is returned; other bytes -> 409, never a 500."""
    import pytest
    from sqlalchemy import insert

    from backend.errors import Conflict
    from backend.media.operations import _add

    ticket = job_setup["ticket"]
    pid = uuid.uuid4()
    row = {
        "id": pid,
        "ticket_id": ticket.id,
        "origin": "staff",
        "status": "uploaded",
        "processing": "waiting",
        "sha256": "a" * 64,
        "content_type": "image/jpeg",
        "size": 1,
        "registered_via": "api",
        "renditions": {},
        "version": 1,
        "created_at": ticket.created_at,
        "updated_at": ticket.created_at,
    }
    db.session.execute(insert(Photo).values(**row))
    same = Photo(**{**row, "id": pid})
    assert _add(same).sha256 == "a" * 64
    db.session.expunge_all()
    other = Photo(**{**row, "sha256": "b" * 64})
    with pytest.raises(Conflict, match="immutable"):
        _add(other)
