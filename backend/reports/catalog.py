"""Every report by name: its query, answer schema and how to compute it, so the JSON views
and the exports serve the same numbers from one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from marshmallow import Schema

from backend.config import Config
from backend.reports import consumption, customers, first_fix, kpi_schemas, served, workload
from backend.reports.filters import ReportFilter
from backend.reports.schemas import BacklogReportOut, SlaReportOut, TimesReportOut
from backend.reports.scope import KpiFilter

Answer = dict[str, Any]


def _filters(query: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in query.items() if k != "format"}


def _sla(query: dict[str, Any], now: datetime, cfg: Config) -> Answer:
    f = ReportFilter(**_filters(query))
    fraction = cfg.SLA_AT_RISK_FRACTION
    return f.answer(now, served.sla_report(f, now=now, at_risk_fraction=fraction))


def _times(query: dict[str, Any], now: datetime, cfg: Config) -> Answer:
    f = ReportFilter(**_filters(query))
    return f.answer(now, served.times_report(f, now=now))


def _backlog(query: dict[str, Any], now: datetime, cfg: Config) -> Answer:
    f = ReportFilter(**_filters(query))
    return f.answer(now, served.backlog_report(f, now=now))


def _first_fix(query: dict[str, Any], now: datetime, cfg: Config) -> Answer:
    f = KpiFilter(**_filters(query))
    days = cfg.FIRST_FIX_WINDOW_DAYS
    groups = first_fix.first_fix_report(f, now=now, window=timedelta(days=days))
    return f.answer(now, groups, window_days=days)


def _customers(query: dict[str, Any], now: datetime, cfg: Config) -> Answer:
    f = KpiFilter(**_filters(query))
    return f.answer(now, customers.customers_report(f))


def _workload(query: dict[str, Any], now: datetime, cfg: Config) -> Answer:
    f = KpiFilter(**_filters(query))
    return f.answer(now, workload.workload_report(f, now=now))


def _parts(query: dict[str, Any], now: datetime, cfg: Config) -> Answer:
    f = KpiFilter(**_filters(query))
    return f.answer(now, consumption.parts_report(f))


@dataclass(frozen=True)
class Report:
    name: str  # the URL segment and the file name
    title: str
    out: type[Schema]  # the JSON answer
    export_query: type[Schema]
    compute: Callable[[dict[str, Any], datetime, Config], Answer]


REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report("sla", "SLA", SlaReportOut, kpi_schemas.SlaExportQuery, _sla),
        Report("times", "Times", TimesReportOut, kpi_schemas.TimesExportQuery, _times),
        Report("backlog", "Backlog", BacklogReportOut, kpi_schemas.BacklogExportQuery, _backlog),
        Report(
            "first-fix",
            "First-time fix",
            kpi_schemas.FirstFixReportOut,
            kpi_schemas.FirstFixExportQuery,
            _first_fix,
        ),
        Report(
            "workload",
            "Workload",
            kpi_schemas.WorkloadReportOut,
            kpi_schemas.WorkloadExportQuery,
            _workload,
        ),
        Report(
            "customers",
            "Customers",
            kpi_schemas.CustomersReportOut,
            kpi_schemas.CustomersExportQuery,
            _customers,
        ),
        Report("parts", "Parts", kpi_schemas.PartsReportOut, kpi_schemas.PartsExportQuery, _parts),
    )
}
