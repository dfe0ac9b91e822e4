"""The documented shape of every synced collection, derived from what ``entities.serialize``
sends: the same columns (less ``__sync_exclude__``), the ``__sync_extra__`` attributes, and
the keys ``sync_context`` adds; a class with its own ``to_sync`` documents it itself.

The schemas describe; they never dump (a pull sends ``serialize``'s dicts as they are). They
exist so the OpenAPI document, and the PWA's types generated from it, say what a phone gets
in ``changes.<collection>.upserts``, and so a test can load real rows with them: a column added
to a model appears in the document by itself, and a shape the document gets wrong fails.

Conventions for a synced model (besides those in ``backend.sync``):

- a JSON column says what it holds with ``info={"wire": <marshmallow field>}``;
- a class with ``sync_context`` has a classmethod ``sync_context_schemas()`` returning the
  marshmallow schemas of the keys it adds;
- a class with ``to_sync`` has a classmethod ``sync_schema()`` returning its schema.
"""

from __future__ import annotations

import copy
import typing
from functools import cache
from typing import Any

from geoalchemy2 import Geometry
from marshmallow import Schema, fields
from sqlalchemy import (
    ARRAY,
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Numeric,
    Uuid,
    inspect,
)
from sqlalchemy import String as SAString
from sqlalchemy.types import TypeEngine

from backend.geo import GEOMETRY_SCHEMA, POINT_SCHEMA
from backend.sync.entities import Entity, _columns, entities

Field = fields.Field[Any]

_PYTHON: dict[type, type[Field]] = {str: fields.String, int: fields.Integer, float: fields.Float}


# Column types sent as one plain value, and the field documenting it, tried in this order
# (an Enum is a String: it is handled before them).
_SCALARS: tuple[tuple[type[TypeEngine[Any]], type[Field]], ...] = (
    (Uuid, fields.UUID),
    (Boolean, fields.Boolean),
    (Integer, fields.Integer),
    (Numeric, fields.Float),  # a Decimal is sent as a float
    (Float, fields.Float),
    (DateTime, fields.DateTime),
    (Date, fields.Date),
    (SAString, fields.String),
)


def _field_for_type(kind: TypeEngine[Any], **kw: Any) -> Field:
    """The field documenting what ``entities.plain`` makes of a value of this column type."""
    if isinstance(kind, Enum):
        return fields.String(metadata={"enum": list(kind.enums)}, **kw)
    for column_type, field_class in _SCALARS:
        if isinstance(kind, column_type):
            return field_class(**kw)
    if isinstance(kind, ARRAY):
        return fields.List(_field_for_type(kind.item_type), **kw)
    if isinstance(kind, Geometry):
        shape = POINT_SCHEMA if kind.geometry_type == "POINT" else GEOMETRY_SCHEMA
        return fields.Dict(metadata=shape, **kw)
    raise TypeError(f"no wire field for column type {kind!r}")


def _column_field(cls: type, key: str) -> Field:
    column: Any = inspect(cls).columns[key]
    kw = {"required": True, "allow_none": bool(column.nullable)}
    declared: Field | None = column.info.get("wire")
    if declared is not None:
        field: Field = copy.deepcopy(declared)
        field.required, field.allow_none = True, kw["allow_none"]
        return field
    if isinstance(column.type, JSON):
        raise TypeError(f"{cls.__name__}.{key}: a JSON column needs info={{'wire': <field>}}")
    return _field_for_type(column.type, **kw)


def _extra_field(cls: type, key: str) -> Field:
    """A ``__sync_extra__`` attribute, typed by its property's return annotation."""
    prop = getattr(cls, key)
    hints = typing.get_type_hints(prop.fget) if isinstance(prop, property) else {}
    kind = _PYTHON.get(hints.get("return", str), fields.String)
    return kind(required=True)


def _declared(schema: type[Schema]) -> dict[str, Field]:
    return {name: copy.deepcopy(f) for name, f in schema._declared_fields.items()}


def _entity_fields(entity: Entity) -> dict[str, Field]:
    cls: Any = entity.cls
    if callable(getattr(cls, "to_sync", None)):
        return _declared(cls.sync_schema())
    found = {key: _column_field(cls, key) for key in _columns(cls)}
    for key in getattr(cls, "__sync_extra__", ()):
        found[key] = _extra_field(cls, key)
    if callable(getattr(cls, "sync_context", None)):
        for schema in cls.sync_context_schemas():
            found.update(_declared(schema))
    return found


def _name(entity: Entity) -> str:
    return "".join(part.title() for part in entity.name.split("_"))


@cache
def entity_schema(name: str) -> type[Schema]:
    """The schema of one upsert of collection ``name`` (``TicketsEntity``...)."""
    entity = entities()[name]
    return Schema.from_dict(_entity_fields(entity), name=f"{_name(entity)}Entity")


@cache
def changes_schema() -> type[Schema]:
    """``changes`` of a pull: per collection, its upserts (typed) and removed ids. A pull
    sends only the collections that changed, so none is required."""
    collections: dict[str, Field] = {}
    for name, entity in entities().items():
        collection = Schema.from_dict(
            {
                "upserts": fields.List(fields.Nested(entity_schema(name)), required=True),
                "removes": fields.List(fields.UUID(), required=True),
            },
            name=f"{_name(entity)}Changes",
        )
        collections[name] = fields.Nested(collection)
    return Schema.from_dict(collections, name="PullChanges")
