"""Bulk import fixtures: files written as a spreadsheet program would (CSV text, XLSX through
XlsxWriter), the upload and the real rq worker that applies them."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import xlsxwriter

from tests.api.conftest import _fresh_rate_limits, admin, api  # noqa: F401 (fixtures)


def csv_file(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def xlsx_file(rows: list[list[Any]]) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("data")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)  # as typed text (write() makes =x a formula)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return buf.getvalue()


@pytest.fixture()
def staff(make_user):
    return make_user("dispatcher")


@pytest.fixture()
def upload(api, staff):  # noqa: F811 (api: the fixture imported above)
    def _upload(entity: str, data: bytes, name: str = "file.csv", user: Any = None):
        return api(
            "post",
            "/api/v1/imports",
            user or staff,
            data={"entity": entity, "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )

    return _upload


@pytest.fixture()
def apply(api, staff, run_jobs):  # noqa: F811 (api: the fixture imported above)
    """Apply an import and run the worker; the import as GET answers it afterwards."""

    def _apply(import_id: str) -> dict[str, Any]:
        r = api("post", f"/api/v1/imports/{import_id}/apply", staff)
        assert r.status_code == 202, r.get_json()
        assert r.get_json()["status"] == "applying"
        run_jobs()
        r = api("get", f"/api/v1/imports/{import_id}", staff)
        assert r.status_code == 200
        return r.get_json()

    return _apply


@pytest.fixture()
def imported(upload, apply):
    """Upload and apply a clean file in one step."""

    def _imported(entity: str, data: bytes, name: str = "file.csv") -> dict[str, Any]:
        r = upload(entity, data, name)
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        assert body["status"] == "ready", body["errors"]
        return apply(body["id"])

    return _imported
