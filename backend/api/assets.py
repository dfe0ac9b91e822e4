"""Customers, sites, assets and printable QR labels (dispatchers and admins)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask.views import MethodView

from backend.accounts.permissions import current_user, require_staff
from backend.api.records import Create, Listing, collection, record
from backend.api.schemas_common import BINARY, ApiBlueprint, operation
from backend.assets import labels
from backend.assets import operations as ops
from backend.assets.qr import CONTENT_TYPES, render, report_url
from backend.assets.schemas import (
    AssetIn,
    AssetOut,
    AssetQuery,
    CustomerIn,
    CustomerOut,
    LabelSheetIn,
    QrQuery,
    SiteIn,
    SiteOut,
    SiteQuery,
)
from backend.config import settings
from backend.db import release_read
from backend.reports import export_jobs
from backend.reports.schemas import ExportJobOut, ExportStateOut

blp = ApiBlueprint(
    "assets", __name__, url_prefix="/api/v1", description="Customers, sites, assets, QR labels"
)


collection(
    blp,
    "/customers",
    "Customers",
    CustomerOut,
    create=Create(CustomerIn, ops.create_customer, "Create a customer."),
    listing=Listing(ops.customers_query, "Customers by name."),
)
record(
    blp,
    "/customers/<uuid:customer_id>",
    "CustomerById",
    CustomerOut,
    ops.get_customer,
    "One customer.",
)
collection(
    blp,
    "/sites",
    "Sites",
    SiteOut,
    create=Create(
        SiteIn,
        ops.create_site,
        "Create a site of a customer, with its location (GeoJSON Point).",
        errors=(404,),
    ),
    listing=Listing(
        ops.sites_query,
        "Sites by name; filter by ``customer_id``.",
        query=SiteQuery,
    ),
)
record(blp, "/sites/<uuid:site_id>", "SiteById", SiteOut, ops.get_site, "One site.")
collection(
    blp,
    "/assets",
    "Assets",
    AssetOut,
    create=Create(
        AssetIn,
        ops.create_asset,
        "Create an asset at a site; it gets its unguessable ``qr_token``.",
        errors=(404,),
    ),
    listing=Listing(
        ops.assets_query,
        "Assets by name; filter by ``site_id``.",
        query=AssetQuery,
    ),
)
record(blp, "/assets/<uuid:asset_id>", "AssetById", AssetOut, ops.get_asset, "One asset.")


def _label(asset_id: uuid.UUID, kind: str, query: dict[str, Any]) -> Response:
    asset = ops.get_asset(asset_id)
    url = report_url(asset, settings().PUBLIC_BASE_URL)
    body = render(url, kind, scale=query["scale"], border=query["border"])
    response = Response(body, mimetype=CONTENT_TYPES[kind])
    response.headers["Content-Disposition"] = f'inline; filename="asset-{asset.id}.{kind}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _qr_label(kind: str, content_type: str) -> None:
    """``/assets/<id>/qr.<kind>``: the same view for every label format (``CONTENT_TYPES``)."""
    name = kind.upper()

    def get(self: MethodView, query: dict[str, Any], asset_id: uuid.UUID) -> Response:
        return _label(asset_id, kind, query)

    get.__doc__ = f"Printable QR label ({name}) encoding ``<PUBLIC_BASE_URL>/r/<qr_token>``."
    view = operation(
        blp,
        200,
        BINARY,
        query=QrQuery,
        errors=(404,),
        content_type=content_type,
        description=f"The label, as {name}",
    )(require_staff(get))
    endpoint = f"AssetQr{kind.title()}"
    blp.route(f"/assets/<uuid:asset_id>/qr.{kind}", endpoint=endpoint)(
        type(endpoint, (MethodView,), {"get": view})
    )


for _kind, _content_type in CONTENT_TYPES.items():
    _qr_label(_kind, _content_type)


def _selection(args: dict[str, Any], limit: int) -> list[labels.Label]:
    return labels.select_labels(
        asset_ids=args.get("asset_ids"),
        site_id=args.get("site_id"),
        base_url=settings().PUBLIC_BASE_URL,
        limit=limit,
    )


@blp.route("/assets/labels.pdf", endpoint="AssetLabelsPdf")
class AssetLabelsPdf(MethodView):
    @operation(
        blp,
        200,
        BINARY,
        body=LabelSheetIn,
        errors=(404,),
        content_type="application/pdf",
        description="A4 pages of QR labels",
    )
    @require_staff
    def post(self, args: dict[str, Any]) -> Response:
        """A sheet of QR labels (code, name, serial, URL) for a few assets, made now: at most
        48 (``labels.MAX_INLINE_LABELS``); more go through ``POST /assets/labels/jobs``."""
        chosen = _selection(args, labels.MAX_INLINE_LABELS)
        release_read(expire=False)  # nothing read is written; the render takes a while
        pdf = labels.render_sheet(chosen, labels.Grid(columns=args["columns"], rows=args["rows"]))
        response = Response(pdf, mimetype="application/pdf")
        response.headers["Content-Disposition"] = 'inline; filename="qr-labels.pdf"'
        return response


@blp.route("/assets/labels/jobs", endpoint="AssetLabelJobs")
class AssetLabelJobs(MethodView):
    @operation(blp, 202, ExportJobOut, body=LabelSheetIn, errors=(404, 409))
    @require_staff
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Start a sheet of QR labels for up to 1000 assets as a job (10-45 ms a label);
        follow it at ``/assets/labels/jobs/{job_id}``. The selection is checked now."""
        _selection(args, labels.MAX_LABELS)
        query = {
            "asset_ids": [str(i) for i in args["asset_ids"]] if "asset_ids" in args else None,
            "site_id": str(args["site_id"]) if "site_id" in args else None,
            "columns": args["columns"],
            "rows": args["rows"],
        }
        return {
            "job_id": export_jobs.enqueue(current_user(), "labels", "", query),
            "status": "queued",
        }


@blp.route("/assets/labels/jobs/<string:job_id>", endpoint="AssetLabelJobState")
class AssetLabelJobState(MethodView):
    @operation(blp, 200, ExportStateOut, errors=(404,))
    @require_staff
    def get(self, job_id: str) -> dict[str, Any]:
        """A label sheet job's state and progress (labels drawn of labels to draw); once
        finished, a download link. Only whoever started it may read it."""
        return export_jobs.state(job_id, current_user())
