"""Parts consumption and stock-outs (docs/kpis.md#parts).

Consumption is what the ledger says was used on tickets (``part_usages``, one row per part
recorded on a job), counted when the server recorded it and for the engineer who recorded it:
"what did this engineer use this month", not "what is on the tickets this engineer has now".
A stock-out is a use the stock did not cover: the location went below zero with it (flagged
under the level's row lock when it was recorded, so it is exact however phones synced).
"""

from __future__ import annotations

from typing import Any

from backend.reports.scope import KpiFilter, run

GROUPS = (
    "none",
    "part",
    "engineer",
    "asset_model",
    "customer",
    "priority",
    "region",
    "status",
    "day",
    "week",
    "month",
)

PARTS_SQL = """
SELECT {key} AS key, p.id AS part_id, p.sku, p.name, p.unit,
  count(*) AS usages,
  sum(u.quantity) AS quantity,
  count(DISTINCT u.ticket_id) AS tickets,
  count(*) FILTER (WHERE u.negative_stock) AS stockouts
FROM part_usages u
JOIN parts p ON p.id = u.part_id
JOIN tickets t ON t.id = u.ticket_id
{joins}
WHERE u.created_at >= :period_from AND u.created_at < :period_to
  AND {where}
GROUP BY 1, p.id, p.sku, p.name, p.unit
ORDER BY 1 NULLS FIRST, p.sku
"""


def sql(f: KpiFilter) -> str:
    return PARTS_SQL.format(
        key=f.key(engineer="u.engineer_id", at="u.created_at", part="u.part_id"),
        joins=f.joins(),
        where=f.where(engineer="u.engineer_id"),
    )


def parts_report(f: KpiFilter) -> list[dict[str, Any]]:
    """Per group and part: uses, quantity, tickets and stock-outs."""
    return [
        {**r, "part_id": str(r["part_id"]), "quantity": float(r["quantity"])}
        for r in run(sql(f), f)
    ]
