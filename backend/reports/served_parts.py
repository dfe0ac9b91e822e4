"""The parts report as served: ``consumption.sql``'s numbers from ``part_rollups`` plus the raw
uses the rollups do not answer, in one statement (one snapshot). See docs/kpis.md, "Rollups".

The period's uses split into:

1. **rollups**: the rows of the one dimension the request needs (``all``, ``engineer`` for an
   engineer filter or group, ``asset_model`` for an asset model filter or group) for the
   period's whole UTC days, minus the *dirty* days (days with a use recorded after the
   watermark);
2. **raw**: the reference's own rows (a use with its ticket) for the partial first and last
   day and the dirty days.

Usages, quantity and stock-outs are sums; tickets are counted distinct over the rollup rows'
ticket ids and the raw rows' tickets. A filter or group on another attribute of the ticket
(priority, region, status, customer) or on two dimensions at once is answered by the reference
SQL: no rollup is kept for it (they change after the use: a ticket's status, its regions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import text

from backend.db import db
from backend.reports import consumption
from backend.reports.catchup import no_jit
from backend.reports.part_rollups import ENTITY
from backend.reports.scope import TIME_BUCKETS, KpiFilter
from backend.reports.served import watermark
from backend.reports.served_workload import _day_ceil, _day_key, _midnight

_ROLLED_GROUPS = ("none", "part", "engineer", "asset_model", *TIME_BUCKETS)
_ROLLUP_KEYS = {
    "none": "NULL::text",
    "part": "r.part_id::text",
    "engineer": "r.value",
    "asset_model": "r.value",
}


@dataclass(frozen=True)
class Plan:
    """The rollup dimension (and value) that answers, or None: the reference SQL answers."""

    dim: str | None
    value: str | None


def plan(f: KpiFilter) -> Plan:
    ticket_filters = (f.priority, f.region_id, f.status, f.customer_id)
    if any(v is not None for v in ticket_filters) or f.group_by not in _ROLLED_GROUPS:
        return Plan(None, None)
    dims = {
        dim: value
        for dim, value, grouped in (
            ("engineer", f.engineer_id, f.group_by == "engineer"),
            ("asset_model", f.asset_model, f.group_by == "asset_model"),
        )
        if value is not None or grouped
    }
    if len(dims) > 1:
        return Plan(None, None)
    if not dims:
        return Plan("all", None)
    dim, value = next(iter(dims.items()))
    return Plan(dim, None if value is None else str(value))


def sql(f: KpiFilter, p: Plan) -> str:
    raw_key = f.key(engineer="u.engineer_id", at="u.created_at", part="u.part_id")
    rollup_key = _day_key(f.group_by, "r.day") or _ROLLUP_KEYS[f.group_by]
    value_cond = "" if p.value is None else " AND r.value = :dim_value"
    return f"""
WITH dirty AS (
  SELECT DISTINCT CAST(u.created_at AT TIME ZONE 'UTC' AS date) AS day
  FROM sync_changes s JOIN part_usages u ON u.id = s.entity_id
  WHERE s.xid >= CAST(:wm_xid AS xid8) AND (s.xid, s.id) > (CAST(:wm_xid AS xid8), :wm_id)
    AND s.entity = '{ENTITY}'
),
r AS (
  SELECT {rollup_key} AS key, r.part_id, r.usages, r.quantity, r.stockouts, r.tickets
  FROM part_rollups r
  WHERE r.dim = :dim{value_cond} AND r.day >= :full_first AND r.day < :full_end
    AND r.day <> ALL(ARRAY(SELECT day FROM dirty))
  UNION ALL
  SELECT {raw_key}, u.part_id, 1, u.quantity, CASE WHEN u.negative_stock THEN 1 ELSE 0 END,
    ARRAY[u.ticket_id]
  FROM part_usages u
  JOIN tickets t ON t.id = u.ticket_id
  {f.joins()}
  WHERE u.created_at >= :period_from AND u.created_at < :period_to
    AND (u.created_at < :full_first_ts OR u.created_at >= :full_end_ts
         OR CAST(u.created_at AT TIME ZONE 'UTC' AS date) = ANY(ARRAY(SELECT day FROM dirty)))
    AND {f.where(engineer="u.engineer_id")}
),
sums AS (
  SELECT key, part_id, sum(usages) AS usages, sum(quantity) AS quantity,
    sum(stockouts) AS stockouts
  FROM r GROUP BY key, part_id
),
tk AS (
  SELECT r.key, r.part_id, count(DISTINCT x.id) AS tickets
  FROM r CROSS JOIN LATERAL unnest(r.tickets) AS x(id)
  GROUP BY r.key, r.part_id
)
SELECT s.key, p.id AS part_id, p.sku, p.name, p.unit, s.usages, s.quantity, tk.tickets,
  s.stockouts
FROM sums s
JOIN tk ON tk.key IS NOT DISTINCT FROM s.key AND tk.part_id = s.part_id
JOIN parts p ON p.id = s.part_id
ORDER BY 1 NULLS FIRST, p.sku
"""


def parts_report(f: KpiFilter) -> list[dict[str, Any]]:
    """``consumption.parts_report``'s answer, from the rollups (the reference SQL until the
    first catch-up has built them, or for a filter no rollup answers)."""
    mark = watermark()
    p = plan(f)
    if mark is None or p.dim is None:
        return consumption.parts_report(f)
    first = _day_ceil(f.period_from)
    end = max(f.period_to.astimezone(UTC).date(), first)
    no_jit(db.session())
    params = {
        **f.params(),
        "dim": p.dim,
        "dim_value": p.value,
        "full_first": first,
        "full_end": end,
        "full_first_ts": _midnight(first),
        "full_end_ts": _midnight(end),
        "wm_xid": str(mark[0]),
        "wm_id": mark[1],
    }
    result = db.session.execute(text(sql(f, p)), params)
    return [
        {**r, "part_id": str(r["part_id"]), "quantity": float(r["quantity"])}
        for r in (dict(row) for row in result.mappings())
    ]
