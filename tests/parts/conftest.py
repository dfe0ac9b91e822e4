"""Close-out fixtures shared by the parts and sign-off tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.db import db
from backend.parts import operations as parts_ops
from backend.workorders.operations import assign_ticket, transition


@pytest.fixture()
def dispatcher(make_user):
    return make_user("dispatcher")


@pytest.fixture()
def job(make_user, make_ticket, make_asset, dispatcher):
    """A factory: an engineer working a ticket (status ``in_progress`` by default)."""

    def _make(*, priority: str = "P3", upto: str = "start_work", engineer=None, **kw):
        engineer = engineer or make_user("engineer")
        ticket = make_ticket(priority=priority, asset_id=make_asset().id, **kw)
        assign_ticket(ticket, engineer, actor=dispatcher)
        for action in ("accept", "start_travel", "arrive", "start_work"):
            transition(ticket, engineer, action)
            if action == upto:
                break
        db.session.commit()
        return engineer, ticket

    return _make


@pytest.fixture()
def stock(dispatcher):
    """A factory for a part, a warehouse and optionally a van, with opening quantities."""

    def _make(*, engineer=None, sku: str = "FLT-10", van_qty=None, warehouse_qty=None, **kw):
        part = parts_ops.create_part(actor=dispatcher, sku=sku, name="Air filter 10in", **kw)
        warehouse = parts_ops.create_location(actor=dispatcher, name="Main", kind="warehouse")
        van = None
        if engineer is not None:
            van = parts_ops.create_location(
                actor=dispatcher, name=f"Van {engineer.name}", kind="van", engineer_id=engineer.id
            )
        if warehouse_qty:
            parts_ops.post_movement(
                actor=dispatcher,
                part_id=part.id,
                quantity=Decimal(warehouse_qty),
                to_location_id=warehouse.id,
            )
        if van_qty:
            parts_ops.post_movement(
                actor=dispatcher, part_id=part.id, quantity=Decimal(van_qty), to_location_id=van.id
            )
        db.session.commit()
        return part, warehouse, van

    return _make
