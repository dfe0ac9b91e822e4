"""The ``status`` filter and group, and the customer and asset-model filters, on every report
(docs/kpis.md, "The cohort"): the current status, one or several comma-separated values, the
same numbers from the rollups as from the reference SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.db import db
from backend.reports import catchup, queries, served
from backend.reports.filters import ReportFilter
from tests.reports.test_reports_api import PERIOD, T0, history  # noqa: F401  (fixture)

KINDS = ("sla", "times", "backlog", "first-fix", "workload", "customers", "parts")


def _total(kind, body):
    """How many tickets (or rows of work) the answer counts, whatever the report."""
    field = {
        "sla": "tickets",
        "times": "tickets",
        "backlog": "total",
        "first-fix": "completed",
        "customers": "tickets",
        "workload": "completed",
        "parts": "usages",
    }[kind]
    return sum(g[field] for g in body["groups"])


@pytest.mark.parametrize("kind", KINDS)
def test_every_report_takes_the_status_filter_and_group(history, report, kind):  # noqa: F811
    everything = report(kind, **PERIOD)
    assert everything.status_code == 200, everything.get_json()
    done = report(kind, status="completed", **PERIOD)
    assert done.status_code == 200, done.get_json()
    new = report(kind, status="new", **PERIOD)
    both = report(kind, status="new,completed", **PERIOD)
    assert _total(kind, both.get_json()) == _total(kind, done.get_json()) + _total(
        kind, new.get_json()
    )
    grouped = report(kind, group_by="status", **PERIOD)
    assert grouped.status_code == 200, grouped.get_json()
    keys = {g["key"] for g in grouped.get_json()["groups"]}
    assert keys <= {"new", "completed", None}, keys
    assert grouped.get_json()["group_by"] == "status"


def test_status_narrows_the_ticket_cohorts(history, report):  # noqa: F811
    # A, B and C completed, D new (outside every region).
    assert _total("sla", report("sla", status="completed", **PERIOD).get_json()) == 3
    assert _total("sla", report("sla", status="new", **PERIOD).get_json()) == 1
    assert _total("backlog", report("backlog", status="completed", **PERIOD).get_json()) == 0
    assert _total("first-fix", report("first-fix", status="new", **PERIOD).get_json()) == 0
    by = {
        g["key"]: g["tickets"]
        for g in report("sla", group_by="status", **PERIOD).get_json()["groups"]
    }
    assert by == {"completed": 3, "new": 1}


def test_the_rollups_answer_the_status_filter_like_the_reference(history, app):  # noqa: F811
    catchup.catch_up(db.session)
    assert served.ready()
    now = datetime.now(UTC)
    period = (T0 - timedelta(hours=1), T0 + timedelta(days=1))
    for q in (
        {"status": ("completed",)},
        {"status": ("completed", "new"), "group_by": "priority"},
        {"group_by": "status"},
        {"group_by": "status", "priority": "P3"},
        {"group_by": "customer"},
        {"group_by": "asset_model"},
    ):
        f = ReportFilter(*period, **q)
        assert served.sla_report(f, now=now, at_risk_fraction=0.75) == queries.sla_report(
            f, now=now, at_risk_fraction=0.75
        ), q
        assert served.times_report(f, now=now) == queries.times_report(f), q
        assert served.backlog_report(f, now=now) == queries.backlog_report(f, now=now), q


@pytest.mark.parametrize("kind", KINDS)
def test_customer_and_asset_model_on_every_report(make_asset, make_ticket, report, kind, clock):
    with clock.at(T0):
        asset = make_asset()
        on_asset = make_ticket(asset_id=asset.id, now=clock.now)
        make_ticket(now=clock.now)
    customer = str(db.session.get(type(asset.site), asset.site_id).customer_id)
    for q in ({"customer_id": customer}, {"asset_model": "CX-900"}):
        r = report(kind, **q, **PERIOD)
        assert r.status_code == 200, (q, r.get_json())
        if kind in ("sla", "times", "customers"):
            assert _total(kind, r.get_json()) == 1, q
    if kind in ("sla", "times", "backlog", "customers"):
        groups = report(kind, group_by="customer", **PERIOD).get_json()["groups"]
        assert {g["key"] for g in groups} == {None, customer}
        groups = report(kind, group_by="asset_model", **PERIOD).get_json()["groups"]
        assert {g["key"] for g in groups} == {None, "CX-900"}
    assert on_asset.asset_id == asset.id
