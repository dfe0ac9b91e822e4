"""A report as a file (the writers are ``backend.spreadsheet``'s): the rows are the report's
JSON answer, dumped through its schema and flattened (a nested object's fields become
``respond.met_pct`` columns), so a file never says anything the JSON does not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields


def columns(schema: Schema, prefix: str = "") -> list[str]:
    """The dotted column names of a group schema, in declaration order."""
    out: list[str] = []
    for name, field in schema.fields.items():
        key = f"{prefix}{field.data_key or name}"
        if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            out.extend(columns(field.schema, f"{key}."))
        else:
            out.append(key)
    return out


def _value(row: dict[str, Any], column: str) -> Any:
    value: Any = row
    for part in column.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def rows(group_schema: Schema, groups: list[dict[str, Any]]) -> Iterator[list[Any]]:
    """The dumped groups as lists of cells in ``columns`` order."""
    cols = columns(group_schema)
    for group in groups:
        dumped = group_schema.dump(group)
        yield [_value(dumped, c) for c in cols]


def filename(report: str, period_from: datetime, period_to: datetime, fmt: str) -> str:
    """``sla_2026-11-01_2026-12-01.csv``: the report and its period, safe in any header."""
    return f"{report}_{period_from:%Y-%m-%d}_{period_to:%Y-%m-%d}.{fmt}"
