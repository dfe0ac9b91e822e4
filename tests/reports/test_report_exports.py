"""CSV and XLSX exports: the same numbers as the JSON answer, file names, formats, refusals."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from backend.db import db
from tests.reports.conftest import act, assign
from tests.reports.test_reports_api import PERIOD, history  # noqa: F401  (fixture)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("sla", "times", "backlog", "first-fix", "workload", "customers", "parts")


@pytest.fixture()
def export(client, auth, make_user):
    headers = auth(make_user("dispatcher"))

    def _get(kind, user_headers=None, **query):
        h = headers if user_headers is None else user_headers
        return client.get(f"/api/v1/reports/{kind}/export", query_string=query, headers=h)

    return _get


def test_csv_is_the_json_flattened(history, export, report):  # noqa: F811
    body = report("sla", group_by="priority", **PERIOD).get_json()
    r = export("sla", group_by="priority", **PERIOD)
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    day_from = PERIOD["from"][:10]
    day_to = PERIOD["to"][:10]
    assert r.headers["Content-Disposition"] == (
        f'attachment; filename="sla_{day_from}_{day_to}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [row["key"] for row in rows] == [g["key"] for g in body["groups"]]
    for row, g in zip(rows, body["groups"], strict=True):
        assert int(row["tickets"]) == g["tickets"]
        assert float(row["respond.met_pct"]) == g["respond"]["met_pct"]
        assert row["resolve.late_median_min"] == (
            "" if g["resolve"]["late_median_min"] is None else str(g["resolve"]["late_median_min"])
        )
    assert list(rows[0]) == [
        "key",
        "tickets",
        "respond.due",
        "respond.met",
        "respond.met_pct",
        "respond.late_median_min",
        "respond.late_p90_min",
        "resolve.due",
        "resolve.met",
        "resolve.met_pct",
        "resolve.late_median_min",
        "resolve.late_p90_min",
        "at_risk",
        "breached",
    ]


def test_xlsx_holds_the_same_rows(history, export, report):  # noqa: F811
    body = report("times", group_by="engineer", **PERIOD).get_json()
    r = export("times", group_by="engineer", format="xlsx", **PERIOD)
    assert r.status_code == 200 and r.mimetype == XLSX
    assert r.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(r.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    header, rows = values[0], values[1:]
    assert sheet.title == "Times"
    assert header[:3] == ("key", "tickets", "to_assign.n")
    assert [row[0] for row in rows] == [g["key"] for g in body["groups"]]
    col = header.index("to_complete.median_min")
    assert [row[col] for row in rows] == [g["to_complete"]["median_min"] for g in body["groups"]]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_report_exports_even_when_empty(export, kind, fmt):
    query = {"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z", "format": fmt}
    r = export(kind, **query)
    assert r.status_code == 200, r.get_json()
    assert r.headers["Content-Disposition"] == (
        f'attachment; filename="{kind}_2020-01-01_2020-02-01.{fmt}"'
    )
    if fmt == "csv":
        lines = r.get_data(as_text=True).splitlines()
        assert len(lines) == 1 and lines[0].startswith("key,")
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(r.get_data())).active
        assert sheet.max_row == 1 and sheet.cell(1, 1).value == "key"


def test_text_is_never_a_formula(
    clock, make_user, make_ticket, make_asset, export, no_completion_rules
):
    dispatcher, eng = make_user("dispatcher"), make_user("engineer")
    asset = make_asset()
    asset.model = '=HYPERLINK("http://evil.example")'
    db.session.commit()
    start = datetime.now(UTC) - timedelta(days=40)
    with clock.at(start) as c:
        t = make_ticket(asset_id=asset.id)
        assign(t, eng, dispatcher)
        for a in ("accept", "start_travel", "arrive", "start_work", "complete"):
            c.advance(5)
            act(t, eng, a)
    q = {
        "from": (start - timedelta(hours=1)).isoformat(),
        "to": (start + timedelta(hours=1)).isoformat(),
        "group_by": "asset_model",
    }
    text = export("first-fix", **q).get_data(as_text=True)
    assert "'=HYPERLINK" in text
    book = openpyxl.load_workbook(io.BytesIO(export("first-fix", format="xlsx", **q).get_data()))
    cell = book.active.cell(2, 1)
    assert cell.value == '=HYPERLINK("http://evil.example")' and cell.data_type == "s"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"format": "pdf"}, "format"),
        ({"group_by": "colour"}, "group_by"),
        ({"to": "2019-01-01T00:00:00Z"}, "to"),
    ],
)
def test_bad_filters_are_a_json_422(export, query, field):
    base = {"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"}
    r = export("workload", **{**base, **query})
    assert r.status_code == 422 and r.mimetype == "application/json"
    assert field in str(r.get_json()["errors"])


@pytest.mark.parametrize("kind", KINDS)
def test_exports_are_staff_only(client, export, auth, make_user, kind):
    q = {"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"}
    assert export(kind, user_headers=auth(make_user("engineer")), **q).status_code == 403
    assert client.get(f"/api/v1/reports/{kind}/export", query_string=q).status_code == 401
