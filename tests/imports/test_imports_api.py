"""Bulk import (docs/imports.md): the dry run's errors by row and column, apply as a job with
progress, idempotent upsert by external reference, and what a failed chunk leaves."""

from __future__ import annotations

from sqlalchemy import select, text

from backend.assets.models import Asset, Customer, Site
from backend.db import db
from backend.parts.models import Part
from tests.imports.conftest import csv_file, xlsx_file

CUSTOMERS = [
    ["external_ref", "name", "email", "phone"],
    ["C1", "Acme Ltd", "ops@acme.example", "+44 20 7946 0000"],
    ["C2", "=Globex", None, None],  # formula-looking text is stored as text
]
SITES = [
    ["External Ref", "customer_ref", "name", "address", "latitude", "longitude"],
    ["S1", "C1", "Acme HQ", "1 Main St", 51.5072, -0.1276],
    ["S2", "C2", "Globex Depot", None, 48.8566, 2.3522],
]
ASSETS = [
    ["external_ref", "site_ref", "name", "model", "serial"],
    ["A1", "S1", "Boiler 1", "Vaillant ecoTEC", "00123"],
    ["A2", "S1", "Chiller", None, None],
    ["A3", "S2", "Lift", "Otis Gen2", "X-9"],
]


def _base(imported):
    for entity, rows in (("customers", CUSTOMERS), ("sites", SITES), ("assets", ASSETS)):
        done = imported(entity, csv_file(rows))
        assert done["status"] == "applied", done


def test_dry_run_lists_every_error_by_row_and_column_in_words(upload, imported):
    imported("customers", csv_file(CUSTOMERS))
    rows = [
        ["external_ref", "customer_ref", "name", "address", "latitude", "longitude"],
        ["S1", "C1", "Fine", None, 51.5, -0.1],
        ["S2", "C9", "Unknown customer", None, 51.5, -0.1],
        ["S3", "C1", None, None, "north", 200],
        ["S1", "C1", "Same key again", None, 51.5, -0.1],
        [None, None, None, None, None, None],  # blank line: skipped, not an error
        ["S4", "C1", "x" * 201, "nul\x00here", 91, 0],
    ]
    r = upload("sites", csv_file(rows))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "invalid" and body["rows_total"] == 5
    errors = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert errors == {
        (3, "customer_ref"): "no customer has external_ref 'C9'; import the customers first",
        (4, "name"): "is empty; this column is required",
        (4, "latitude"): "'north' is not a number (decimal degrees, e.g. 51.5072)",
        (4, "longitude"): "200 is outside -180 to 180",
        (5, "external_ref"): "'S1' is already on row 2",
        (7, "name"): "is 201 characters long; at most 200",
        (7, "address"): "contains NUL (U+0000) at character 4",
        (7, "latitude"): "91 is outside -90 to 90",
    }
    assert body["error_count"] == len(errors)
    # Nothing was written, and an invalid dry run cannot be applied.
    assert db.session.scalar(select(Site).where(Site.external_ref == "S1")) is None


def test_unstorable_text_in_a_header_or_file_name_is_shown_not_stored(upload):
    r = upload("customers", b"external_ref,na\x00me\nC1,x\n", "bad\x00name.csv")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["filename"] == "bad\ufffdname.csv"
    assert body["errors"][0]["column"] == "na\ufffdme"


def test_header_problems_are_row_1(upload):
    r = upload(
        "customers", csv_file([["external_ref", "nmae", "name", "name"], ["C1", "x", "y", "z"]])
    )
    errors = [(e["row"], e["column"], e["message"]) for e in r.get_json()["errors"]]
    assert errors == [
        (1, "nmae", "unknown column; the columns are external_ref, name, email, phone"),
        (1, "name", "the column appears twice (columns 3 and 4)"),
    ]
    r = upload("assets", csv_file([["external_ref", "name"], ["A1", "x"]]))
    assert [(e["row"], e["column"]) for e in r.get_json()["errors"]] == [(1, "site_ref")]


def test_apply_writes_the_records_and_reports_progress(imported, api, staff):
    first = imported("customers", csv_file(CUSTOMERS))
    assert first["result"] == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert first["progress"]["percent"] == 100 and first["progress"]["done"] == 2
    imported("sites", csv_file(SITES))
    last = imported("assets", csv_file(ASSETS))
    assert last["result"] == {"inserted": 3, "updated": 0, "unchanged": 0}
    globex = db.session.scalar(select(Customer).where(Customer.external_ref == "C2"))
    assert globex.name == "=Globex" and globex.email is None
    a1 = db.session.scalar(select(Asset).where(Asset.external_ref == "A1"))
    assert (a1.site.external_ref, a1.model, a1.serial) == ("S1", "Vaillant ecoTEC", "00123")
    assert len(a1.qr_token) >= 24
    lon, lat = db.session.execute(
        text("SELECT ST_X(location), ST_Y(location) FROM sites WHERE external_ref = 'S1'")
    ).one()
    assert (lon, lat) == (-0.1276, 51.5072)
    listed = api("get", "/api/v1/imports", staff).get_json()
    assert [i["entity"] for i in listed] == ["assets", "sites", "customers"]


def test_a_re_import_of_the_same_file_changes_nothing(imported):
    _base(imported)
    before = db.session.execute(
        text("SELECT external_ref, updated_at, xmin::text, qr_token FROM assets ORDER BY 1")
    ).all()
    for entity, rows in (("customers", CUSTOMERS), ("sites", SITES), ("assets", ASSETS)):
        again = imported(entity, xlsx_file(rows), f"{entity}.xlsx")
        assert again["format"] == "xlsx"
        assert again["result"] == {"inserted": 0, "updated": 0, "unchanged": len(rows) - 1}
    after = db.session.execute(
        text("SELECT external_ref, updated_at, xmin::text, qr_token FROM assets ORDER BY 1")
    ).all()
    assert after == before  # not even a new row version


def test_a_changed_row_is_updated_in_place(imported):
    _base(imported)
    a1 = db.session.scalar(select(Asset).where(Asset.external_ref == "A1"))
    a1_id, token = a1.id, a1.qr_token
    changed = [ASSETS[0], ["A1", "S2", "Boiler 1", "Vaillant ecoTEC plus", "00123"], ASSETS[2]]
    done = imported("assets", csv_file(changed))
    assert done["result"] == {"inserted": 0, "updated": 1, "unchanged": 1}
    db.session.expire_all()
    a1 = db.session.get(Asset, a1_id)
    assert (a1.site.external_ref, a1.model, a1.qr_token) == ("S2", "Vaillant ecoTEC plus", token)


def test_a_vanished_reference_fails_the_chunk_whole(upload, api, staff, run_jobs, imported):
    _base(imported)
    r = upload(
        "assets",
        csv_file([ASSETS[0], ["A9", "S1", "New", None, None], ["A8", "S2", "Gone", None, None]]),
    )
    body = r.get_json()
    assert body["status"] == "ready"
    # Between the dry run and apply, site S2 loses its external reference.
    db.session.execute(text("UPDATE sites SET external_ref = NULL WHERE external_ref = 'S2'"))
    db.session.flush()
    api("post", f"/api/v1/imports/{body['id']}/apply", staff)
    run_jobs()
    state = api("get", f"/api/v1/imports/{body['id']}", staff).get_json()
    assert state["status"] == "failed"
    assert "'S2'" in state["failure"] and "upload the file again" in state["failure"]
    # The valid row of the same chunk was not written either.
    assert db.session.scalar(select(Asset).where(Asset.external_ref == "A9")) is None


def test_apply_is_refused_for_an_invalid_or_applied_import(upload, api, staff, imported):
    bad = upload("customers", csv_file([["external_ref", "name"], ["C1", None]])).get_json()
    r = api("post", f"/api/v1/imports/{bad['id']}/apply", staff)
    assert r.status_code == 409 and "1 errors" in r.get_json()["message"]
    done = imported("customers", csv_file(CUSTOMERS))
    r = api("post", f"/api/v1/imports/{done['id']}/apply", staff)
    assert r.status_code == 409 and r.get_json()["kind"] == "import_started"


def test_uploads_are_bounded_typed_and_for_staff_only(upload, api, app, monkeypatch, make_user):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 100)
    r = upload("customers", csv_file(CUSTOMERS * 10))
    assert r.status_code == 413, r.get_json()
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 10_000)
    r = upload("customers", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")
    assert r.status_code == 415 and ".xlsx" in r.get_json()["message"]
    r = upload("customers", b"PK\x03\x04 not really a zip", "broken.xlsx")
    assert r.status_code == 422 and "XLSX" in r.get_json()["message"]
    r = upload("customers", "external_ref,name\nC1,Caf\xe9\n".encode("latin-1"))
    assert r.status_code == 422 and "UTF-8" in r.get_json()["message"]
    r = upload("customers", b"")
    assert r.status_code == 422
    r = upload("vans", csv_file(CUSTOMERS))
    assert r.status_code == 422
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 1)
    r = upload("customers", csv_file(CUSTOMERS))
    assert r.get_json()["errors"] == [
        {"row": 3, "column": None, "message": "the file has more than 1 rows; split it"}
    ]
    r = upload("customers", csv_file(CUSTOMERS), user=make_user("engineer"))
    assert r.status_code == 403
    anonymous = api(
        "post", "/api/v1/imports", data={"entity": "customers"}, content_type="multipart/form-data"
    )
    assert anonymous.status_code == 401


def test_parts_import_through_the_change_log(imported):
    rows = [
        ["sku", "name", "unit", "min_quantity"],
        ["P-1", "Fuse 5A", None, "10"],
        ["P-2", "Valve", "m", None],
    ]
    done = imported("parts", csv_file(rows))
    assert done["result"] == {"inserted": 2, "updated": 0, "unchanged": 0}
    fuse = db.session.scalar(select(Part).where(Part.sku == "P-1"))
    assert (fuse.unit, str(fuse.min_quantity)) == ("pcs", "10.000")
    logged = db.session.execute(
        text("SELECT count(*) FROM sync_changes WHERE entity = 'parts' AND entity_id = :id"),
        {"id": fuse.id},
    ).scalar()
    assert logged == 1  # phones learn of the new part
    again = imported("parts", xlsx_file(rows), "parts.xlsx")
    assert again["result"] == {"inserted": 0, "updated": 0, "unchanged": 2}


def test_an_export_imports_back_unchanged(imported, api, staff, upload, apply):
    _base(imported)
    for entity in ("customers", "sites", "assets"):
        for fmt in ("csv", "xlsx"):
            r = api("get", f"/api/v1/data/{entity}/export?format={fmt}", staff)
            assert r.status_code == 200
            assert f"{entity}_" in r.headers["Content-Disposition"]
            body = upload(entity, r.get_data(), f"export.{fmt}").get_json()
            assert body["status"] == "ready", body["errors"]
            done = apply(body["id"])
            assert done["result"]["inserted"] == done["result"]["updated"] == 0, (entity, fmt)
    customers = api("get", "/api/v1/data/customers/export", staff).get_data().decode()
    assert "'=Globex" in customers  # the spreadsheet guard, removed again on import


def test_tickets_export(api, staff, make_ticket):
    make_ticket(title="Boiler leaks")
    r = api("get", "/api/v1/data/tickets/export?format=csv", staff)
    assert r.status_code == 200
    header, row = r.get_data().decode().splitlines()[:2]
    assert header.startswith("number,title,status,priority,customer_ref")
    assert "Boiler leaks" in row
    assert api("get", "/api/v1/data/users/export", staff).status_code == 404
