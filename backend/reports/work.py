"""Workload's rollups (docs/kpis.md, "Rollups"): ``ticket_work`` and ``workload_rollups``.

A ticket's *work* is what it adds to the workload report, per UTC day and engineer: the
seconds of each timed status and the jobs completed, computed from its whole status trail by
the reference query's own SQL (``workload.STRETCHES`` and ``workload.PIECES``, cut at
midnight). Like a ticket's fact it is recomputed whole whenever the ticket changes (the same
change-log rows, the same catch-up batch), so a reopened job, a reassignment or an offline
event synced late just replace the ticket's rows, and ``workload_rollups`` get the difference:
the old rows subtracted, the new ones added (``DELTA_SQL``), so the cost follows the tickets
changed, not the days they touch.

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

from backend.reports.facts import grouping_labels
from backend.reports.models import WORK_COLUMNS, WORK_DIMENSIONS, WORK_SECONDS, WORK_SPAN
from backend.reports.workload import _TIMED, FEW_TICKETS, STRETCHES, TIMED, pieces_sql

_SECONDS_BY_STATUS = dict(zip(TIMED, WORK_SECONDS, strict=True))

# The work rows of the tickets whose ids ``{tickets}`` selects (none in a timed status: their
# stretch is still running, read live). Whole stretches only (a closed one has an end). Each
# row carries its ticket's dimensions from its fact (refreshed just before, in the same
# transaction), so neither the day rebuild nor a request joins the facts, and the first and
# last instant of the day it covers (``first_at``: a piece's start or a completion;
# ``last_at``: a piece's end or a completion), so a request whose period cuts that day uses the
# row whole when it lies inside the period (served_workload.py).
WORK_SQL = f"""
WITH {STRETCHES.format(tickets=FEW_TICKETS)},
p AS (
  SELECT ticket_id, engineer_id, status, at, seconds, 0 AS done, until
  FROM ({pieces_sql("s.at", "s.until")}) x
  UNION ALL
  SELECT ticket_id, engineer_id, NULL, at, 0, 1, at FROM stretch WHERE action = 'complete'
), w AS (
  SELECT ticket_id, CAST(at AT TIME ZONE 'UTC' AS date) AS day, engineer_id,
    {
    ", ".join(
        f"coalesce(sum(seconds) FILTER (WHERE status = '{status}'), 0) AS {col}"
        for status, col in _SECONDS_BY_STATUS.items()
    )
}, sum(done)::int AS completed, min(at) AS first_at, max(until) AS last_at
  FROM p
  GROUP BY 1, 2, 3
)
SELECT w.*, f.priority, f.status, f.region_ids, f.customer_id, f.asset_model
FROM w JOIN ticket_facts f ON f.id = w.ticket_id
"""
_WORK_COLS = ", ".join(
    ("ticket_id", "day", "engineer_id", *WORK_COLUMNS, *WORK_SPAN, *WORK_DIMENSIONS)
)


def _insert_sql(tickets: str) -> str:
    return f"INSERT INTO ticket_work ({_WORK_COLS}) " + WORK_SQL.replace("{}", tickets)


# The tickets' ids, those with a running stretch left out.
_CHANGED = f"SELECT t.id FROM tickets t WHERE t.id = ANY(:ids) AND t.status NOT IN {_TIMED}"
_CREATED = (
    "SELECT t.id FROM tickets t WHERE t.created_at >= :a AND t.created_at < :b"
    f" AND t.status NOT IN {_TIMED}"
)


def refresh_work(session: Session, ticket_ids: Collection[uuid.UUID]) -> set[date]:
    """Recompute these tickets' work rows from their trails and apply the difference to the
    rollups (``DELTA_SQL``). Returns the days whose rollup rows changed."""
    ids = list(ticket_ids)
    if not ids:
        return set()
    changed = session.execute(text(DELTA_SQL), {"ids": ids}).all()
    empty = [r for r in changed if r.empty]
    if empty:
        # A key whose last work row went: its row would count an engineer with nothing.
        session.execute(
            text(DELETE_EMPTY_SQL),
            {
                "days": [r.day for r in empty],
                "dims": [r.dim for r in empty],
                "vals": [r.value for r in empty],
                "engineers": [r.engineer_id for r in empty],
            },
        )
    days = {r.day for r in changed}
    rebuild_day_sums(session, days)
    return days


def insert_work(session: Session, params: dict[str, Any]) -> None:
    """The work rows of the tickets created in [:a, :b) (a rebuild)."""
    session.execute(text(_insert_sql(_CREATED)), params)


DIMENSIONS: dict[str, str] = {"priority": "w.priority", "asset_model": "w.asset_model"}
ROLLUP_DIMS = ("all", *DIMENSIONS, "region")
_SUMS = ", ".join(
    [*(f"sum(w.{c})" for c in WORK_SECONDS), "sum(w.completed)::int"],
)
_SET_DIM, _SET_VALUE = grouping_labels(DIMENSIONS)
_SETS = ", ".join(
    ["(w.day, w.engineer_id)", *(f"(w.day, w.engineer_id, {c})" for c in DIMENSIONS.values())]
)
# The rollup rows of work rows ``{source}`` (their tickets' dimensions are columns of them):
# per day and engineer ('all'), and per one dimension value more (GROUPING SETS), and per
# region (a ticket in two regions in both, in none the NULL region, as the report counts it).
# A key whose sums are all zero is left out: nothing to add (a difference that cancels, e.g.
# the unchanged days of a reopened job, is most of a catch-up's keys).
_NONZERO = " OR ".join(f"sum(w.{c}) <> 0" for c in WORK_COLUMNS)
_AGGREGATE = f"""SELECT w.day, {_SET_DIM}, {_SET_VALUE}, w.engineer_id, {_SUMS}
FROM {{source}} w
GROUP BY GROUPING SETS ({_SETS})
HAVING {_NONZERO}
UNION ALL
SELECT w.day, 'region', g.region_id::text, w.engineer_id, {_SUMS}
FROM {{source}} w CROSS JOIN LATERAL unnest(CASE WHEN cardinality(w.region_ids) = 0
  THEN ARRAY[NULL::uuid] ELSE w.region_ids END) AS g(region_id)
GROUP BY w.day, w.engineer_id, g.region_id
HAVING {_NONZERO}"""
# All of it again from ticket_work (a rebuild).
REBUILD_SQL = f"""
INSERT INTO workload_rollups (day, dim, value, engineer_id, {", ".join(WORK_COLUMNS)})
{_AGGREGATE.format(source="ticket_work")}
"""


_MEASURES = ", ".join(WORK_COLUMNS)
_ROW = f"day, engineer_id, priority, asset_model, region_ids, {_MEASURES}"
_NEGATED = ", ".join(f"-{c} AS {c}" for c in WORK_COLUMNS)
# Subtract old, add new, in one statement: the tickets' work rows are deleted and inserted
# again (from their trails, ``WORK_SQL``), the old ones negated, and both summed per rollup key
# as a day rebuild sums them (``_AGGREGATE``) and added to the rollup rows (a new key is
# inserted). The cost follows the tickets changed, not the days they touch. Each key's new
# totals come back; one with nothing left is deleted after (``DELETE_EMPTY_SQL``). A ticket's
# rows carry its dimensions, so a priority or region change moves its minutes out of the old
# value's rows and into the new one's.
DELTA_SQL = f"""
WITH old AS (
  DELETE FROM ticket_work WHERE ticket_id = ANY(:ids) RETURNING {_ROW}
), new AS (
  {_insert_sql(_CHANGED)}
  RETURNING {_ROW}
), delta AS (
  SELECT day, engineer_id, priority, asset_model, region_ids, {_NEGATED} FROM old
  UNION ALL
  SELECT {_ROW} FROM new
)
INSERT INTO workload_rollups AS r (day, dim, value, engineer_id, {_MEASURES})
{_AGGREGATE.format(source="delta")}
ON CONFLICT (day, dim, value, engineer_id) DO UPDATE SET
  {", ".join(f"{c} = r.{c} + excluded.{c}" for c in WORK_COLUMNS)}
RETURNING r.day, r.dim, r.value, r.engineer_id,
  ({" AND ".join(f"r.{c} = 0" for c in WORK_COLUMNS)}) AS empty
"""
DELETE_EMPTY_SQL = f"""
DELETE FROM workload_rollups r
USING unnest(CAST(:days AS date[]), CAST(:dims AS text[]), CAST(:vals AS text[]),
             CAST(:engineers AS uuid[])) AS z(day, dim, value, engineer_id)
WHERE r.day = z.day AND r.dim = z.dim AND r.value IS NOT DISTINCT FROM z.value
  AND r.engineer_id IS NOT DISTINCT FROM z.engineer_id
  AND {" AND ".join(f"r.{c} = 0" for c in WORK_COLUMNS)}
"""


def rebuild_all_work_days(session: Session) -> None:
    """All of ``workload_rollups`` again from ``ticket_work`` (after a rebuild of it), and
    ``workload_day_rollups`` from them."""
    session.execute(text("DELETE FROM workload_rollups"))
    session.execute(text(REBUILD_SQL))
    session.execute(text("DELETE FROM workload_day_rollups"))
    session.execute(text(DAY_SUMS_SQL.format(where="true")))


# ``workload_day_rollups``: the per-engineer rows of a day and dimension value summed into one,
# the engineers kept as a sorted array (a report by region over 90 days reads ~1,200 rows
# rather than ~130,000: bench/reports.py). Rebuilt per day from ``workload_rollups`` whenever
# a day's rows changed (a batch touches a day or two: the days its tickets worked on).
DAY_SUMS_SQL = f"""
INSERT INTO workload_day_rollups (day, dim, value, engineers, {_MEASURES})
SELECT day, dim, value,
  coalesce(array_agg(engineer_id ORDER BY engineer_id) FILTER (WHERE engineer_id IS NOT NULL),
           '{{{{}}}}'::uuid[]),
  {", ".join(f"sum({c})" for c in WORK_SECONDS)}, sum(completed)::int
FROM workload_rollups
WHERE {{where}}
GROUP BY day, dim, value
"""
_DAYS = "dim IN (" + ", ".join(f"'{d}'" for d in ROLLUP_DIMS) + ") AND day = ANY(:days)"


def rebuild_day_sums(session: Session, days: Collection[date]) -> None:
    """Replace these days' ``workload_day_rollups`` rows by fresh sums of their
    ``workload_rollups`` rows."""
    if not days:
        return
    params = {"days": sorted(days)}
    session.execute(text(f"DELETE FROM workload_day_rollups WHERE {_DAYS}"), params)
    session.execute(text(DAY_SUMS_SQL.format(where=_DAYS)), params)
