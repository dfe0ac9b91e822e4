"""Customer report photos, S3 round trip against a real S3-compatible server, signed links."""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from PIL import Image

from backend.media.storage import LocalStorage, get_storage
from tests.media.conftest import photo_bytes, upload


def _public_upload(client, token, data, photo_id=None):
    form = {"file": (io.BytesIO(data), "IMG_0001.jpg")}
    if photo_id:
        form["id"] = photo_id
    return client.post(
        f"/api/v1/public/tracking/{token}/photos", data=form, content_type="multipart/form-data"
    )


@pytest.fixture()
def public_ticket(make_ticket):
    ticket = make_ticket(source="public", contact={"name": "Ada"})
    return ticket.id, ticket.tracking_token


def test_customer_uploads_up_to_three_and_sees_only_their_own(
    client, auth, public_ticket, make_user, run_jobs
):
    ticket_id, token = public_ticket
    ids = []
    for n in range(3):
        resp = _public_upload(client, token, photo_bytes(seed=n))
        assert resp.status_code == 201, resp.json
        assert "sha256" not in resp.json and "ticket_id" not in resp.json
        ids.append(resp.json["id"])
    fourth = _public_upload(client, token, photo_bytes(seed=7))
    assert fourth.status_code == 409 and "at most 3 photos" in fourth.json["message"]
    # A retry of an accepted photo (same id, same bytes) is still fine after the limit.
    pid = str(uuid.uuid4())
    # ...and the limit counts distinct photos: a new id is refused even when retried.
    assert _public_upload(client, token, photo_bytes(seed=8), pid).status_code == 409

    # A staff photo on the same ticket is not the customer's to see.
    dispatcher = make_user("dispatcher")
    staff_id = str(uuid.uuid4())
    staff_up = upload(client, auth(dispatcher), ticket_id, photo_bytes(seed=5), staff_id)
    assert staff_up.status_code == 201
    run_jobs()

    listed = client.get(f"/api/v1/public/tracking/{token}/photos").json
    assert sorted(p["id"] for p in listed) == sorted(ids)
    url = listed[0]["renditions"]["thumb"]["url"]
    assert url.startswith(f"/api/v1/public/tracking/{token}/photos/")
    thumb = client.get(url)
    assert thumb.status_code == 200 and max(Image.open(io.BytesIO(thumb.data)).size) == 320
    base = f"/api/v1/public/tracking/{token}/photos"
    assert client.get(f"{base}/{ids[0]}/display").status_code == 200
    assert client.get(f"{base}/{ids[0]}/original").status_code == 404
    assert client.get(f"{base}/{staff_id}/display").status_code == 404
    assert client.get(f"/api/v1/public/tracking/nope/photos/{ids[0]}/display").status_code == 404
    # Staff see the customer's photos too (they are evidence on the ticket).
    staff_view = client.get(f"/api/v1/photos/{ids[0]}/original", headers=auth(dispatcher))
    assert staff_view.status_code == 200


def test_customer_upload_is_validated_and_rate_limited(client, public_ticket, app, monkeypatch):
    _, token = public_ticket
    text = _public_upload(client, token, b"please fix my fridge\n" * 5)
    assert text.status_code == 415 and "plain text" in text.json["message"]
    assert _public_upload(client, "unknown-token", photo_bytes()).status_code == 404
    monkeypatch.setitem(app.config, "PUBLIC_PHOTO_LIMIT", "2 per minute")
    codes = [_public_upload(client, token, photo_bytes(seed=n)).status_code for n in range(2)]
    limited = _public_upload(client, token, photo_bytes(seed=3))
    assert codes == [201, 201]
    assert limited.status_code == 429 and "Retry-After" in limited.headers


def test_s3_round_trip_with_presigned_urls(client, auth, job_setup, s3_config, run_jobs):
    eng, ticket, dispatcher = job_setup["engineer"], job_setup["ticket"], job_setup["dispatcher"]
    data, pid = photo_bytes(2000, 1500, orientation=3), str(uuid.uuid4())
    assert upload(client, auth(eng), ticket.id, data, pid).status_code == 201
    # The original is in the bucket, not on disk.
    keys = [
        o["Key"]
        for o in s3_config.client.list_objects_v2(Bucket=s3_config.bucket, Prefix=f"photos/{pid}/")[
            "Contents"
        ]
    ]
    sha = hashlib.sha256(data).hexdigest()
    assert keys == [f"photos/{pid}/original-{sha[:16]}.jpg"]
    run_jobs()
    resp = client.get(f"/api/v1/photos/{pid}/display", headers=auth(eng))
    assert resp.status_code == 302 and resp.headers["Cache-Control"] == "no-store"
    url = resp.headers["Location"]
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == ["300"] and "X-Amz-Signature" in query
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(fetched.content)).size == (1600, 1200)
    original = client.get(f"/api/v1/photos/{pid}/original?download=true", headers=auth(dispatcher))
    got = requests.get(original.headers["Location"], timeout=10)
    assert got.content == data and "attachment" in got.headers["Content-Disposition"]


def test_s3_url_lifetime_follows_config(client, auth, job_setup, s3_config, app, monkeypatch):
    """moto's server does not enforce signatures or expiry, so this checks what we control:
    the presigned URL carries the configured lifetime (real S3 enforces it)."""
    monkeypatch.setitem(app.config, "MEDIA_URL_TTL_S", 45)
    dispatcher, ticket = job_setup["dispatcher"], job_setup["ticket"]
    pid = str(uuid.uuid4())
    assert upload(client, auth(dispatcher), ticket.id, photo_bytes(), pid).status_code == 201
    resp = client.get(f"/api/v1/photos/{pid}/original", headers=auth(dispatcher))
    query = parse_qs(urlparse(resp.headers["Location"]).query)
    assert query["X-Amz-Expires"] == ["45"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]


def test_local_signed_links_expire_and_cannot_be_forged(client, app, monkeypatch):
    with app.app_context():
        storage = get_storage()
    assert isinstance(storage, LocalStorage)
    storage.put("tests/hello.txt", b"hello", "text/plain")
    url = storage.url("tests/hello.txt", expires_in=60, content_type="text/plain")
    ok = client.get(url)
    assert ok.status_code == 200 and ok.data == b"hello" and ok.mimetype == "text/plain"
    assert client.get(url[:-3] + "abc").status_code == 404
    monkeypatch.setattr(time, "time", lambda: 10**10)
    expired = client.get(url)
    assert expired.status_code == 404 and "expired" in expired.json["message"]


def test_storage_keys_cannot_escape_the_root(app):
    with app.app_context():
        storage = get_storage()
    for bad in ("../etc/passwd", "/abs", "a//b", "a/./b"):
        with pytest.raises(ValueError):
            storage.put(bad, b"x", "text/plain")
