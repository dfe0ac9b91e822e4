"""The filters and groups of the KPIs beyond SLA, times and backlog (docs/kpis.md).

They follow the conventions of ``filters.py`` (a half-open period, narrowing by region,
engineer and priority, a group key chosen from a fixed table and never from request text) and
add the customer and the asset model, which need the ticket's asset and site. Each report says
which instant puts a row in the period and which engineer a row belongs to: the ticket's
creation and current assignee for ticket cohorts (first-time fix, customers), the moment of
the work and the engineer who did it for activity (workload, parts), so the same filter keeps
"the work this engineer did" rather than "the tickets this engineer has now".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.reports.filters import _REGION_JOIN, GROUP_BY, ReportFilter

# Every group a KPI report may offer; each report lists the ones that mean something for it.
KPI_GROUPS = (*GROUP_BY, "asset", "part")
TIME_BUCKETS = ("day", "week", "month")
# The groups of a ticket cohort: the reports' own (first-time fix adds the asset itself).
COHORT_GROUPS = GROUP_BY
# Groups named by an attribute of the ticket (not by the engineer or the time of the work).
TICKET_GROUPS = ("priority", "region", "status", "customer", "asset_model", "asset")

# The ticket's asset and the site (its own, else the asset's) that names its customer.
TICKET_JOINS = (
    "LEFT JOIN assets a ON a.id = t.asset_id\n"
    "LEFT JOIN sites s ON s.id = COALESCE(t.site_id, a.site_id)"
)
# A ticket in several regions counts once in each; an unrouted one in the NULL group.
REGION_UNNEST = _REGION_JOIN


def bucket(unit: str, at: str) -> str:
    """The first day (YYYY-MM-DD) of the UTC day, ISO week or month of ``at``."""
    return f"to_char(date_trunc('{unit}', {at} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"


@dataclass(frozen=True)
class KpiFilter(ReportFilter):
    """A validated KPI request: ``ReportFilter``'s period, narrowing (with the customer,
    asset model and status) and grouping, on the tickets' asset and site."""

    def key(self, *, engineer: str, at: str, part: str = "NULL::uuid") -> str:
        """The group key as text. ``engineer`` and ``at`` are the report's own columns: whose
        row it is and the instant that put it in the period."""
        if self.group_by in TIME_BUCKETS:
            return bucket(self.group_by, at)
        return {
            "none": "NULL::text",
            "priority": "t.priority::text",
            "region": "g.region_id::text",
            "engineer": f"{engineer}::text",
            "status": "t.status::text",
            "customer": "s.customer_id::text",
            "asset_model": "a.model::text",
            "asset": "t.asset_id::text",
            "part": f"{part}::text",
        }[self.group_by]

    def joins(self) -> str:
        """The ticket's asset and site, and the region unnest when grouped by region."""
        return TICKET_JOINS + ("\n" + REGION_UNNEST if self.group_by == "region" else "")

    def where(self, *, engineer: str) -> str:
        """The narrowing, on ``t`` (tickets), ``a`` (assets), ``s`` (sites) and ``engineer``."""
        region_group = (
            "\n  AND (CAST(:region_id AS uuid) IS NULL OR g.region_id = CAST(:region_id AS uuid))"
            if self.group_by == "region"
            else ""
        )
        return f"""(CAST(:priority AS text) IS NULL OR t.priority = CAST(:priority AS text))
  AND (CAST(:engineer_id AS uuid) IS NULL OR {engineer} = CAST(:engineer_id AS uuid))
  AND (CAST(:region_id AS uuid) IS NULL OR CAST(:region_id AS uuid) = ANY (t.region_ids))
  AND (CAST(:status AS text[]) IS NULL OR t.status::text = ANY (CAST(:status AS text[])))
  AND (CAST(:customer_id AS uuid) IS NULL OR s.customer_id = CAST(:customer_id AS uuid))
  AND (CAST(:asset_model AS text) IS NULL OR a.model = CAST(:asset_model AS text)){region_group}"""

    @property
    def narrows_tickets(self) -> bool:
        """Whether the request keeps only some tickets' work (by a ticket attribute)."""
        return any(
            v is not None
            for v in (
                self.region_id,
                self.priority,
                self.status,
                self.customer_id,
                self.asset_model,
            )
        ) or (self.group_by in TICKET_GROUPS)


def ticket_cohort(f: KpiFilter, columns: str) -> str:
    """The tickets created in the period (the cohort of filters.py), with ``columns`` and the
    key; the engineer of a ticket is its current assignee."""
    return f"""SELECT {columns}, {f.key(engineer="t.assignee_id", at="t.created_at")} AS key
FROM tickets t
{f.joins()}
WHERE t.created_at >= :period_from AND t.created_at < :period_to
  AND {f.where(engineer="t.assignee_id")}"""


def pct(part: int, whole: int) -> float | None:
    """100 x part / whole, rounded to 2 decimals; None when there is nothing to divide."""
    return round(100.0 * part / whole, 2) if whole else None


def run(sql: str, f: KpiFilter, **params: Any) -> list[dict[str, Any]]:
    """The rows of one report query as dicts. PostgreSQL's JIT is switched off for the
    transaction: these plans are many cheap index probes whose estimated cost passes the JIT
    threshold, and compiling them took 1.7 s of a 2.5 s first-fix report over 20,000 tickets
    (bench/report_kpis.py) while saving nothing measurable."""
    from sqlalchemy import text

    from backend.db import db

    db.session.execute(text("SET LOCAL jit = off"))
    result = db.session.execute(text(sql), {**f.params(), **params})
    return [dict(row) for row in result.mappings()]
