"""What a report covers and how it is grouped: one place turns the request's filters into SQL.

Every report starts from the same cohort (tickets created in the period, narrowed by region,
engineer and priority), so "which tickets does this number count" has one answer for all KPIs.
The group key is chosen from a fixed table, never from request text, so it is safe to splice.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

# The longest period one request may cover: a year and a day (a leap year's full year).
MAX_SPAN = timedelta(days=366)

GROUP_BY = ("none", "priority", "region", "engineer", "day", "week", "month")

# The group key of a cohort row, as text (NULL: ungrouped, unassigned or unrouted). Time
# buckets are UTC calendar days, ISO weeks (starting Monday) and months, named by their
# first day.
_KEYS: dict[str, str] = {
    "none": "NULL::text",
    "priority": "t.priority::text",
    "region": "g.region_id::text",
    "engineer": "t.assignee_id::text",
    "day": "to_char(date_trunc('day', t.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
    "week": "to_char(date_trunc('week', t.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
    "month": "to_char(date_trunc('month', t.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
}

# A ticket in several regions counts once in each; an unrouted one in the NULL group.
_REGION_JOIN = (
    "CROSS JOIN LATERAL unnest(CASE WHEN cardinality(t.region_ids) = 0"
    " THEN ARRAY[NULL::uuid] ELSE t.region_ids END) AS g(region_id)"
)

COHORT_SQL = """
SELECT t.*, {key} AS key
FROM {source} t {join}
WHERE t.created_at >= :period_from AND t.created_at < :period_to
  AND (CAST(:priority AS text) IS NULL OR t.priority = CAST(:priority AS text))
  AND (CAST(:engineer_id AS uuid) IS NULL OR t.assignee_id = CAST(:engineer_id AS uuid))
  AND (CAST(:region_id AS uuid) IS NULL OR CAST(:region_id AS uuid) = ANY (t.region_ids))
  {region_group_filter}
"""


@dataclass(frozen=True)
class ReportFilter:
    """A validated request: period [period_from, period_to), optional narrowing, grouping."""

    period_from: datetime
    period_to: datetime
    group_by: str = "none"
    region_id: uuid.UUID | None = None
    engineer_id: uuid.UUID | None = None
    priority: str | None = None

    def cohort_sql(self, source: str = "tickets") -> str:
        """The cohort CTE body for this grouping (the SQL of docs/kpis.md, with its key).

        ``source`` is the relation read as ``t``: the tickets table for the reference
        queries, or a relation of ``ticket_facts``' shape (same column names) for the rollups'
        live part (backend/reports/served.py)."""
        grouped_by_region = self.group_by == "region"
        return COHORT_SQL.format(
            source=source,
            key=_KEYS[self.group_by],
            join=_REGION_JOIN if grouped_by_region else "",
            # Grouped by region and filtered to one: the ticket's other regions are left out.
            region_group_filter=(
                "AND (CAST(:region_id AS uuid) IS NULL OR g.region_id = CAST(:region_id AS uuid))"
                if grouped_by_region
                else ""
            ),
        )

    def answer(self, now: datetime, groups: list[Any], **extra: Any) -> dict[str, Any]:
        """A report as the API answers it: what it covers, when it was made, anything the
        report adds (``extra``, e.g. its window), its groups."""
        return {
            "period_from": self.period_from,
            "period_to": self.period_to,
            "group_by": self.group_by,
            "generated_at": now,
            **extra,
            "groups": groups,
        }

    def params(self) -> dict[str, Any]:
        """The cohort's bind parameters: every filter but the grouping (spliced as SQL)."""
        params = asdict(self)
        del params["group_by"]
        return params
