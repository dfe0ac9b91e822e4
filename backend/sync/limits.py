"""How big a push may be, derived from the documented limits of every mutation.

A phone must never hold a legal mutation the server refuses for its size: it would retry the
batch forever and nothing after it would sync. So the push's body cap is not a hand-picked
constant: it is computed from each registered mutation's argument schema (its ``Length`` maxima,
the field types) and, for a nested schema whose bounds are rules of its own (the signature:
``MAX_POINTS``, ``MAX_STROKES``, ``MAX_PNG_BYTES`` in ``backend.signoff.signature``), from its
``max_encoded_bytes()`` (a field may say the same of itself: a checklist answer's value), so
sync needs no knowledge of the features above it. The figure is the
encoded size as a phone sends it: ``JSON.stringify`` in UTF-8, where one character takes at most
6 bytes (a control character as ``\\u0001``) and a number at most 24 characters
(``-1.2345678901234567e-300``).

- ``max_mutation_bytes(name)``: the largest legal mutation of that kind, as one element of
  ``mutations`` (``{"id", "name", "args"}``).
- ``MAX_MUTATION_BYTES``: the largest over all kinds.
- ``MAX_PUSH_BYTES``: the body cap of ``POST /sync/push``: the envelope plus
  ``FULL_SIZE_MUTATIONS_PER_PUSH`` mutations of the largest kind. A push of up to
  ``MAX_MUTATIONS_PER_PUSH`` small mutations fits too; a phone with big ones packs its batches
  by bytes as well as by count (both numbers are in the OpenAPI document).

A mutation schema with an unbounded field (a ``Dict``, a ``Raw``, a ``String`` without
``Length`` or ``OneOf``) makes ``max_mutation_bytes`` raise: a new mutation must declare its
maxima, and ``tests/sync/test_push_limits.py`` fails until it does.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from marshmallow import Schema, fields, validate

from backend.geo import PointField
from backend.sync.registry import MUTATIONS
from backend.sync.schemas import MAX_MUTATIONS_PER_PUSH

BYTES_PER_CHAR = 6  # "\u0001": the longest JSON.stringify writes one character as
NUMBER_BYTES = 26  # "-1.2345678901234567e-300", or a decimal sent as a quoted string
DATETIME_BYTES = 2 + 40  # "2026-12-02T20:11:17.123456+00:00" and some slack
UUID_BYTES = 2 + 36
BOOLEAN_BYTES = 5
NAME_MAX = 60  # a mutation name longer than this is unknown (rejected)
CLIENT_ID_MAX = 100
FULL_SIZE_MUTATIONS_PER_PUSH = 4
POINT_BYTES = len('{"type":"Point","coordinates":[,]}') + 2 * NUMBER_BYTES


def text_bytes(max_chars: int) -> int:
    """A JSON string of at most ``max_chars`` characters, quotes included."""
    return 2 + BYTES_PER_CHAR * max_chars


def member_bytes(name: str, value_bytes: int) -> int:
    """``"name":value,`` in an object."""
    return len(json.dumps(name)) + 1 + value_bytes + 1


class Unbounded(ValueError):
    """A mutation argument has no documented maximum size."""


def _string_bytes(field: fields.Field[Any], where: str) -> int:
    longest: int | None = None
    for v in field.validators:
        if isinstance(v, validate.Length) and v.max is not None:
            longest = v.max if longest is None else min(longest, v.max)
        elif isinstance(v, validate.OneOf):
            choices = [len(str(c)) for c in v.choices]
            longest = max(choices) if longest is None else min(longest, max(choices))
    if longest is None:
        raise Unbounded(f"{where}: a String needs a Length(max=...) or OneOf validator")
    return text_bytes(longest)


def _list_bytes(field: fields.List[Any], where: str) -> int:
    longest = next(
        (v.max for v in field.validators if isinstance(v, validate.Length) and v.max is not None),
        None,
    )
    if longest is None:
        raise Unbounded(f"{where}: a List needs a Length(max=...) validator")
    return 2 + longest * (_field_bytes(field.inner, f"{where}[]") + 1)


def _field_bytes(field: fields.Field[Any], where: str) -> int:
    own = getattr(field, "max_encoded_bytes", None)
    if own is not None:  # a field bounded by rules of its own (a checklist answer's value)
        return int(own())
    if isinstance(field, fields.Nested):
        bound = getattr(field.schema, "max_encoded_bytes", None)
        if bound is not None:  # a schema bounded by rules of its own (the signature)
            return int(bound())
        return schema_bytes(field.schema, where)
    if isinstance(field, fields.List):
        return _list_bytes(field, where)
    if isinstance(field, PointField):
        return POINT_BYTES
    if isinstance(field, fields.UUID):
        return UUID_BYTES
    if isinstance(field, fields.DateTime):
        return DATETIME_BYTES
    if isinstance(field, fields.Boolean):
        return BOOLEAN_BYTES
    if isinstance(field, fields.Number):
        return NUMBER_BYTES
    if isinstance(field, fields.String):
        if field.validators and all(isinstance(v, validate.Regexp) for v in field.validators):
            return _regexp_bytes(field, where)
        return _string_bytes(field, where)
    raise Unbounded(f"{where}: {type(field).__name__} has no documented maximum size")


def _regexp_bytes(field: fields.Field[Any], where: str) -> int:
    """A fixed-length pattern such as ``^[0-9a-fA-F]{64}$`` (the only kind used)."""
    for v in field.validators:
        pattern = str(v.regex.pattern) if isinstance(v, validate.Regexp) else ""
        m = re.fullmatch(r"\^\[[^\]]+\]\{(\d+)\}\$", pattern)
        if m:
            return text_bytes(int(m.group(1)))
    raise Unbounded(f"{where}: a Regexp String needs a fixed length such as {{64}}")


def schema_bytes(schema: Schema, where: str = "args") -> int:
    """The largest JSON object ``schema`` loads (fields it ignores are not counted)."""
    total = 2
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        total += member_bytes(key, _field_bytes(field, f"{where}.{key}"))
    return total


@cache
def max_mutation_bytes(name: str) -> int:
    """The largest legal mutation ``name`` as one element of a push's ``mutations``."""
    args = schema_bytes(MUTATIONS[name].loader, f"{name}.args")
    return (
        2
        + member_bytes("id", UUID_BYTES)
        + member_bytes("name", text_bytes(NAME_MAX))
        + member_bytes("args", args)
    )


def envelope_bytes() -> int:
    """``{"client_id":..., "schema_version":..., "mutations":[]}`` without the mutations."""
    return (
        2
        + member_bytes("client_id", text_bytes(CLIENT_ID_MAX))
        + member_bytes("schema_version", NUMBER_BYTES)
        + member_bytes("mutations", 2)
    )


@cache
def push_limits() -> dict[str, int]:
    """The documented limits of one push, computed once all mutations are registered."""
    largest = max(max_mutation_bytes(name) for name in MUTATIONS)
    return {
        "max_mutations": MAX_MUTATIONS_PER_PUSH,
        "max_mutation_bytes": largest,
        "max_body_bytes": envelope_bytes() + FULL_SIZE_MUTATIONS_PER_PUSH * (largest + 1),
    }
