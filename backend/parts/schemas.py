"""Marshmallow schemas for the parts API (input and output kept apart)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields, validate

from backend.parts.models import LOCATION_KINDS, MOVEMENT_KINDS

# Bounded so a typo can never overflow the NUMERIC(14,3) column into a 500.
MAX_QTY = Decimal("1000000000")


def _documented_range(minimum: float, kw: dict[str, Any]) -> dict[str, Any]:
    """apispec writes a Decimal bound as a string (``"1000000000.000"``), which is not a valid
    JSON Schema ``maximum``; state the bounds as numbers in the field's metadata instead."""
    metadata = {"minimum": minimum, "maximum": int(MAX_QTY), **kw.pop("metadata", {})}
    return {**kw, "metadata": metadata}


def quantity_field(**kw: Any) -> fields.Decimal:
    return fields.Decimal(
        places=3,
        allow_nan=False,
        validate=validate.Range(
            min=Decimal("0.001"), max=MAX_QTY, error="must be between 0.001 and 1e9"
        ),
        **_documented_range(0.001, kw),
    )


def minimum_field(**kw: Any) -> fields.Decimal:
    return fields.Decimal(
        places=3,
        allow_nan=False,
        validate=validate.Range(min=Decimal(0), max=MAX_QTY, error="must be between 0 and 1e9"),
        **_documented_range(0, kw),
    )


class PartIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    unit = fields.String(load_default="pcs", validate=validate.Length(min=1, max=20))
    min_quantity = minimum_field(load_default=None, allow_none=True)


class PartOut(Schema):
    id = fields.UUID()
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    min_quantity = fields.Float(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PartQuery(Schema):
    sku = fields.String(validate=validate.Length(max=64))
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "name search"})


class LocationIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS))
    engineer_id = fields.UUID(load_default=None, allow_none=True)


class LocationOut(Schema):
    id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    engineer_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()


class StockQuery(Schema):
    location_id = fields.UUID()
    part_id = fields.UUID()


class LevelOut(Schema):
    part_id = fields.UUID()
    sku = fields.String()
    location_id = fields.UUID()
    engineer_id = fields.UUID(allow_none=True)
    quantity = fields.Float()
    min_quantity = fields.Float(allow_none=True)
    low = fields.Boolean(metadata={"description": "at or below the low-stock threshold"})
    negative = fields.Boolean(metadata={"description": "below zero (offline use, flagged)"})
    updated_at = fields.DateTime()


class MovementIn(Schema):
    part_id = fields.UUID(required=True)
    quantity = quantity_field(required=True)
    from_location_id = fields.UUID(load_default=None, allow_none=True)
    to_location_id = fields.UUID(load_default=None, allow_none=True)
    kind = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([k for k in MOVEMENT_KINDS if k != "consumption"]),
        metadata={
            "description": "inferred when omitted (both locations: transfer; only "
            "to_location_id: receipt). Consumption is recorded on /tickets/{id}/parts."
        },
    )
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class MovementQuery(Schema):
    part_id = fields.UUID()
    location_id = fields.UUID()
    ticket_id = fields.UUID()


class MovementFlagsOut(Schema):
    """What the ledger noted about a movement (``parts.ledger``): set only when it happened."""

    negative_stock = fields.Boolean(metadata={"description": "a level went below zero"})
    level_after = fields.String(metadata={"description": "that level afterwards (decimal)"})


class MovementOut(Schema):
    id = fields.UUID()
    part_id = fields.UUID()
    kind = fields.String()
    quantity = fields.Float()
    from_location_id = fields.UUID(allow_none=True)
    to_location_id = fields.UUID(allow_none=True)
    reason = fields.String(allow_none=True)
    ticket_id = fields.UUID(allow_none=True)
    actor_id = fields.UUID(allow_none=True)
    via = fields.String()
    flags = fields.Nested(MovementFlagsOut)
    occurred_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class ThresholdIn(Schema):
    part_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    min_quantity = minimum_field(required=True)


class ThresholdOut(Schema):
    id = fields.UUID()
    part_id = fields.UUID()
    location_id = fields.UUID()
    min_quantity = fields.Float()


class UsageIn(Schema):
    id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "client id (idempotency)"}
    )
    part_id = fields.UUID(required=True)
    quantity = quantity_field(required=True)
    location_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "defaults to the engineer's van"},
    )
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True)


class UsageOut(Schema):
    id = fields.UUID()
    ticket_id = fields.UUID()
    part_id = fields.UUID()
    location_id = fields.UUID()
    quantity = fields.Float()
    engineer_id = fields.UUID(allow_none=True)
    movement_id = fields.UUID()
    negative_stock = fields.Boolean()
    via = fields.String()
    occurred_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class UsageList(Schema):
    no_parts_used = fields.Boolean()
    items = fields.List(fields.Nested(UsageOut))


class StatementIn(Schema):
    id = fields.UUID(load_default=None, allow_none=True)
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True)


class StatementOut(Schema):
    id = fields.UUID()
    ticket_id = fields.UUID()
    user_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
