"""``operation(...)`` documents a view exactly as the decorator stack it stands for
(``@blp.arguments``, ``@blp.response``, ``@blp.paginate()``, ``@document_errors``, stacked in
that order): the OpenAPI document stayed byte-identical when the views moved to it, and this
keeps the two spellings from drifting apart, key order included."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Flask
from flask_smorest.pagination import PaginationParameters

from backend.api.contract import FieldopsApi
from backend.api.schemas_common import ApiBlueprint, document_errors, operation


class ItemIn(ma.Schema):
    name = ma.fields.String(required=True)


class ItemQuery(ma.Schema):
    q = ma.fields.String()


class ItemOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


HEADERS = {"ETag": {"description": "version", "schema": {}}}


def _paths(register: Callable[[ApiBlueprint], None]) -> str:
    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="v1", OPENAPI_VERSION="3.0.3")
    api = FieldopsApi(app)
    blp = ApiBlueprint("items", __name__, url_prefix="/items")
    register(blp)
    api.register_blueprint(blp)
    return json.dumps(api.spec.to_dict()["paths"])


def _stacked(blp: ApiBlueprint) -> None:
    @blp.route("", methods=["POST"])
    @blp.arguments(ItemIn)
    @blp.response(201, ItemOut, headers=HEADERS)
    @document_errors(blp, 404, 409)
    def create(data: dict[str, Any]) -> dict[str, Any]:
        """Create an item."""
        return data

    @blp.route("", methods=["GET"])
    @blp.arguments(ItemQuery, location="query")
    @blp.response(200, ItemOut(many=True))
    @blp.paginate()
    @document_errors(blp, 403)
    def items(query: dict[str, Any], pagination_parameters: PaginationParameters) -> list[Any]:
        """Items."""
        return []

    @blp.route("/<int:item_id>/label", methods=["GET"])
    @blp.response(200, content_type="image/png", description="The label")
    @document_errors(blp, 404)
    def label(item_id: int) -> bytes:
        """A label."""
        return b""


def _folded(blp: ApiBlueprint) -> None:
    @blp.route("", methods=["POST"])
    @operation(blp, 201, ItemOut, body=ItemIn, errors=(404, 409), headers=HEADERS)
    def create(data: dict[str, Any]) -> dict[str, Any]:
        """Create an item."""
        return data

    @blp.route("", methods=["GET"])
    @operation(blp, 200, ItemOut(many=True), query=ItemQuery, paginate=True, errors=(403,))
    def items(query: dict[str, Any], pagination_parameters: PaginationParameters) -> list[Any]:
        """Items."""
        return []

    @blp.route("/<int:item_id>/label", methods=["GET"])
    @operation(blp, 200, errors=(404,), content_type="image/png", description="The label")
    def label(item_id: int) -> bytes:
        """A label."""
        return b""


def test_operation_documents_what_the_stack_did() -> None:
    stacked = _paths(_stacked)
    assert '"404"' in stacked and '"X-Pagination"' in stacked and '"The label"' in stacked
    assert _paths(_folded) == stacked
