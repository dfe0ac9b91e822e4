"""Catalog, locations, ledger movements and derived levels through the REST API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.db import db
from backend.errors import Invalid
from backend.parts.queries import ledger_levels
from backend.parts.rules import classify_movement, crossed_below


def test_catalog_and_locations(client, auth, dispatcher, make_user):
    h = auth(dispatcher)
    r = client.post(
        "/api/v1/parts", json={"sku": "VLV-3", "name": "Valve 3/4", "unit": "pcs"}, headers=h
    )
    assert r.status_code == 201, r.json
    assert r.json["sku"] == "VLV-3"
    dup = client.post("/api/v1/parts", json={"sku": "VLV-3", "name": "Other"}, headers=h)
    assert dup.status_code == 409 and "VLV-3" in dup.json["message"]
    listed = client.get("/api/v1/parts?sku=VLV-3", headers=h)
    assert [p["sku"] for p in listed.json] == ["VLV-3"]

    engineer = make_user("engineer")
    van = client.post(
        "/api/v1/stock-locations",
        json={"name": "Van 1", "kind": "van", "engineer_id": str(engineer.id)},
        headers=h,
    )
    assert van.status_code == 201 and van.json["engineer_id"] == str(engineer.id)
    second = client.post(
        "/api/v1/stock-locations",
        json={"name": "Van 2", "kind": "van", "engineer_id": str(engineer.id)},
        headers=h,
    )
    assert second.status_code == 409  # one van per engineer
    no_owner = client.post("/api/v1/stock-locations", json={"name": "V", "kind": "van"}, headers=h)
    assert no_owner.status_code == 422 and "engineer" in no_owner.json["message"]
    bad_kind = client.post("/api/v1/stock-locations", json={"name": "X", "kind": "ship"}, headers=h)
    assert bad_kind.status_code == 422

    # Engineers may read the catalog but not write it, and see only their own van.
    eh = auth(engineer)
    assert client.get("/api/v1/parts", headers=eh).status_code == 200
    assert (
        client.post("/api/v1/parts", json={"sku": "A", "name": "B"}, headers=eh).status_code == 403
    )
    client.post("/api/v1/stock-locations", json={"name": "W", "kind": "warehouse"}, headers=h)
    other = make_user("engineer")
    client.post(
        "/api/v1/stock-locations",
        json={"name": "Van other", "kind": "van", "engineer_id": str(other.id)},
        headers=h,
    )
    names = {loc["name"] for loc in client.get("/api/v1/stock-locations", headers=eh).json}
    assert names == {"Van 1", "W"}


def test_movements_update_levels_like_the_ledger(client, auth, dispatcher, stock):
    part, warehouse, _ = stock()
    h = auth(dispatcher)
    other = client.post(
        "/api/v1/stock-locations", json={"name": "North", "kind": "warehouse"}, headers=h
    ).json
    moves = [
        {"part_id": str(part.id), "quantity": 10, "to_location_id": str(warehouse.id)},
        {
            "part_id": str(part.id),
            "quantity": 3.5,
            "from_location_id": str(warehouse.id),
            "to_location_id": other["id"],
        },
        {
            "part_id": str(part.id),
            "quantity": 1,
            "from_location_id": other["id"],
            "kind": "adjustment",
            "reason": "damaged in transit",
        },
    ]
    kinds = []
    for body in moves:
        r = client.post("/api/v1/stock/movements", json=body, headers=h)
        assert r.status_code == 201, r.json
        kinds.append(r.json["kind"])
    assert kinds == ["receipt", "transfer", "adjustment"]

    levels = client.get(f"/api/v1/stock?part_id={part.id}", headers=h).json
    by_location = {lv["location_id"]: lv["quantity"] for lv in levels}
    assert by_location == {str(warehouse.id): 6.5, other["id"]: 2.5}
    derived = ledger_levels(part.id)
    assert {str(loc): float(q) for (_, loc), q in derived.items()} == by_location

    # Staff movements may not invent stock: 409 with what is available.
    too_much = client.post(
        "/api/v1/stock/movements",
        json={
            "part_id": str(part.id),
            "quantity": 7,
            "from_location_id": str(warehouse.id),
            "to_location_id": other["id"],
        },
        headers=h,
    )
    assert too_much.status_code == 409 and too_much.json["available"] == 6.5

    ledger = client.get(f"/api/v1/stock/movements?part_id={part.id}", headers=h)
    assert ledger.status_code == 200 and len(ledger.json) == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -2}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": 1e12}, "quantity"),
        ({"quantity": 1, "to_location_id": None}, "to_location_id"),
        ({"quantity": 1, "kind": "consumption"}, "kind"),
        ({"quantity": 1, "kind": "adjustment"}, "reason"),
        ({"quantity": 1, "extra": 1}, "extra"),
    ],
)
def test_bad_movements_are_precise_422(client, auth, dispatcher, stock, body, field):
    part, warehouse, _ = stock()
    payload = {"part_id": str(part.id), "to_location_id": str(warehouse.id), **body}
    r = client.post("/api/v1/stock/movements", json=payload, headers=auth(dispatcher))
    assert r.status_code == 422, r.json
    assert field in r.json["message"] or field in str(r.json.get("errors"))


def test_unknown_part_is_404(client, auth, dispatcher, stock):
    _, warehouse, _ = stock()
    r = client.post(
        "/api/v1/stock/movements",
        json={
            "part_id": "00000000-0000-4000-8000-000000000000",
            "quantity": 1,
            "to_location_id": str(warehouse.id),
        },
        headers=auth(dispatcher),
    )
    assert r.status_code == 404 and "part" in r.json["message"]


def test_ledger_is_append_only(session, dispatcher, stock):
    stock(warehouse_qty=5)
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(text("UPDATE stock_movements SET quantity = 99"))
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(text("DELETE FROM stock_movements"))


def test_movement_rules_are_pure():
    a, b = object(), object()
    assert classify_movement(None, a, b, None) == "transfer"
    assert classify_movement(None, None, b, None) == "receipt"
    assert classify_movement("return", a, b, None) == "return"
    with pytest.raises(Invalid, match="adjustment"):
        classify_movement(None, a, None, None)
    with pytest.raises(Invalid, match="same location"):
        classify_movement(None, a, a, None)
    with pytest.raises(Invalid, match="reason"):
        classify_movement("adjustment", None, b, "  ")
    # Thresholds notify on the crossing only.
    assert crossed_below(Decimal(3), Decimal(2), Decimal(2))
    assert not crossed_below(Decimal(2), Decimal(1), Decimal(2))
    assert crossed_below(Decimal(0), Decimal(-1), Decimal(0), strict=True)
    assert not crossed_below(Decimal(1), Decimal(0), Decimal(0), strict=True)
