"""The anonymous QR report refuses text PostgreSQL cannot store (NUL, lone UTF-16 surrogates)
with a 422 naming the field, as JSON and as a multipart form, and never answers 500."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from backend.db import db
from backend.workorders.models import Ticket


@pytest.fixture()
def asset(make_region, make_asset):
    make_region()
    return make_asset()


def _tickets() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket))


@pytest.mark.parametrize("field", ["description", "contact_name"])
def test_lone_surrogate_in_the_json_report_is_422(client, asset, field):
    body = {"description": "Chiller is loud", "contact_name": "Ada"}
    raw = (
        "{"
        + ", ".join(
            f'"{k}": "{v}{chr(92)}ud83d"' if k == field else f'"{k}": "{v}"'
            for k, v in body.items()
        )
        + "}"
    )
    res = client.post(
        f"/api/v1/public/assets/{asset.qr_token}/reports",
        data=raw,
        content_type="application/json",
    )
    assert res.status_code == 422, res.json
    assert "surrogate" in " ".join(res.json["errors"]["json"][field])
    assert _tickets() == 0


def test_multipart_report_form_with_unstorable_text_is_never_500(client, asset):
    url = f"/r/{asset.qr_token}"
    nul = client.post(
        url,
        data={"description": "a\x00b", "contact_name": "x"},
        content_type="multipart/form-data",
    )
    assert nul.status_code == 422
    # Surrogate halves encoded as bytes (CESU-8) and an unpaired one: not UTF-8, so the form
    # decoder replaces them; the report is stored with U+FFFD, not a 500.
    raw = client.post(
        url,
        data={
            "description": (io.BytesIO(b"x"), "ignored.txt"),
            "contact_name": "Ada",
        },
        content_type="multipart/form-data",
    )
    assert raw.status_code in (303, 422)
    cesu = "Chiller \udced\udca0\udcbd".encode("utf-8", "surrogateescape")
    res = client.post(
        url,
        data=b"description=" + cesu + b"&contact_name=Ada",
        content_type="application/x-www-form-urlencoded",
    )
    assert res.status_code in (303, 422), res.status_code
