"""Service KPI reports (docs/kpis.md): staff only; the SQL lives in backend.reports."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from backend.accounts.permissions import require_staff
from backend.api.schemas_common import ApiBlueprint, operation
from backend.config import settings
from backend.db import utcnow
from backend.reports.catalog import REPORTS, Answer
from backend.reports.schemas import BacklogReportOut, ReportQuery, SlaReportOut, TimesReportOut

blp = ApiBlueprint("reports", __name__, url_prefix="/api/v1", description="Service KPI reports")


def _compute(name: str, query: dict[str, Any]) -> Answer:
    """Every report, JSON and export alike, is computed by its catalog entry."""
    return REPORTS[name].compute(query, utcnow(), settings())


@blp.route("/reports/sla")
class SlaReport(MethodView):
    @operation(blp, 200, SlaReportOut, query=ReportQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> Answer:
        """SLA respond-by and resolve-by met %, lateness, at-risk and breached tickets."""
        return _compute("sla", query)


@blp.route("/reports/times")
class TimesReport(MethodView):
    @operation(blp, 200, TimesReportOut, query=ReportQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> Answer:
        """Median and p90 minutes to assign, accept, arrive and complete."""
        return _compute("times", query)


@blp.route("/reports/backlog")
class BacklogReport(MethodView):
    @operation(blp, 200, BacklogReportOut, query=ReportQuery)
    @require_staff
    def get(self, query: dict[str, Any]) -> Answer:
        """Open tickets by status and age bucket."""
        return _compute("backlog", query)
