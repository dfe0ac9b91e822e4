"""Customers, sites, assets and QR labels."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import segno
from PIL import Image

from backend.assets.qr import make_qr
from tests.factories import BERLIN

POINT = {"type": "Point", "coordinates": list(BERLIN)}


def _asset(api, staff) -> dict:
    customer = api("post", "/api/v1/customers", staff, json={"name": "ACME", "email": "a@acme.io"})
    assert customer.status_code == 201, customer.json
    site = api(
        "post",
        "/api/v1/sites",
        staff,
        json={"customer_id": customer.json["id"], "name": "HQ", "location": POINT},
    )
    assert site.status_code == 201, site.json
    assert site.json["location"] == POINT
    asset = api(
        "post", "/api/v1/assets", staff, json={"site_id": site.json["id"], "name": "Chiller"}
    )
    assert asset.status_code == 201, asset.json
    return asset.json


def test_customer_site_asset_flow(api, staff):
    asset = _asset(api, staff)
    token = asset["qr_token"]
    assert len(token) >= 22  # >= 128 bits, URL-safe base64
    assert asset["qr_url"] == f"http://fieldops.test/r/{token}"
    listed = api("get", f"/api/v1/assets?site_id={asset['site_id']}", staff)
    assert [a["id"] for a in listed.json] == [asset["id"]]
    assert api("get", f"/api/v1/assets/{asset['id']}", staff).json["qr_token"] == token
    assert len(api("get", "/api/v1/customers", staff).json) == 1
    assert len(api("get", "/api/v1/sites", staff).json) == 1


def test_qr_labels_encode_the_public_report_url(api, staff):
    asset = _asset(api, staff)
    url = f"http://fieldops.test/r/{asset['qr_token']}"
    svg = api("get", f"/api/v1/assets/{asset['id']}/qr.svg", staff)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    root = ET.fromstring(svg.data)
    assert root.tag.endswith("svg")
    assert url in svg.data.decode()  # the <title> names what is encoded
    # The drawn path is exactly segno's rendering of that URL.
    expected = io.BytesIO()
    make_qr(url).save(expected, kind="svg", scale=8, border=4, title=url)
    assert svg.data == expected.getvalue()

    png = api("get", f"/api/v1/assets/{asset['id']}/qr.png?scale=2&border=1", staff)
    assert png.status_code == 200 and png.mimetype == "image/png"
    image = Image.open(io.BytesIO(png.data))
    qr = segno.make(url, error="q", micro=False)
    side = (qr.symbol_size(scale=2, border=1))[0]
    assert image.size == (side, side)
    # Compare pixel modules with segno's matrix for the same URL.
    pixels = image.convert("1").load()
    for row, line in enumerate(qr.matrix):
        for col, dark in enumerate(line):
            assert (pixels[(col + 1) * 2, (row + 1) * 2] == 0) == bool(dark)
    bad = api("get", f"/api/v1/assets/{asset['id']}/qr.png?scale=1000", staff)
    assert bad.status_code == 422


def test_assets_bad_input_and_access(api, staff, make_user):
    unknown = "00000000-0000-0000-0000-000000000000"
    r = api(
        "post",
        "/api/v1/sites",
        staff,
        json={"customer_id": unknown, "name": "HQ", "location": POINT},
    )
    assert r.status_code == 404 and "customer" in r.json["message"]
    r = api("post", "/api/v1/assets", staff, json={"site_id": unknown, "name": "X"})
    assert r.status_code == 404
    customer = api("post", "/api/v1/customers", staff, json={"name": "C"}).json
    r = api(
        "post",
        "/api/v1/sites",
        staff,
        json={
            "customer_id": customer["id"],
            "name": "HQ",
            "location": {"type": "Point", "coordinates": [13.4, 99]},
        },
    )
    assert r.status_code == 422 and "latitude 99 is out of range" in r.json["message"]
    assert api("post", "/api/v1/customers", staff, json={}).status_code == 422
    bad_email = api("post", "/api/v1/customers", staff, json={"name": "C", "email": "nope"})
    assert bad_email.status_code == 422
    engineer = make_user("engineer")
    assert api("post", "/api/v1/customers", engineer, json={"name": "C"}).status_code == 403
    assert api("get", "/api/v1/customers", engineer).status_code == 403
    assert api("get", "/api/v1/customers").status_code == 401
    assert api("get", f"/api/v1/assets/{unknown}/qr.svg", staff).status_code == 404
