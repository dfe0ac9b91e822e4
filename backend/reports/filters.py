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

GROUP_BY = (
    "none",
    "priority",
    "region",
    "engineer",
    "status",
    "customer",
    "asset_model",
    "day",
    "week",
    "month",
)

# The group key of a cohort row, as text (NULL: ungrouped, unassigned or unrouted). Time
# buckets are UTC calendar days, ISO weeks (starting Monday) and months, named by their
# first day.
_KEYS: dict[str, str] = {
    "none": "NULL::text",
    "priority": "t.priority::text",
    "region": "g.region_id::text",
    "engineer": "t.assignee_id::text",
    "status": "t.status::text",
    "customer": "s.customer_id::text",
    "asset_model": "a.model::text",
    "day": "to_char(date_trunc('day', t.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
    "week": "to_char(date_trunc('week', t.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
    "month": "to_char(date_trunc('month', t.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
}

# A ticket in several regions counts once in each; an unrouted one in the NULL group.
_REGION_JOIN = (
    "CROSS JOIN LATERAL unnest(CASE WHEN cardinality(t.region_ids) = 0"
    " THEN ARRAY[NULL::uuid] ELSE t.region_ids END) AS g(region_id)"
)

# The customer (of the ticket's site, else its asset's) and the asset model: joined on the
# tickets table; a relation of ticket facts carries both as columns.
_TICKET_JOINS = (
    "LEFT JOIN assets a ON a.id = t.asset_id"
    " LEFT JOIN sites s ON s.id = COALESCE(t.site_id, a.site_id)"
)
_FACT_KEYS = {"customer": "t.customer_id::text", "asset_model": "t.asset_model::text"}

COHORT_SQL = """
SELECT t.*, {key} AS key
FROM {source} t {join}
WHERE t.created_at >= :period_from AND t.created_at < :period_to
  AND (CAST(:priority AS text) IS NULL OR t.priority = CAST(:priority AS text))
  AND (CAST(:engineer_id AS uuid) IS NULL OR t.assignee_id = CAST(:engineer_id AS uuid))
  AND (CAST(:region_id AS uuid) IS NULL OR CAST(:region_id AS uuid) = ANY (t.region_ids))
  AND (CAST(:status AS text[]) IS NULL OR t.status::text = ANY (CAST(:status AS text[])))
  AND (CAST(:customer_id AS uuid) IS NULL OR {customer} = CAST(:customer_id AS uuid))
  AND (CAST(:asset_model AS text) IS NULL OR {model} = CAST(:asset_model AS text))
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
    # The current status: one or several (any matches).
    status: tuple[str, ...] | None = None
    customer_id: uuid.UUID | None = None
    asset_model: str | None = None

    def cohort_sql(self, source: str = "tickets") -> str:
        """The cohort CTE body for this grouping (the SQL of docs/kpis.md, with its key).

        ``source`` is the relation read as ``t``: the tickets table for the reference
        queries, or a relation of ``ticket_facts``' shape (same column names) for the rollups'
        live part (backend/reports/served.py)."""
        grouped_by_region = self.group_by == "region"
        on_tickets = source == "tickets"
        joins = [_TICKET_JOINS] if on_tickets else []
        if grouped_by_region:
            joins.append(_REGION_JOIN)
        key = _KEYS[self.group_by] if on_tickets else _FACT_KEYS.get(self.group_by)
        return COHORT_SQL.format(
            source=source,
            key=key or _KEYS[self.group_by],
            join=" ".join(joins),
            customer="s.customer_id" if on_tickets else "t.customer_id",
            model="a.model" if on_tickets else "t.asset_model",
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
        params["status"] = None if self.status is None else list(self.status)
        return params
