"""A report as a file: CSV streamed row by row, XLSX written in XlsxWriter's constant-memory
mode and streamed from its temporary file.

The rows are the report's JSON answer, dumped through its schema and flattened (a nested
object's fields become ``respond.met_pct`` columns), so a file never says anything the JSON
does not. Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) is
written as text: asset models and part names are typed by people, some of them customers.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import xlsxwriter
from marshmallow import Schema, fields

from backend.reports.kpi_schemas import CSV_TYPE, XLSX_TYPE

CONTENT_TYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}
CHUNK = 64 * 1024
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def _text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_chunks(header: list[str], body: Iterable[list[Any]]) -> Iterator[str]:
    """The CSV text in chunks of about 64 KiB (RFC 4180 quoting, CRLF line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in body:
        writer.writerow(["" if v is None else _text(v) for v in row])
        if buf.tell() >= CHUNK:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def xlsx_chunks(sheet: str, header: list[str], body: Iterable[list[Any]]) -> Iterator[bytes]:
    """The workbook's bytes in chunks; rows go to disk as they come (constant memory), the
    finished file is read back and removed."""
    fd, path = tempfile.mkstemp(prefix="fieldops-report-", suffix=".xlsx")
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(path, {"constant_memory": True})
        ws = book.add_worksheet(sheet[:31])
        bold = book.add_format({"bold": True})
        for c, name in enumerate(header):
            ws.write_string(0, c, name, bold)
        for r, row in enumerate(body, start=1):
            for c, value in enumerate(row):
                _cell(ws, r, c, value)
        book.close()
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _cell(ws: Any, r: int, c: int, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value)
    else:
        ws.write_string(r, c, str(value))  # never a formula, whatever the text starts with


def filename(report: str, period_from: datetime, period_to: datetime, fmt: str) -> str:
    """``sla_2026-11-01_2026-12-01.csv``: the report and its period, safe in any header."""
    return f"{report}_{period_from:%Y-%m-%d}_{period_to:%Y-%m-%d}.{fmt}"
