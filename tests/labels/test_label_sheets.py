"""QR label sheets: the PDF parses, has the pages the grid asks for, and its text carries
every label's name, serial and scan URL; small sheets come at once, large ones through a job
(the export job machinery); the selection is bounded and checked."""

from __future__ import annotations

import io
import uuid

import pytest
from pypdf import PdfReader

from backend.assets import labels
from backend.db import db
from tests.apikeys.conftest import key_headers, make_key  # noqa: F401 (fixture)

BASE = "http://fieldops.test"


@pytest.fixture()
def staff(auth, make_user):
    return auth(make_user("dispatcher"))


@pytest.fixture()
def assets(make_site, make_asset):
    """``assets(n)`` -> n assets of one site, named and numbered apart, in creation order."""

    def _make(n: int, site=None):
        site = site or make_site()
        made = []
        for i in range(n):
            asset = make_asset(site, name=f"Kühlraum {i:03d}")
            asset.serial = f"SN-{i:05d}"
            made.append(asset)
        db.session.commit()
        return made

    return _make


def _pages(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text() for page in reader.pages]


def _assert_labels(pages: list[str], chosen, per_page: int) -> None:
    assert len(pages) == -(-len(chosen) // per_page)
    for i, asset in enumerate(chosen):
        text = pages[i // per_page]
        assert asset.name in text, (i, asset.name)
        assert asset.serial in text
        assert f"{BASE}/r/{asset.qr_token}" in text


def test_a_small_sheet_is_made_at_once(client, staff, assets):
    chosen = assets(5)
    r = client.post(
        "/api/v1/assets/labels.pdf",
        json={"asset_ids": [str(a.id) for a in chosen], "columns": 2, "rows": 2},
        headers=staff,
    )
    assert r.status_code == 200, r.get_json()
    assert r.mimetype == "application/pdf"
    pages = _pages(r.get_data())
    _assert_labels(pages, chosen, per_page=4)
    assert chosen[4].name in pages[1] and chosen[4].name not in pages[0]


def test_a_site_in_name_order_and_the_default_grid(client, staff, assets, make_site):
    site = make_site(name="Depot")
    chosen = assets(25, site=site)
    assets(3)  # another site's assets are not on the sheet
    r = client.post("/api/v1/assets/labels.pdf", json={"site_id": str(site.id)}, headers=staff)
    assert r.status_code == 200, r.get_json()
    pages = _pages(r.get_data())
    _assert_labels(pages, sorted(chosen, key=lambda a: a.name), per_page=24)
    assert len(pages) == 2
    total = sum(text.count(f"{BASE}/r/") for text in pages)
    assert total == 25


def test_selection_is_bounded_and_checked(client, staff, assets, auth, make_user):
    chosen = assets(labels.MAX_INLINE_LABELS + 1)
    ids = [str(a.id) for a in chosen]
    over = client.post("/api/v1/assets/labels.pdf", json={"asset_ids": ids}, headers=staff)
    assert over.status_code == 422
    assert "at most 48" in over.get_json()["message"]
    assert "/assets/labels/jobs" in over.get_json()["message"]
    too_many = [str(uuid.uuid4()) for _ in range(labels.MAX_LABELS + 1)]
    for path in ("/api/v1/assets/labels.pdf", "/api/v1/assets/labels/jobs"):
        r = client.post(path, json={"asset_ids": too_many}, headers=staff)
        assert r.status_code == 422, path
    unknown = client.post(
        "/api/v1/assets/labels.pdf", json={"asset_ids": [ids[0], str(uuid.uuid4())]}, headers=staff
    )
    assert unknown.status_code == 404
    both = client.post(
        "/api/v1/assets/labels.pdf",
        json={"asset_ids": ids[:1], "site_id": str(chosen[0].site_id)},
        headers=staff,
    )
    assert both.status_code == 422
    assert client.post("/api/v1/assets/labels.pdf", json={}, headers=staff).status_code == 422
    grid = client.post(
        "/api/v1/assets/labels.pdf", json={"asset_ids": ids[:1], "columns": 0}, headers=staff
    )
    assert grid.status_code == 422
    engineer = auth(make_user("engineer"))
    refused = client.post(
        "/api/v1/assets/labels.pdf", json={"asset_ids": ids[:1]}, headers=engineer
    )
    assert refused.status_code == 403


def test_a_large_sheet_through_a_job(client, staff, assets, run_jobs):
    chosen = assets(labels.MAX_INLINE_LABELS + 2)
    r = client.post(
        "/api/v1/assets/labels/jobs",
        json={"asset_ids": [str(a.id) for a in chosen], "columns": 4, "rows": 5},
        headers=staff,
    )
    assert r.status_code == 202, r.get_json()
    job_id = r.get_json()["job_id"]
    state = client.get(f"/api/v1/assets/labels/jobs/{job_id}", headers=staff).get_json()
    assert state["status"] == "queued"
    run_jobs()
    state = client.get(f"/api/v1/assets/labels/jobs/{job_id}", headers=staff).get_json()
    assert state["status"] == "finished", state
    assert state["progress"]["done"] == state["progress"]["total"] == len(chosen)
    pdf = client.get(state["download_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    _assert_labels(_pages(pdf.get_data()), chosen, per_page=20)


def test_an_assets_read_key_prints_labels(client, assets, make_key):  # noqa: F811
    chosen = assets(2)
    _, reader = make_key(["assets:read"])
    r = client.post(
        "/api/v1/assets/labels.pdf",
        json={"asset_ids": [str(a.id) for a in chosen]},
        headers=key_headers(reader),
    )
    assert r.status_code == 200, r.get_json()
    _, other = make_key(["tickets:write"])
    refused = client.post(
        "/api/v1/assets/labels.pdf",
        json={"asset_ids": [str(a.id) for a in chosen]},
        headers=key_headers(other),
    )
    assert refused.status_code == 403
