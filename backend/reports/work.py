"""Workload's rollups (docs/kpis.md, "Rollups"): ``ticket_work`` and ``workload_rollups``.

A ticket's *work* is what it adds to the workload report, per UTC day and engineer: the
seconds of each timed status and the jobs completed, computed from its whole status trail by
the reference query's own SQL (``workload.STRETCHES`` and ``workload.PIECES``, cut at
midnight). Like a ticket's fact it is recomputed whole whenever the ticket changes (the same
change-log rows, the same catch-up batch), so a reopened job, a reassignment or an offline
event synced late just replace the ticket's rows; the days it had rows on before and has now
are rebuilt in ``workload_rollups`` (subtract the old contribution, add the new one, by
summing the day again from ``ticket_work``).

A ticket in a timed status has a stretch still running (its minutes grow with "now"): it has
no work rows and the report reads it live from the trail, as it does every ticket changed
after the watermark.

``workload_rollups`` keeps, per day, one row per engineer for each value of one dimension
(all, priority, region, asset model), so the distinct engineers and engineer-days of any
group are counted exactly from them. The ticket's dimensions are copied into its work rows
from its fact (``ticket_facts``, refreshed in the same batch before this).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.reports.models import WORK_COLUMNS, WORK_DIMENSIONS, WORK_SECONDS
from backend.reports.workload import _TIMED, FEW_TICKETS, STRETCHES, TIMED, pieces_sql

_SECONDS_BY_STATUS = dict(zip(TIMED, WORK_SECONDS, strict=True))

# The work rows of the tickets whose ids ``{tickets}`` selects (none in a timed status: their
# stretch is still running, read live). Whole stretches only (a closed one has an end). Each
# row carries its ticket's dimensions from its fact (refreshed just before, in the same
# transaction), so neither the day rebuild nor a request joins the facts.
WORK_SQL = f"""
WITH {STRETCHES.format(tickets=FEW_TICKETS)},
p AS (
  SELECT ticket_id, engineer_id, status, at, seconds, 0 AS done
  FROM ({pieces_sql("s.at", "s.until")}) x
  UNION ALL
  SELECT ticket_id, engineer_id, NULL, at, 0, 1 FROM stretch WHERE action = 'complete'
), w AS (
  SELECT ticket_id, CAST(at AT TIME ZONE 'UTC' AS date) AS day, engineer_id,
    {
    ", ".join(
        f"coalesce(sum(seconds) FILTER (WHERE status = '{status}'), 0) AS {col}"
        for status, col in _SECONDS_BY_STATUS.items()
    )
}, sum(done)::int AS completed
  FROM p
  GROUP BY 1, 2, 3
)
SELECT w.*, f.priority, f.status, f.region_ids, f.customer_id, f.asset_model
FROM w JOIN ticket_facts f ON f.id = w.ticket_id
"""
_WORK_COLS = ", ".join(("ticket_id", "day", "engineer_id", *WORK_COLUMNS, *WORK_DIMENSIONS))


def _insert_sql(tickets: str) -> str:
    return f"INSERT INTO ticket_work ({_WORK_COLS}) " + WORK_SQL.replace("{}", tickets)


# The tickets' ids, those with a running stretch left out.
_CHANGED = f"SELECT t.id FROM tickets t WHERE t.id = ANY(:ids) AND t.status NOT IN {_TIMED}"
_CREATED = (
    "SELECT t.id FROM tickets t WHERE t.created_at >= :a AND t.created_at < :b"
    f" AND t.status NOT IN {_TIMED}"
)


def refresh_work(session: Session, ticket_ids: Collection[uuid.UUID]) -> set[date]:
    """Recompute these tickets' work rows from their trails. Returns the days whose rollups
    change: every day a ticket had rows on before or has now."""
    ids = list(ticket_ids)
    if not ids:
        return set()
    removed = session.execute(
        text("DELETE FROM ticket_work WHERE ticket_id = ANY(:ids) RETURNING day"), {"ids": ids}
    ).scalars()
    days = set(removed)
    inserted = session.execute(text(_insert_sql(_CHANGED) + " RETURNING day"), {"ids": ids})
    return days | set(inserted.scalars())


def insert_work(session: Session, params: dict[str, Any]) -> None:
    """The work rows of the tickets created in [:a, :b) (a rebuild)."""
    session.execute(text(_insert_sql(_CREATED)), params)


DIMENSIONS: dict[str, str] = {"priority": "w.priority", "asset_model": "w.asset_model"}
ROLLUP_DIMS = ("all", *DIMENSIONS, "region")
_SUMS = ", ".join(
    [*(f"sum(w.{c})" for c in WORK_SECONDS), "sum(w.completed)::int"],
)
_SET_DIM = (
    "CASE "
    + " ".join(f"WHEN GROUPING({col}) = 0 THEN '{dim}'" for dim, col in DIMENSIONS.items())
    + " ELSE 'all' END"
)
_SET_VALUE = (
    "CASE "
    + " ".join(f"WHEN GROUPING({col}) = 0 THEN {col}::text" for col in DIMENSIONS.values())
    + " END"
)
_SETS = ", ".join(
    ["(w.day, w.engineer_id)", *(f"(w.day, w.engineer_id, {c})" for c in DIMENSIONS.values())]
)
# One pass over the days' work rows with their tickets' dimensions: per day and engineer
# ('all'), and per one dimension value more (GROUPING SETS), and per region (a ticket in two
# regions in both, in none the NULL region, as the report counts it).
REBUILD_DAYS_SQL = f"""
WITH w AS MATERIALIZED (
  SELECT day, engineer_id, priority, asset_model, region_ids, {", ".join(WORK_COLUMNS)}
  FROM ticket_work WHERE day = ANY(:days)
)
INSERT INTO workload_rollups (day, dim, value, engineer_id, {", ".join(WORK_COLUMNS)})
SELECT w.day, {_SET_DIM}, {_SET_VALUE}, w.engineer_id, {_SUMS}
FROM w
GROUP BY GROUPING SETS ({_SETS})
UNION ALL
SELECT w.day, 'region', g.region_id::text, w.engineer_id, {_SUMS}
FROM w CROSS JOIN LATERAL unnest(CASE WHEN cardinality(w.region_ids) = 0
  THEN ARRAY[NULL::uuid] ELSE w.region_ids END) AS g(region_id)
GROUP BY w.day, w.engineer_id, g.region_id
"""
DELETE_DAYS_SQL = (
    "DELETE FROM workload_rollups WHERE dim IN ("
    + ", ".join(f"'{d}'" for d in ROLLUP_DIMS)
    + ") AND day = ANY(:days)"
)


def rebuild_work_days(session: Session, days: Collection[date]) -> None:
    """Replace these days' workload rollup rows by a fresh sum of their work rows."""
    if not days:
        return
    params = {"days": sorted(days)}
    session.execute(text(DELETE_DAYS_SQL), params)
    session.execute(text(REBUILD_DAYS_SQL), params)


def rebuild_all_work_days(session: Session) -> None:
    """Every day that has work rows (after a rebuild of ``ticket_work``)."""
    days = session.execute(text("SELECT DISTINCT day FROM ticket_work")).scalars()
    rebuild_work_days(session, set(days))
