"""Media test helpers: real images made with Pillow, an assigned ticket, a real S3 server."""

from __future__ import annotations

import io
import socket
import struct
import zlib
from typing import Any

import pytest
from PIL import Image

from backend.db import db
from backend.media import storage as media_storage
from backend.workorders.operations import assign_ticket

GPS_IFD = 0x8825
EXIF_IFD = 0x8769


def photo_bytes(
    width: int = 1200,
    height: int = 900,
    *,
    fmt: str = "JPEG",
    orientation: int | None = None,
    gps: bool = True,
    taken: str | None = "2026:11:20 10:11:12",
    offset: str | None = None,
    seed: int = 0,
    two_tone: bool = False,
) -> bytes:
    """A photo-like image (gradient + noise), with EXIF orientation, GPS and capture time.
    ``two_tone`` paints the top half red and the bottom half blue, to check orientation."""
    if two_tone:
        im = Image.new("RGB", (width, height), (0, 0, 255))
        im.paste((255, 0, 0), (0, 0, width, height // 2))
    else:
        gradient = Image.linear_gradient("L").resize((width, height))
        noise = Image.effect_noise((width, height), 40 + seed)
        im = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)})
    if taken:
        exif.get_ifd(EXIF_IFD)[0x9003] = taken
        if offset:
            exif.get_ifd(EXIF_IFD)[0x9011] = offset
    buf = io.BytesIO()
    kw: dict[str, Any] = {"exif": exif}
    if fmt == "JPEG":
        kw["quality"] = 90
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A syntactically valid PNG that *claims* ``width`` x ``height`` (a decompression bomb
    shape) with a tiny IDAT: what an attacker sends. Costs nothing to build."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture()
def job_setup(make_user, make_ticket, session):
    """A dispatcher, the engineer assigned to a ticket, and another engineer."""
    dispatcher = make_user("dispatcher")
    engineer = make_user("engineer")
    other = make_user("engineer")
    ticket = make_ticket(priority="P2")
    assign_ticket(ticket, engineer, actor=dispatcher)
    db.session.commit()
    return {"dispatcher": dispatcher, "engineer": engineer, "other": other, "ticket": ticket}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-compatible server (moto's, from PyPI) on a free port for the session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture()
def s3_config(app, s3_endpoint, monkeypatch):
    """Point the app's media storage at the S3 server for one test."""
    settings = {
        "S3_BUCKET": "fieldops-media-test",
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing",
        "S3_REGION": "us-east-1",
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    with app.app_context():
        storage = media_storage.get_storage()
    assert isinstance(storage, media_storage.S3Storage)
    storage.ensure_bucket()
    return storage


def upload(client, headers, ticket_id, data: bytes, photo_id: str, **form: Any):
    body = {"id": photo_id, "file": (io.BytesIO(data), "photo.jpg"), **form}
    return client.post(
        f"/api/v1/tickets/{ticket_id}/photos",
        data=body,
        headers=headers,
        content_type="multipart/form-data",
    )
