"""An uploaded CSV or XLSX file as rows of text: the format is recognised by its bytes (an
XLSX workbook is a zip file), not by its name, and every cell becomes a stripped string or
None (empty), so the validator sees one shape whatever program wrote the file. XLSX is read
with openpyxl in read-only mode: rows stream from the zip without building the workbook."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

import openpyxl

from backend.errors import Invalid, UnsupportedMedia

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .xls


def detect(data: bytes) -> str:
    """``xlsx`` or ``csv``; the old binary Excel format is refused with what to do instead."""
    if data.startswith(_ZIP):
        return "xlsx"
    if data.startswith(_OLE):
        raise UnsupportedMedia("this is an old .xls workbook: save it as .xlsx or CSV")
    return "csv"


def cell_text(value: Any) -> str | None:
    """A cell as text: None for an empty one; whole numbers without ``.0`` (a spreadsheet
    stores 42 as 42.0); dates as ISO 8601."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    elif isinstance(value, datetime | date | time):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip()
    return text or None


def rows(data: bytes, fmt: str) -> Iterator[list[str | None]]:
    """The file's rows (the header first) as lists of cell texts."""
    return _xlsx_rows(data) if fmt == "xlsx" else _csv_rows(data)


def _csv_rows(data: bytes) -> Iterator[list[str | None]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"the file is not UTF-8 text (byte {exc.start + 1}): save the CSV as UTF-8"
        ) from None
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            yield [cell_text(v) for v in row]
    except csv.Error as exc:
        raise Invalid(f"the CSV cannot be read: {exc}") from None


def _xlsx_rows(data: bytes) -> Iterator[list[str | None]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise Invalid(f"the file is not a readable XLSX workbook ({exc})") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return
        for row in sheet.iter_rows(values_only=True):
            yield [cell_text(v) for v in row]
    finally:
        book.close()
