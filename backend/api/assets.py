"""Customers, sites, assets and printable QR labels (dispatchers and admins)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from backend.accounts.permissions import current_user, require_staff
from backend.api.schemas_common import BINARY, ApiBlueprint, operation, paginate
from backend.assets import operations as ops
from backend.assets.models import Asset, Customer, Site
from backend.assets.qr import CONTENT_TYPES, render, report_url
from backend.assets.schemas import (
    AssetIn,
    AssetOut,
    AssetQuery,
    CustomerIn,
    CustomerOut,
    QrQuery,
    SiteIn,
    SiteOut,
    SiteQuery,
)
from backend.config import settings

blp = ApiBlueprint(
    "assets", __name__, url_prefix="/api/v1", description="Customers, sites, assets, QR labels"
)


@blp.route("/customers")
class Customers(MethodView):
    @operation(blp, 201, CustomerOut, body=CustomerIn)
    @require_staff
    def post(self, args: dict[str, Any]) -> Customer:
        """Create a customer."""
        return ops.create_customer(actor=current_user(), **args)

    @operation(blp, 200, CustomerOut(many=True), paginate=True)
    @require_staff
    def get(self, pagination_parameters: PaginationParameters) -> list[Customer]:
        """Customers by name."""
        return paginate(ops.customers_query(), pagination_parameters)


@blp.route("/customers/<uuid:customer_id>")
class CustomerById(MethodView):
    @operation(blp, 200, CustomerOut, errors=(404,))
    @require_staff
    def get(self, customer_id: uuid.UUID) -> Customer:
        """One customer."""
        return ops.get_customer(customer_id)


@blp.route("/sites")
class Sites(MethodView):
    @operation(blp, 201, SiteOut, body=SiteIn, errors=(404,))
    @require_staff
    def post(self, args: dict[str, Any]) -> Site:
        """Create a site of a customer, with its location (GeoJSON Point)."""
        return ops.create_site(actor=current_user(), **args)

    @operation(blp, 200, SiteOut(many=True), query=SiteQuery, paginate=True)
    @require_staff
    def get(self, query: dict[str, Any], pagination_parameters: PaginationParameters) -> list[Site]:
        """Sites by name; filter by ``customer_id``."""
        return paginate(ops.sites_query(query.get("customer_id")), pagination_parameters)


@blp.route("/sites/<uuid:site_id>")
class SiteById(MethodView):
    @operation(blp, 200, SiteOut, errors=(404,))
    @require_staff
    def get(self, site_id: uuid.UUID) -> Site:
        """One site."""
        return ops.get_site(site_id)


@blp.route("/assets")
class Assets(MethodView):
    @operation(blp, 201, AssetOut, body=AssetIn, errors=(404,))
    @require_staff
    def post(self, args: dict[str, Any]) -> Asset:
        """Create an asset at a site; it gets its unguessable ``qr_token``."""
        return ops.create_asset(actor=current_user(), **args)

    @operation(blp, 200, AssetOut(many=True), query=AssetQuery, paginate=True)
    @require_staff
    def get(
        self, query: dict[str, Any], pagination_parameters: PaginationParameters
    ) -> list[Asset]:
        """Assets by name; filter by ``site_id``."""
        return paginate(ops.assets_query(query.get("site_id")), pagination_parameters)


@blp.route("/assets/<uuid:asset_id>")
class AssetById(MethodView):
    @operation(blp, 200, AssetOut, errors=(404,))
    @require_staff
    def get(self, asset_id: uuid.UUID) -> Asset:
        """One asset."""
        return ops.get_asset(asset_id)


def _label(asset_id: uuid.UUID, kind: str, query: dict[str, Any]) -> Response:
    asset = ops.get_asset(asset_id)
    url = report_url(asset, settings().PUBLIC_BASE_URL)
    body = render(url, kind, scale=query["scale"], border=query["border"])
    response = Response(body, mimetype=CONTENT_TYPES[kind])
    response.headers["Content-Disposition"] = f'inline; filename="asset-{asset.id}.{kind}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@blp.route("/assets/<uuid:asset_id>/qr.svg")
class AssetQrSvg(MethodView):
    @operation(
        blp,
        200,
        BINARY,
        query=QrQuery,
        errors=(404,),
        content_type="image/svg+xml",
        description="The label, as SVG",
    )
    @require_staff
    def get(self, query: dict[str, Any], asset_id: uuid.UUID) -> Response:
        """Printable QR label (SVG) encoding ``<PUBLIC_BASE_URL>/r/<qr_token>``."""
        return _label(asset_id, "svg", query)


@blp.route("/assets/<uuid:asset_id>/qr.png")
class AssetQrPng(MethodView):
    @operation(
        blp,
        200,
        BINARY,
        query=QrQuery,
        errors=(404,),
        content_type="image/png",
        description="The label, as PNG",
    )
    @require_staff
    def get(self, query: dict[str, Any], asset_id: uuid.UUID) -> Response:
        """Printable QR label (PNG) encoding ``<PUBLIC_BASE_URL>/r/<qr_token>``."""
        return _label(asset_id, "png", query)
