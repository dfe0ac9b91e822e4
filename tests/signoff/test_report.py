"""The service report PDF: parsed back with pypdf; cached per ticket state; the customer's
copy through the tracking link only after completion."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from flask import current_app
from PIL import Image
from pypdf import PdfReader

from backend.db import db
from backend.media.models import Photo
from backend.signoff import storage
from backend.signoff.report import fingerprint
from backend.workorders.models import Ticket
from backend.workorders.operations import add_note

STROKES = [[[10, 80], [40, 20], [70, 90], [100, 30]], [[120, 60], [180, 60]]]


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    # fpdf2 embeds CFF fonts (Noto CJK) with an embedded 2-byte CMap; pypdf decodes the codes
    # through the ToUnicode map correctly but leaves the high zero byte as "\x00".
    return len(reader.pages), text.replace("\x00", "")


def _ready_photo(ticket_id: uuid.UUID) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 60, 40)).save(buf, "JPEG")
    key = f"test/{uuid.uuid4()}/thumb.jpg"
    storage.put(key, buf.getvalue(), "image/jpeg")
    db.session.add(
        Photo(
            id=uuid.uuid4(),
            ticket_id=ticket_id,
            origin="staff",
            status="uploaded",
            processing="ready",
            sha256="b" * 64,
            content_type="image/jpeg",
            size=len(buf.getvalue()),
            renditions={"thumb": {"key": key, "width": 320, "height": 240}},
        )
    )
    db.session.commit()


def test_report_contents_parsed_back(client, auth, job, stock):
    engineer, ticket = job(title="Chiller alarm 冷却器报警")
    part, _, _ = stock(engineer=engineer, van_qty=3)
    h = auth(engineer)
    client.post(
        f"/api/v1/tickets/{ticket.id}/notes", json={"body": "Replaced the filter."}, headers=h
    )
    client.post(
        f"/api/v1/tickets/{ticket.id}/parts",
        json={"part_id": str(part.id), "quantity": 2},
        headers=h,
    )
    _ready_photo(ticket.id)
    signed = client.post(
        f"/api/v1/tickets/{ticket.id}/signoff",
        json={"signer_name": "王小明", "signature": {"strokes": STROKES}, "rating": 5},
        headers=h,
    )
    assert signed.status_code == 201 and signed.json["completed"] is True

    r = client.get(f"/api/v1/tickets/{ticket.id}/report.pdf", headers=h)
    assert r.status_code == 200 and r.mimetype == "application/pdf", r.data[:200]
    pages, text = _text(r.data)
    assert pages >= 1
    for expected in (
        ticket.number,
        "冷却器报警",
        "王小明",  # the signer, in Chinese, rendered as text (not boxes)
        "ACME Facilities",
        "Chiller 3",
        part.sku,
        "start_work",
        "Customer sign-off",
    ):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(r.data))
    images = sum(len(p.images) for p in reader.pages)
    assert images >= 2  # the photo thumbnail and the signature


def test_report_is_cached_until_the_ticket_changes(client, auth, job, make_user):
    engineer, ticket = job()
    h = auth(engineer)
    first = client.get(f"/api/v1/tickets/{ticket.id}/report.pdf", headers=h)
    etag = first.headers["ETag"]
    again = client.get(f"/api/v1/tickets/{ticket.id}/report.pdf", headers=h)
    assert again.data == first.data  # served from the cache, byte for byte
    not_modified = client.get(
        f"/api/v1/tickets/{ticket.id}/report.pdf", headers={**h, "If-None-Match": etag}
    )
    assert not_modified.status_code == 304

    fresh = db.session.get(Ticket, ticket.id)
    before = fingerprint(fresh)
    add_note(fresh, author=engineer, body="Customer asked for a follow-up visit")
    db.session.commit()
    assert fingerprint(fresh) != before
    changed = client.get(f"/api/v1/tickets/{ticket.id}/report.pdf", headers=h)
    assert changed.headers["ETag"] != etag
    assert "follow-up visit" in _text(changed.data)[1]

    # The cache keeps one file per ticket and audience, however often the ticket changes.
    folder = Path(current_app.config["MEDIA_ROOT"]) / "reports" / str(ticket.id)
    assert sorted(p.name for p in folder.iterdir()) == ["staff.pdf"]

    # Staff may read any report.
    staff = client.get(f"/api/v1/tickets/{ticket.id}/report.pdf", headers=auth(make_user("admin")))
    assert staff.status_code == 200


def test_public_report_only_after_completion(client, auth, job):
    engineer, ticket = job(source="public", contact={"name": "Ana", "phone": None, "email": None})
    token, ticket_id = ticket.tracking_token, ticket.id
    assert token
    url = f"/api/v1/public/tracking/{token}/report.pdf"
    assert client.get("/api/v1/public/tracking/nope-not-a-token/report.pdf").status_code == 404
    early = client.get(url)
    assert early.status_code == 409 and "completed" in early.json["message"]

    h = auth(engineer)
    client.post(f"/api/v1/tickets/{ticket_id}/parts/none", json={}, headers=h)
    signed = client.post(
        f"/api/v1/tickets/{ticket_id}/signoff",
        json={"signer_name": "Ana Lima", "signature": {"strokes": STROKES}},
        headers=h,
    )
    assert signed.json["completed"] is True
    done = client.get(url)
    assert done.status_code == 200 and done.mimetype == "application/pdf"
    assert "Ana Lima" in _text(done.data)[1]


def test_customer_copy_leaves_internal_notes_and_staff_out(client, auth, job, dispatcher):
    engineer, ticket = job(source="public", contact={"name": "Ana", "phone": None, "email": None})
    token, ticket_id = ticket.tracking_token, ticket.id
    h = auth(engineer)
    for body, visible in (
        ("Replaced the door seal; the freezer holds -18 C again.", True),
        ("Site manager was rude, ask for the back entrance next time.", False),
    ):
        note = {"body": body, "customer_visible": visible}
        created = client.post(f"/api/v1/tickets/{ticket_id}/notes", json=note, headers=h)
        assert created.status_code == 201 and created.json["customer_visible"] is visible
    client.post(f"/api/v1/tickets/{ticket_id}/parts/none", json={}, headers=h)
    client.post(
        f"/api/v1/tickets/{ticket_id}/signoff",
        json={"signer_name": "Ana Lima", "signature": {"strokes": STROKES}},
        headers=h,
    )
    customer = client.get(f"/api/v1/public/tracking/{token}/report.pdf")
    staff = client.get(f"/api/v1/tickets/{ticket_id}/report.pdf", headers=h)
    assert customer.status_code == staff.status_code == 200
    assert customer.headers["ETag"] != staff.headers["ETag"]
    customer_text, staff_text = _text(customer.data)[1], _text(staff.data)[1]
    assert "door seal" in customer_text and "door seal" in staff_text
    assert "back entrance" not in customer_text and "back entrance" in staff_text
    assert dispatcher.name not in customer_text and dispatcher.name in staff_text
    assert "in_progress -> completed" in customer_text  # the status path is the customer's
    # Internal activity (no-parts statement, notes) stays in the staff copy's timeline.
    assert "no_parts_used" in staff_text and "no_parts_used" not in customer_text


def test_reports_are_rendered_by_a_job_at_completion(client, auth, job, run_jobs):
    """A GET must not be where the PDF is made: completing the job queues a job that renders
    both copies, so the downloads that follow serve the stored files."""
    engineer, ticket = job(source="public", contact={"name": "Ana", "phone": None, "email": None})
    h = auth(engineer)
    client.post(f"/api/v1/tickets/{ticket.id}/parts/none", json={}, headers=h)
    signed = client.post(
        f"/api/v1/tickets/{ticket.id}/signoff",
        json={"signer_name": "Ana Lima", "signature": {"strokes": STROKES}},
        headers=h,
    )
    assert signed.json["completed"] is True
    folder = Path(current_app.config["MEDIA_ROOT"]) / "reports" / str(ticket.id)
    assert not folder.exists()  # nothing rendered inside the completing request
    run_jobs()
    assert sorted(p.name for p in folder.iterdir()) == ["customer.pdf", "staff.pdf"]
    cached = {p.name: p.read_bytes() for p in folder.iterdir()}
    fresh = db.session.get(Ticket, ticket.id)
    tag = f"fieldops-report {fingerprint(fresh)}-staff".encode()
    assert cached["staff.pdf"].split(b"\n", 1)[0] == tag  # made for the completed state

    staff = client.get(f"/api/v1/tickets/{ticket.id}/report.pdf", headers=h)
    assert staff.status_code == 200 and staff.data == cached["staff.pdf"].split(b"\n", 1)[1]
    public = client.get(f"/api/v1/public/tracking/{ticket.tracking_token}/report.pdf")
    assert public.data == cached["customer.pdf"].split(b"\n", 1)[1]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == cached  # served, not remade
