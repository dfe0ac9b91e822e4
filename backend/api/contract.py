"""What the OpenAPI document says about every operation at once, made true: the
error body, the ``X-Pagination`` header, the headers an HTTP error carries, and the shape of
values a schema passes through as they are (``document_as``).

``FieldopsApi`` is the ``flask_smorest.Api`` the app uses. This module exposes no ``blp``.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Api
from werkzeug.exceptions import HTTPException


class ErrorSchema(ma.Schema):
    """Every error body: flask-smorest's four fields plus what ``DomainError`` adds (``kind``
    and per-error extras such as ``existing`` or ``limit_bytes``), so more fields are allowed:
    a client must not break on a new one."""

    class Meta:
        unknown = ma.INCLUDE

    code = ma.fields.Integer(metadata={"description": "HTTP status code"})
    status = ma.fields.String(metadata={"description": "HTTP status phrase"})
    message = ma.fields.String(metadata={"description": "What went wrong, for a person"})
    kind = ma.fields.String(
        metadata={"description": "Machine-readable reason, e.g. `not_found`, `stale_version`"}
    )
    errors = ma.fields.Dict(metadata={"description": "Messages per field or location"})


PAGINATION_HEADER = {
    "description": "Pagination metadata as a JSON object in a string: `total`, "
    "`total_pages`, `first_page`, `last_page`, `page`, `previous_page`, `next_page`",
    "schema": {"type": "string"},
}


DOCUMENT_AS = "document_as"


def documented_as(
    converter: Any, field: ma.fields.Field[Any], ret: dict[str, Any], **_: Any
) -> Any:
    """An apispec attribute function: a field whose metadata says ``document_as`` (a schema, a
    list of schemas: one of them, or a function returning either) is documented as that
    schema's component. Its value is dumped as it is (a ``Dict`` or ``Raw`` passes the built
    value through, at no cost per item); the document still gives its shape, so a generated
    client types it, and the schemathesis run's response check holds the real answers to it."""
    target = field.metadata.get(DOCUMENT_AS)
    if target is None:
        return {}
    if callable(target) and not isinstance(target, type):
        target = target()  # built when the document is, e.g. from every feature's models
    for key in ("type", "additionalProperties", "items"):
        ret.pop(key, None)
    if isinstance(target, list | tuple):
        return {"oneOf": [converter.resolve_nested_schema(schema) for schema in target]}
    ref = converter.resolve_nested_schema(target)
    # OpenAPI 3.0: siblings of a $ref (nullable, description) are ignored unless wrapped.
    return {"allOf": [ref]} if ret else ref


class FieldopsApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, **kwargs: Any) -> None:
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_attribute_function(documented_as)

    def _register_pagination_header(self) -> None:
        # flask-smorest documents the header as an object; it sends JSON text.
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Any:
        """flask-smorest's JSON error body, keeping the headers the exception carries (a 405's
        ``Allow``, a 429's ``Retry-After``) that its handler drops."""
        payload, code, headers = super().handle_http_exception(error)
        own = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return payload, code, {**own, **(headers or {})}
