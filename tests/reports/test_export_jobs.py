"""Exports run as rq jobs (docs/kpis.md, "Exports"): started with POST, followed at
``/exports/<job_id>`` (rows done of total), the file downloadable once finished and the same
as the streamed export; only whoever started it reads it, engineers only their own sheet."""

from __future__ import annotations

import io

import openpyxl
import pytest

from backend.extensions import redis_holder
from backend.jobs import progress
from backend.reports import export_jobs
from tests.reports.test_reports_api import PERIOD, T0, history  # noqa: F401  (fixture)

DAYS = {"from": T0.date().isoformat(), "to": T0.date().isoformat()}


@pytest.fixture()
def staff(auth, make_user):
    return auth(make_user("dispatcher"))


def _xlsx(data: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [tuple(r) for r in book.active.iter_rows(values_only=True)]


def _follow(client, headers, job_id):
    r = client.get(f"/api/v1/exports/{job_id}", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _download(client, state):
    assert state["status"] == "finished", state
    r = client.get(state["download_url"])
    assert r.status_code == 200
    assert state["filename"] in r.headers["Content-Disposition"]
    return r.get_data()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["sla", "backlog", "workload"])
def test_a_report_export_job_gives_the_streamed_file(
    history,  # noqa: F811
    client,
    staff,
    run_jobs,
    kind,
    fmt,
):
    query = {**PERIOD, "group_by": "priority", "format": fmt}
    r = client.post(f"/api/v1/reports/{kind}/export/jobs", query_string=query, headers=staff)
    assert r.status_code == 202, r.get_json()
    job_id = r.get_json()["job_id"]
    queued = _follow(client, staff, job_id)
    assert queued["status"] == "queued" and queued["download_url"] is None
    run_jobs()
    state = _follow(client, staff, job_id)
    rows = state["progress"]["total"]
    assert state["progress"] == {
        "phase": "done",
        "done": rows,
        "total": rows,
        "percent": 100,
        "seconds": state["progress"]["seconds"],
    }
    assert rows >= 1
    data = _download(client, state)
    streamed = client.get(f"/api/v1/reports/{kind}/export", query_string=query, headers=staff)
    assert state["filename"] in streamed.headers["Content-Disposition"]
    if fmt == "csv":
        assert data == streamed.get_data()
    else:  # XLSX carries its creation time: compare the cells
        assert _xlsx(data) == _xlsx(streamed.get_data())
        assert len(_xlsx(data)) == rows + 1


def test_progress_moves_row_by_row(history, client, staff, run_jobs, monkeypatch):  # noqa: F811
    seen: list[tuple] = []
    real = progress.Progress.set

    def record(self, phase, done, total):
        seen.append((phase, done, total))
        real(self, phase, done, total)

    monkeypatch.setattr(progress.Progress, "set", record)
    monkeypatch.setattr(progress, "PROGRESS_EVERY_ROWS", 1)
    query = {**PERIOD, "group_by": "priority"}
    r = client.post("/api/v1/reports/sla/export/jobs", query_string=query, headers=staff)
    run_jobs()
    assert seen[0] == ("computing", 0, None)
    assert seen[1] == ("writing", 0, 2)  # P1 and P3
    assert ("writing", 1, 2) in seen and ("writing", 2, 2) in seen
    assert seen[-2:] == [("storing", 2, 2), ("done", 2, 2)]
    assert _follow(client, staff, r.get_json()["job_id"])["status"] == "finished"


def test_time_sheet_export_jobs_and_who_may_start_them(
    history,  # noqa: F811
    client,
    auth,
    staff,
    run_jobs,
):
    eng1, eng2 = history["eng1"], history["eng2"]
    mine = auth(eng1)
    # An engineer exports their own sheet; naming another engineer is a 403.
    r = client.post("/api/v1/timesheets/export/jobs", query_string=DAYS, headers=mine)
    assert r.status_code == 202, r.get_json()
    own = r.get_json()["job_id"]
    r = client.post(
        "/api/v1/timesheets/export/jobs",
        query_string={**DAYS, "engineer_id": str(eng2.id)},
        headers=mine,
    )
    assert r.status_code == 403
    # Report exports are staff only, as the reports are.
    r = client.post("/api/v1/reports/sla/export/jobs", query_string=PERIOD, headers=mine)
    assert r.status_code == 403
    # Staff name the engineer.
    r = client.post(
        "/api/v1/timesheets/export/jobs",
        query_string={**DAYS, "engineer_id": str(eng1.id)},
        headers=staff,
    )
    assert r.status_code == 202
    theirs = r.get_json()["job_id"]
    run_jobs()
    state = _follow(client, mine, own)
    streamed = client.get("/api/v1/timesheets/export", query_string=DAYS, headers=mine)
    assert _download(client, state) == streamed.get_data()
    assert state["progress"]["total"] >= 1
    # Nobody else reads an export: not the other engineer, not even staff (the same 404 as
    # an unknown job).
    assert client.get(f"/api/v1/exports/{own}", headers=auth(eng2)).status_code == 404
    assert client.get(f"/api/v1/exports/{own}", headers=staff).status_code == 404
    assert client.get(f"/api/v1/exports/{theirs}", headers=mine).status_code == 404
    assert client.get("/api/v1/exports/export-nothing", headers=mine).status_code == 404
    assert client.get(f"/api/v1/exports/{own}").status_code == 401


def test_bad_input_is_a_422_before_any_job(client, staff):
    r = client.post(
        "/api/v1/reports/sla/export/jobs",
        query_string={**PERIOD, "status": "bogus", "format": "xlsx"},
        headers=staff,
    )
    assert r.status_code == 422 and "status" in str(r.get_json())
    r = client.post(
        "/api/v1/reports/sla/export/jobs", query_string={**PERIOD, "format": "pdf"}, headers=staff
    )
    assert r.status_code == 422 and "format" in str(r.get_json())


def test_without_a_queue_the_export_is_downloaded_directly(client, staff, monkeypatch):
    monkeypatch.setattr(redis_holder, "url", None)  # no REDIS_URL: jobs would run inline
    monkeypatch.setattr(redis_holder, "_client", None)
    r = client.post("/api/v1/reports/sla/export/jobs", query_string=PERIOD, headers=staff)
    assert r.status_code == 409
    assert r.get_json()["kind"] == "no_queue"


def test_expired_files_are_removed_by_the_next_export(history, client, staff, run_jobs, app):  # noqa: F811
    r = client.post("/api/v1/reports/sla/export/jobs", query_string=PERIOD, headers=staff)
    run_jobs()
    state = _follow(client, staff, r.get_json()["job_id"])
    assert state["download_url"]
    client_redis = redis_holder.client
    key = client_redis.zrange(export_jobs.EXPIRING, 0, -1)[0]
    client_redis.zadd(export_jobs.EXPIRING, {key: 1})  # long expired
    assert export_jobs.purge_expired() == 1
    r = client.get(f"/api/v1/exports/{r.get_json()['job_id']}", headers=staff)
    assert r.status_code == 404 and "expired" in r.get_json()["message"]
