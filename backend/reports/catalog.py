"""Every report by name: its query, answer schema and how to compute it, so the JSON views
and the exports serve the same numbers from one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from marshmallow import Schema

from backend.config import Config
from backend.reports import kpi_schemas, served, served_parts, served_workload, unassigned
from backend.reports.filters import ReportFilter
from backend.reports.schemas import BacklogReportOut, ReportQuery, SlaReportOut, TimesReportOut
from backend.reports.scope import KpiFilter

Answer = dict[str, Any]


def _filters(query: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in query.items() if k != "format"}


# How each report computes its groups from its filter (``KpiFilter`` or the plain one).
Compute = Callable[[Any, datetime, Config], list[Any]]


def _sla(f: ReportFilter, now: datetime, cfg: Config) -> list[Any]:
    return served.sla_report(f, now=now, at_risk_fraction=cfg.SLA_AT_RISK_FRACTION)


def _first_fix(f: KpiFilter, now: datetime, cfg: Config) -> list[Any]:
    return served.first_fix_report(f, now=now, window=timedelta(days=cfg.FIRST_FIX_WINDOW_DAYS))


@dataclass(frozen=True)
class Report:
    name: str  # the URL segment and the file name
    title: str
    summary: str  # what the JSON view's documentation says
    query: type[Schema]  # the JSON view's filters
    out: type[Schema]  # the JSON answer
    export_query: type[Schema]
    groups: Compute
    kpi: bool = True  # filtered by KpiFilter (customer, asset model) or the plain ReportFilter
    # What the answer says besides its groups (first-time fix: the window it used).
    extra: Callable[[Config], dict[str, Any]] = lambda cfg: {}
    # Fields the answer has besides its groups, computed from the filter (backlog: the
    # unassigned tickets and why).
    details: Callable[[Any, datetime, Config], dict[str, Any]] = lambda f, now, cfg: {}

    def compute(self, query: dict[str, Any], now: datetime, cfg: Config) -> Answer:
        """The answer the JSON view gives and the export writes: one place for both."""
        filters = _filters(query)
        f = KpiFilter(**filters) if self.kpi else ReportFilter(**filters)
        return f.answer(
            now, self.groups(f, now, cfg), **self.extra(cfg), **self.details(f, now, cfg)
        )


k = kpi_schemas
REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report(
            "sla", "SLA",
            "SLA respond-by and resolve-by met %, lateness, at-risk and breached tickets.",
            ReportQuery, SlaReportOut, k.SlaExportQuery, _sla, kpi=False,
        ),
        Report(
            "times", "Times", "Median and p90 minutes to assign, accept, arrive and complete.",
            ReportQuery, TimesReportOut, k.TimesExportQuery,
            lambda f, now, cfg: served.times_report(f, now=now), kpi=False,
        ),
        Report(
            "backlog", "Backlog",
            "Open tickets by status and age bucket; the unassigned ones by reason.",
            ReportQuery, BacklogReportOut, k.BacklogExportQuery,
            lambda f, now, cfg: served.backlog_report(f, now=now), kpi=False,
            details=lambda f, now, cfg: {
                "unassigned": unassigned.unassigned_report(f, now=now)
            },
        ),
        Report(
            "first-fix", "First-time fix",
            "First-time fix rate and repeat faults (per asset and asset model with group_by).",
            k.FirstFixQuery, k.FirstFixReportOut, k.FirstFixExportQuery, _first_fix,
            extra=lambda cfg: {"window_days": cfg.FIRST_FIX_WINDOW_DAYS},
        ),
        Report(
            "workload", "Workload",
            "Jobs per engineer-day, travel/on-site/work minutes, shares of shift time, batch "
            "plans kept or overridden.",
            k.WorkloadQuery, k.WorkloadReportOut, k.WorkloadExportQuery,
            lambda f, now, cfg: served_workload.workload_report(f, now=now),
        ),
        Report(
            "customers", "Customers",
            "CSAT average, distribution and response rate; QR reports vs staff-created tickets.",
            k.CustomersQuery, k.CustomersReportOut, k.CustomersExportQuery,
            lambda f, now, cfg: served.customers_report(f, now=now),
        ),
        Report(
            "parts", "Parts", "Parts used by part, engineer, asset model...; stock-outs.",
            k.PartsQuery, k.PartsReportOut, k.PartsExportQuery,
            lambda f, now, cfg: served_parts.parts_report(f),
        ),
    )
}  # fmt: skip
