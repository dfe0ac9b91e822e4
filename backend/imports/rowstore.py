"""Where a clean dry run's checked rows wait for apply: a CSV of the entity's columns in the
media storage (filesystem or S3), so apply needs no second upload and parses no workbook."""

from __future__ import annotations

import csv
import io

from backend.media.storage import get_storage

Row = list[str | None]


def put(key: str, rows: list[Row]) -> None:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)  # None is written as an empty cell
    get_storage().put(key, buf.getvalue().encode(), "text/csv")


def get(key: str) -> list[Row]:
    """The rows back, empty cells as None (the dry run turned every empty cell into None)."""
    text = get_storage().get(key).decode()
    return [[v or None for v in row] for row in csv.reader(io.StringIO(text, newline=""))]


def delete(key: str) -> None:
    get_storage().delete(key)
