"""Customer, site and asset schemas (input and output kept apart)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.assets.labels import MAX_COLUMNS, MAX_LABELS, MAX_ROWS
from backend.assets.qr import report_url
from backend.config import settings
from backend.geo import PointField


class CustomerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=validate.Length(max=50))


class CustomerOut(Schema):
    id = fields.UUID()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    created_at = fields.DateTime()


class SiteIn(Schema):
    customer_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(allow_none=True, validate=validate.Length(max=2000))
    location = PointField(required=True)


class SiteQuery(Schema):
    customer_id = fields.UUID()


class SiteOut(Schema):
    id = fields.UUID()
    customer_id = fields.UUID()
    name = fields.String()
    address = fields.String(allow_none=True)
    location = PointField()
    created_at = fields.DateTime()


class AssetIn(Schema):
    site_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    model = fields.String(allow_none=True, validate=validate.Length(max=200))
    serial = fields.String(allow_none=True, validate=validate.Length(max=200))


class AssetQuery(Schema):
    site_id = fields.UUID()


class AssetOut(Schema):
    id = fields.UUID()
    site_id = fields.UUID()
    name = fields.String()
    model = fields.String(allow_none=True)
    serial = fields.String(allow_none=True)
    qr_token = fields.String(
        metadata={"description": "Unguessable token printed on the label (144 random bits)"}
    )
    qr_url = fields.Function(
        lambda asset: report_url(asset, settings().PUBLIC_BASE_URL),
        metadata={"type": "string", "description": "What the label encodes"},
    )
    created_at = fields.DateTime()


class QrQuery(Schema):
    scale = fields.Integer(
        load_default=8,
        validate=validate.Range(min=1, max=40),
        metadata={"description": "Pixels (PNG) or units (SVG) per module"},
    )
    border = fields.Integer(
        load_default=4,
        validate=validate.Range(min=0, max=16),
        metadata={"description": "Quiet zone in modules (4 is the QR standard)"},
    )


class LabelSheetIn(Schema):
    """Which assets (``asset_ids`` in print order, or every asset of ``site_id``) and the
    grid of labels on each A4 page."""

    asset_ids = fields.List(
        fields.UUID(),
        validate=validate.Length(min=1, max=MAX_LABELS),
        metadata={"description": f"Assets in print order; at most {MAX_LABELS}"},
    )
    site_id = fields.UUID(metadata={"description": "Instead of asset_ids: a site's assets"})
    columns = fields.Integer(load_default=3, validate=validate.Range(min=1, max=MAX_COLUMNS))
    rows = fields.Integer(load_default=8, validate=validate.Range(min=1, max=MAX_ROWS))

    @validates_schema
    def _one_selection(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("asset_ids" in data) == ("site_id" in data):
            raise ValidationError("give either asset_ids or site_id", "asset_ids")
