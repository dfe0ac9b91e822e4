"""Service KPI reports (docs/kpis.md): staff only; the SQL lives in backend.reports."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from backend.accounts.permissions import require_staff
from backend.api.schemas_common import ApiBlueprint, operation
from backend.config import settings
from backend.db import utcnow
from backend.reports import served
from backend.reports.filters import ReportFilter
from backend.reports.schemas import BacklogReportOut, ReportQuery, SlaReportOut, TimesReportOut

blp = ApiBlueprint("reports", __name__, url_prefix="/api/v1", description="Service KPI reports")


def _answer(f: ReportFilter, now: Any, groups: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "period_from": f.period_from,
        "period_to": f.period_to,
        "group_by": f.group_by,
        "generated_at": now,
        "groups": groups,
    }


@blp.route("/reports/sla")
class SlaReport(MethodView):
    @operation(blp, 200, SlaReportOut, query=ReportQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """SLA respond-by and resolve-by met %, lateness, at-risk and breached tickets."""
        f, now = ReportFilter(**query), utcnow()
        fraction = settings().SLA_AT_RISK_FRACTION
        return _answer(f, now, served.sla_report(f, now=now, at_risk_fraction=fraction))


@blp.route("/reports/times")
class TimesReport(MethodView):
    @operation(blp, 200, TimesReportOut, query=ReportQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Median and p90 minutes to assign, accept, arrive and complete."""
        f, now = ReportFilter(**query), utcnow()
        return _answer(f, now, served.times_report(f, now=now))


@blp.route("/reports/backlog")
class BacklogReport(MethodView):
    @operation(blp, 200, BacklogReportOut, query=ReportQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Open tickets by status and age bucket."""
        f, now = ReportFilter(**query), utcnow()
        return _answer(f, now, served.backlog_report(f, now=now))
