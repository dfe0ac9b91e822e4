"""Which classes sync, who may see each row, and how a row looks on the wire.

Discovery is generic (every mapped ``SyncTracked`` subclass), so a feature adds a synced
collection by declaring the marker; see the package docstring for the scope convention.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, cast

from geoalchemy2 import WKBElement
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy import ColumnElement, inspect, select, true

from backend.db import Base, SyncTracked
from backend.wkb import wkb_point_xy

# Never sent to phones whatever the class says: the customer's tracking secret.
ALWAYS_EXCLUDED = {"tracking_token"}


@dataclass(frozen=True)
class Entity:
    name: str
    cls: type
    scope: str  # assignee | ticket | global | engineer | custom
    attr: str | None = None  # the user-id attribute for "engineer:<attr>"

    @property
    def ticket_child(self) -> bool:
        return self.scope == "ticket"


def _scope_of(cls: type) -> tuple[str, str | None]:
    declared = getattr(cls, "__sync_scope__", None)
    if declared is None:
        if getattr(cls, "__sync_entity__", None) == "tickets":
            return "assignee", None
        if "ticket_id" in inspect(cls).columns:
            return "ticket", None
        raise TypeError(f"{cls.__name__}: SyncTracked needs __sync_scope__ (no ticket_id)")
    if declared.startswith("engineer:"):
        return "engineer", declared.split(":", 1)[1]
    if declared not in {"global", "ticket", "assignee", "custom"}:
        raise TypeError(f"{cls.__name__}: unknown __sync_scope__ {declared!r}")
    return declared, None


@cache
def _registry() -> dict[str, Entity]:
    from backend import models  # noqa: F401  (every feature's mappers)

    found: dict[str, Entity] = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, SyncTracked) and getattr(cls, "__sync_entity__", None):
            scope, attr = _scope_of(cls)
            found[cls.__sync_entity__] = Entity(cls.__sync_entity__, cls, scope, attr)
    return dict(sorted(found.items()))


def entities() -> dict[str, Entity]:
    return _registry()


def entity_for(obj_or_cls: Any) -> Entity | None:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    name = getattr(cls, "__sync_entity__", None)
    return _registry().get(name) if name else None


def children() -> list[Entity]:
    return [e for e in _registry().values() if e.ticket_child]


def scope_clause(entity: Entity, user_id: uuid.UUID) -> ColumnElement[bool]:
    """SQL condition: rows of ``entity`` that ``user_id`` may hold on the phone now."""
    from backend.workorders.models import Ticket

    cls: Any = entity.cls
    clause: ColumnElement[bool]
    if entity.scope == "assignee":
        clause = cls.assignee_id == user_id
    elif entity.scope == "ticket":
        clause = cls.ticket_id.in_(select(Ticket.id).where(Ticket.assignee_id == user_id))
    elif entity.scope == "global":
        clause = true()
    elif entity.scope == "engineer":
        clause = getattr(cls, entity.attr or "") == user_id
    else:
        clause = cls.sync_scope_clause(user_id)
    return clause


def engineers_of(entity: Entity, obj: Any) -> set[uuid.UUID]:
    """Engineers who may see ``obj`` as it is now (ticket children are resolved by caller)."""
    if entity.scope == "assignee":
        return {obj.assignee_id} if obj.assignee_id else set()
    if entity.scope == "engineer":
        value = getattr(obj, entity.attr or "")
        return {value} if value else set()
    if entity.scope == "custom":
        return {u for u in obj.sync_engineers() if u}
    return set()


_AS_IS = frozenset((str, int, float, bool, type(None)))
# Tuples, not ``A | B``: a union in ``isinstance`` is built anew on every call, and ``plain``
# runs for every column of every row a pull sends.
_DATES = (datetime, date)
_SEQUENCES = (list, tuple)
_BLOBS = (bytes, memoryview)


def plain(value: Any) -> Any:
    if type(value) in _AS_IS:  # most columns: no conversion, skip the checks below
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, _DATES):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, WKBElement):
        xy = wkb_point_xy(value)
        if xy is not None:
            return {"type": "Point", "coordinates": [xy[0], xy[1]]}
        return plain(dict(mapping(to_shape(value))))
    if isinstance(value, _SEQUENCES):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, _BLOBS):
        return None
    return value


@cache
def _columns(cls: Hashable) -> tuple[str, ...]:
    excluded = ALWAYS_EXCLUDED | set(getattr(cls, "__sync_exclude__", ()))
    attrs: Iterable[Any] = inspect(cls).column_attrs
    return tuple(a.key for a in attrs if a.key not in excluded)


def serialize(obj: Any) -> dict[str, Any]:
    """The entity's current state as the phone stores it (``to_sync()`` overrides): its
    columns less ``__sync_exclude__``, plus the derived ``__sync_extra__`` attributes."""
    custom = getattr(obj, "to_sync", None)
    if callable(custom):
        state: dict[str, Any] = custom()
        return state
    cls = type(obj)
    data = {key: plain(getattr(obj, key)) for key in _columns(cast(Hashable, cls))}
    for key in getattr(cls, "__sync_extra__", ()):  # derived values the phone shows
        data[key] = plain(getattr(obj, key))
    return data


def serialize_many(objs: list[Any]) -> list[dict[str, Any]]:
    """``serialize`` for rows of one class, plus what the class's ``sync_context(objs)``
    classmethod adds per id: context that lives in other tables, loaded once for the whole
    page instead of once per row."""
    if not objs:
        return []
    batch = getattr(type(objs[0]), "sync_context", None)
    extra: dict[Any, dict[str, Any]] = batch(objs) if callable(batch) else {}
    return [serialize(obj) | extra.get(obj.id, {}) for obj in objs]


def ids(values: Iterable[Any]) -> list[str]:
    return [str(v) for v in values]
