"""First-time fix and repeat faults (docs/kpis.md#first-time-fix).

A job is fixed the first time when the engineer came once and the fault stayed away: one
arrival on site in its whole trail (a reopen or a second engineer means another arrival) and
no new ticket on the same asset within the window after its completion. Repeat faults are the
second half alone, which is what a rate per asset or asset model wants to show.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from backend.reports.scope import COHORT_GROUPS, KpiFilter, pct, run, ticket_cohort

GROUPS = (*COHORT_GROUPS, "asset")

# The later tickets are found by asset (ix_tickets_asset_id: an asset has few tickets); the
# window is written as a difference so the planner does not walk the whole month of every
# asset's tickets by created_at instead (10 s for 5,000 tickets). ``done`` is materialized: its
# columns are read by several aggregates, which would otherwise repeat the subqueries.
_COLUMNS = "t.id, t.asset_id, t.status::text AS status, t.resolved_at"

FIRST_FIX_SQL = """
WITH cohort AS ({cohort}
), done AS MATERIALIZED (
SELECT c.key, c.resolved_at,
  (SELECT count(*) FROM ticket_events ev
   WHERE ev.ticket_id = c.id AND ev.action = 'arrive') AS visits,
  EXISTS (SELECT 1 FROM tickets n
          WHERE n.asset_id = c.asset_id AND n.id <> c.id
            AND n.created_at - c.resolved_at > interval '0'
            AND n.created_at - c.resolved_at <= :repeat_window) AS repeated
FROM cohort c
WHERE c.status IN ('completed', 'closed') AND c.resolved_at IS NOT NULL
)
SELECT key,
  count(*) AS completed,
  count(*) FILTER (WHERE visits = 1) AS one_visit,
  count(*) FILTER (WHERE repeated) AS repeat_faults,
  count(*) FILTER (WHERE visits = 1 AND NOT repeated) AS first_time_fix,
  count(*) FILTER (WHERE resolved_at + :repeat_window > :now) AS window_open
FROM done
GROUP BY key
ORDER BY key NULLS FIRST
"""


def sql(f: KpiFilter) -> str:
    return FIRST_FIX_SQL.format(cohort=ticket_cohort(f, _COLUMNS))


COUNTS = ("completed", "one_visit", "repeat_faults", "first_time_fix", "window_open")


def shape(r: dict[str, Any]) -> dict[str, Any]:
    """One group of the answer from its counts (the reference's row or the rollups' sums)."""
    counts = {c: int(r[c]) for c in COUNTS}
    return {
        "key": r["key"],
        **counts,
        "first_time_fix_pct": pct(counts["first_time_fix"], counts["completed"]),
        "repeat_fault_pct": pct(counts["repeat_faults"], counts["completed"]),
    }


def first_fix_report(f: KpiFilter, *, now: datetime, window: timedelta) -> list[dict[str, Any]]:
    """Per group: completed jobs, first-time fixes and repeat faults with their rates (the
    reference SQL over the raw tables)."""
    return [shape(r) for r in run(sql(f), f, now=now, repeat_window=window)]
