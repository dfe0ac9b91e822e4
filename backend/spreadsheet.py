"""Tables as files people open in a spreadsheet: CSV streamed in chunks, XLSX written in
XlsxWriter's constant-memory mode and streamed from its temporary file. One writer for every
export (the KPI reports, time sheets), so each keeps the same two guarantees: memory does not
grow with the rows, and text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``
first) stays text - asset models, part names and time-sheet reasons are typed by people, some
of them customers."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

import xlsxwriter

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}
CHUNK = 64 * 1024
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def chunks(fmt: str, sheet: str, header: list[str], body: Iterable[list[Any]]) -> Iterator[Any]:
    """``fmt`` (csv or xlsx) as chunks to stream."""
    return csv_chunks(header, body) if fmt == "csv" else xlsx_chunks(sheet, header, body)
