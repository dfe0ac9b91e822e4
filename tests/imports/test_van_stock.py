"""Van stock import (docs/imports.md): rows of engineer, part and quantity become adjustment
movements with reason "import" in the stock ledger (never a level written directly), so a
re-import of the same quantities records nothing and the engineer's phone hears of a change
through the change log like any other stock movement."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from backend.db import db
from backend.parts import operations as parts_ops
from backend.parts.models import StockLevel, StockLocation, StockMovement
from tests.imports.conftest import csv_file, xlsx_file

HEADER = ["engineer_email", "sku", "quantity"]


@pytest.fixture()
def catalog(staff):
    for sku in ("P-1", "P-2"):
        parts_ops.create_part(actor=staff, sku=sku, name=f"Part {sku}")
    db.session.commit()


@pytest.fixture()
def engineers(make_user, staff):
    """Ann has a van already; Bob has none (the import gives him one)."""
    ann = make_user("engineer", email="ann@example.com", name="Ann")
    bob = make_user("engineer", email="bob@example.com", name="Bob")
    parts_ops.create_location(actor=staff, name="Van Ann", kind="van", engineer_id=ann.id)
    db.session.commit()
    return ann, bob


def _levels() -> dict[tuple[str, str], str]:
    rows = db.session.execute(
        text(
            "SELECT u.email, p.sku, l.quantity::text FROM stock_levels l"
            " JOIN stock_locations v ON v.id = l.location_id"
            " JOIN users u ON u.id = v.engineer_id JOIN parts p ON p.id = l.part_id"
        )
    ).all()
    return {(e, s): q for e, s, q in rows}


def _movements() -> list[tuple[str, str, str | None, str | None]]:
    rows = db.session.execute(
        select(
            StockMovement.kind,
            StockMovement.quantity,
            StockMovement.reason,
            StockMovement.from_location_id,
        ).order_by(StockMovement.created_at, StockMovement.id)
    ).all()
    return [(k, str(q), r, "out" if f else "in") for k, q, r, f in rows]


def test_dry_run_errors_by_row_and_column(upload, catalog, engineers, make_user):
    make_user("dispatcher", email="disp@example.com")
    rows = [
        HEADER,
        ["ann@example.com", "P-1", "5"],
        ["ann@example.com", "P-9", "1"],  # unknown part
        ["nobody@example.com", "P-1", "1"],  # unknown engineer
        ["disp@example.com", "P-1", "1"],  # not an engineer
        ["bob@example.com", "P-1", "-1"],
        ["bob@example.com", "P-2", "lots"],
        ["Ann@Example.com", "P-1", "3"],  # the same van and part again (logins ignore case)
        ["not-an-email", "P-2", None],
    ]
    body = upload("van_stock", csv_file(rows)).get_json()
    assert body["status"] == "invalid" and body["rows_total"] == 8
    errors = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert errors == {
        (3, "sku"): "no part has sku 'P-9'; import the parts first",
        (
            4,
            "engineer_email",
        ): "no engineer has email 'nobody@example.com'; import the engineers first",
        (
            5,
            "engineer_email",
        ): "no engineer has email 'disp@example.com'; import the engineers first",
        (6, "quantity"): "-1 must be a number from 0 to 99,999,999,999",
        (7, "quantity"): "'lots' is not a number",
        (8, "engineer_email"): (
            "engineer_email 'ann@example.com' and sku 'P-1' are already on row 2"
        ),
        (9, "engineer_email"): "'not-an-email' is not an e-mail address",
        (9, "quantity"): "is empty; this column is required",
    }
    assert body["error_count"] == len(errors)
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 0


def test_apply_records_adjustments_and_a_re_import_records_nothing(imported, catalog, engineers):
    _, bob = engineers
    rows = [
        HEADER,
        ["ann@example.com", "P-1", "5"],
        ["ann@example.com", "P-2", "0"],  # nothing held, nothing to record
        ["BOB@example.com", "P-2", "2.5"],
    ]
    done = imported("van_stock", csv_file(rows))
    assert done["status"] == "applied", done
    assert done["result"] == {"inserted": 2, "updated": 0, "unchanged": 1}
    assert _levels() == {
        ("ann@example.com", "P-1"): "5.000",
        ("bob@example.com", "P-2"): "2.500",
    }
    assert _movements() == [
        ("adjustment", "5.000", "import", "in"),
        ("adjustment", "2.500", "import", "in"),
    ]
    bob_van = db.session.scalar(select(StockLocation).where(StockLocation.engineer_id == bob.id))
    assert (bob_van.kind, bob_van.name) == ("van", "Van Bob")
    # Bob's phone hears of his level through the change log, scoped to him.
    level = db.session.scalar(select(StockLevel).where(StockLevel.location_id == bob_van.id))
    logged = db.session.execute(
        text("SELECT count(*) FROM sync_changes WHERE entity = 'stock_levels' AND entity_id = :i"),
        {"i": level.id},
    ).scalar()
    assert logged == 1

    again = imported("van_stock", xlsx_file(rows), "van.xlsx")
    assert again["result"] == {"inserted": 0, "updated": 0, "unchanged": 3}
    assert len(_movements()) == 2  # no movement for an unchanged quantity

    changed = [HEADER, ["ann@example.com", "P-1", "3"], ["bob@example.com", "P-2", "4"]]
    third = imported("van_stock", csv_file(changed))
    assert third["result"] == {"inserted": 0, "updated": 2, "unchanged": 0}
    assert _movements()[2:] == [
        ("adjustment", "2.000", "import", "out"),
        ("adjustment", "1.500", "import", "in"),
    ]
    assert _levels()[("ann@example.com", "P-1")] == "3.000"
    assert _levels()[("bob@example.com", "P-2")] == "4.000"


def test_a_part_used_meanwhile_is_not_overwritten_by_a_stale_difference(
    imported, upload, apply, catalog, engineers, staff
):
    """The file says what the van holds; the adjustment is computed from the level at apply
    time, not at the dry run, so stock moved between them is not counted twice."""
    ann, _ = engineers
    van = db.session.scalar(select(StockLocation).where(StockLocation.engineer_id == ann.id))
    imported("van_stock", csv_file([HEADER, ["ann@example.com", "P-1", "5"]]))
    body = upload("van_stock", csv_file([HEADER, ["ann@example.com", "P-1", "8"]])).get_json()
    assert body["status"] == "ready"
    part_id = db.session.scalar(text("SELECT id FROM parts WHERE sku = 'P-1'"))
    parts_ops.post_movement(
        actor=staff, part_id=part_id, quantity=Decimal(1), to_location_id=van.id
    )
    db.session.commit()
    done = apply(body["id"])
    assert done["result"] == {"inserted": 0, "updated": 1, "unchanged": 0}
    assert _levels()[("ann@example.com", "P-1")] == "8.000"
    assert _movements()[-1] == ("adjustment", "2.000", "import", "in")


def test_a_vanished_part_fails_the_chunk_whole(upload, api, staff, run_jobs, catalog, engineers):
    rows = [HEADER, ["ann@example.com", "P-1", "5"], ["ann@example.com", "P-2", "1"]]
    body = upload("van_stock", csv_file(rows)).get_json()
    assert body["status"] == "ready"
    db.session.execute(text("UPDATE parts SET sku = 'P-2-old' WHERE sku = 'P-2'"))
    db.session.flush()
    api("post", f"/api/v1/imports/{body['id']}/apply", staff)
    run_jobs()
    state = api("get", f"/api/v1/imports/{body['id']}", staff).get_json()
    assert state["status"] == "failed"
    assert "'P-2'" in state["failure"] and "upload the file again" in state["failure"]
    assert _movements() == []  # P-1's row, in the same chunk, was not written either


def test_the_export_imports_back_unchanged(imported, api, staff, upload, apply, catalog, engineers):
    rows = [
        HEADER,
        ["ann@example.com", "P-1", "5"],
        ["bob@example.com", "P-1", "0.25"],
        ["bob@example.com", "P-2", "12"],
    ]
    imported("van_stock", csv_file(rows))
    for fmt in ("csv", "xlsx"):
        r = api("get", f"/api/v1/data/van_stock/export?format={fmt}", staff)
        assert r.status_code == 200
        assert "van_stock_" in r.headers["Content-Disposition"]
        if fmt == "csv":
            assert r.get_data().decode().splitlines() == [
                "engineer_email,sku,quantity",
                "ann@example.com,P-1,5.000",
                "bob@example.com,P-1,0.250",
                "bob@example.com,P-2,12.000",
            ]
        body = upload("van_stock", r.get_data(), f"export.{fmt}").get_json()
        assert body["status"] == "ready", body["errors"]
        done = apply(body["id"])
        assert done["result"] == {"inserted": 0, "updated": 0, "unchanged": 3}, fmt
    assert len(_movements()) == 3
