"""Spare parts API: catalog, stock locations, derived levels, ledger movements, and parts
consumed on a ticket. Thin views: parse, check access, call ``backend.parts.operations``."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest.pagination import PaginationParameters

from backend.accounts.permissions import current_user, require_login, require_staff
from backend.api.records import Create, Listing, collection, record
from backend.api.schemas_common import ApiBlueprint, operation, paginate
from backend.parts import operations as ops
from backend.parts import queries
from backend.parts.models import (
    PartsStatement,
    PartUsage,
    StockMovement,
    StockThreshold,
)
from backend.parts.schemas import (
    LevelOut,
    LocationIn,
    LocationOut,
    MovementIn,
    MovementOut,
    MovementQuery,
    PartIn,
    PartOut,
    PartQuery,
    StatementIn,
    StatementOut,
    StockQuery,
    ThresholdIn,
    ThresholdOut,
    UsageIn,
    UsageList,
    UsageOut,
)
from backend.workorders.operations import get_ticket

blp = ApiBlueprint(
    "parts",
    __name__,
    url_prefix="/api/v1",
    description="Spare parts: catalog, stock locations (warehouses and one van per engineer), "
    "the append-only stock ledger and its derived levels, and parts used on tickets.",
)


collection(
    blp,
    "/parts",
    "Parts",
    PartOut,
    create=Create(
        PartIn, ops.create_part, "Add a part to the catalog (SKU unique; 409 if taken).", (409,)
    ),
    listing=Listing(
        queries.parts_stmt,
        "The catalog, by SKU (``sku`` exact match, ``q`` searches names).",
        query=PartQuery,
        access=require_login,
    ),
)
record(blp, "/parts/<uuid:part_id>", "PartById", PartOut, ops.get_part, None, access=require_login)
collection(
    blp,
    "/stock-locations",
    "StockLocations",
    LocationOut,
    create=Create(
        LocationIn,
        ops.create_location,
        "A warehouse, or the van of one engineer (``engineer_id``; one van per engineer).",
        (409,),
    ),
    listing=Listing(
        lambda: queries.locations_stmt(current_user()),
        "Staff see every location; engineers see warehouses and their own van.",
        access=require_login,
    ),
)


@blp.route("/stock", methods=["GET"])
@operation(blp, 200, LevelOut(many=True), query=StockQuery, paginate=True, errors=(403,))
@require_login
def stock_levels(
    args: dict[str, Any], pagination_parameters: PaginationParameters
) -> list[dict[str, Any]]:
    """Current levels, derived from the ledger, with thresholds and low/negative flags.
    Engineers may read their own van only (``location_id`` required)."""
    rows, total = queries.levels(
        current_user(),
        location_id=args.get("location_id"),
        part_id=args.get("part_id"),
        page_no=pagination_parameters.page,
        page_size=pagination_parameters.page_size,
    )
    pagination_parameters.item_count = total
    return rows


@blp.route("/stock/movements", methods=["POST"])
@operation(blp, 201, MovementOut, body=MovementIn, errors=(404, 409))
@require_staff
def post_movement(data: dict[str, Any]) -> StockMovement:
    """Append a ledger movement: receipt (to only), transfer (both), return, adjustment (one
    location, reason required). 409 when it would take a location below zero."""
    return ops.post_movement(actor=current_user(), **data)


@blp.route("/stock/movements", methods=["GET"])
@operation(blp, 200, MovementOut(many=True), query=MovementQuery, paginate=True)
@require_staff
def list_movements(
    args: dict[str, Any], pagination_parameters: PaginationParameters
) -> list[StockMovement]:
    """The ledger, newest first."""
    return paginate(queries.movements_stmt(**args), pagination_parameters)


@blp.route("/stock/thresholds", methods=["PUT"])
@operation(blp, 200, ThresholdOut, body=ThresholdIn, errors=(404,))
@require_staff
def set_threshold(data: dict[str, Any]) -> StockThreshold:
    """Low-stock threshold of a part at a location; dispatchers are notified when a level
    falls to it or below (once per crossing)."""
    return ops.set_threshold(actor=current_user(), **data)


@blp.route("/tickets/<uuid:ticket_id>/parts", methods=["POST"])
@operation(blp, 201, UsageOut, body=UsageIn, errors=(403, 404, 409))
@require_login
def consume(data: dict[str, Any], ticket_id: uuid.UUID) -> PartUsage:
    """Record a part used on the job, from the engineer's van unless ``location_id`` says
    otherwise. Idempotent by client ``id``. Never refused for lack of stock: the usage is
    flagged ``negative_stock`` and dispatchers are told."""
    user = current_user()
    ticket = get_ticket(ticket_id, for_user=user, lock=True)
    return ops.consume_body(ticket, user, data).usage


@blp.route("/tickets/<uuid:ticket_id>/parts", methods=["GET"])
@operation(blp, 200, UsageList, errors=(404,))
@require_login
def list_usages(ticket_id: uuid.UUID) -> dict[str, object]:
    """Parts used on the job, and whether "no parts used" was stated."""
    ticket = get_ticket(ticket_id, for_user=current_user())
    return {
        "items": queries.usages(ticket.id),
        "no_parts_used": ops.has_no_parts_statement(ticket.id),
    }


@blp.route("/tickets/<uuid:ticket_id>/parts/none", methods=["POST"])
@operation(blp, 201, StatementOut, body=StatementIn, errors=(403, 404, 409))
@require_login
def no_parts_used(data: dict[str, Any], ticket_id: uuid.UUID) -> PartsStatement:
    """State that no parts were used on the job (satisfies the parts completion rule).
    Idempotent; 409 when parts are already recorded."""
    user = current_user()
    ticket = get_ticket(ticket_id, for_user=user, lock=True)
    return ops.declare_no_parts(
        ticket, user, statement_id=data.get("id"), occurred_at=data.get("occurred_at")
    )
