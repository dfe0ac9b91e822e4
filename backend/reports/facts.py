"""Ticket facts and the per-day rollups built from them (docs/kpis.md, "Rollups").

A *fact* is one ticket's row of everything the SLA and Times KPIs read: its dimensions, SLA
deadlines and clock stops (ticket columns) and its first assign/accept/arrive and last
complete (its audit trail). It is recomputed whole from the raw rows whenever the ticket
changes, so a late, corrected or reopened event needs no special case: the ticket's fact is
replaced and the day it belongs to is rebuilt.

A *contribution* is what one fact adds to each KPI, written with the very SQL fragments of the
reference queries (``backend.reports.queries``): a rollup row is the sum of its facts'
contributions, and the live part of a report sums the same expressions over fresh facts, so
the two can only agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.reports.models import COUNT_COLUMNS, VALUE_COLUMNS
from backend.reports.queries import AT_RISK, BREACHED, TIMES, minutes_sql

FACT_COLUMNS = (
    "id",
    "created_at",
    "day",
    "priority",
    "status",
    "assignee_id",
    "region_ids",
    "customer_id",
    "asset_model",
    "respond_by",
    "resolve_by",
    "responded_at",
    "resolved_at",
    "first_assign",
    "first_accept",
    "first_arrive",
    "last_complete",
    "rating",
    "settled",
)
_COLS = ", ".join(FACT_COLUMNS)

# One fact per ticket matched by {where} (on tickets t), computed from the raw rows. The
# milestones are the reference query's (docs/kpis.md, Times); ``settled`` says no KPI of the
# ticket depends on "now" any more (closed out with both clocks stopped, or cancelled).
FACTS_SQL = """
SELECT t.id, t.created_at, (t.created_at AT TIME ZONE 'UTC')::date AS day,
       t.priority::text AS priority, t.status::text AS status, t.assignee_id, t.region_ids,
       coalesce(s.customer_id, sa.customer_id) AS customer_id, a.model AS asset_model,
       t.respond_by, t.resolve_by, t.responded_at, t.resolved_at,
       e.first_assign, e.first_accept, e.first_arrive, e.last_complete, t.rating,
       (t.status = 'cancelled'
        OR (t.status IN ('completed', 'closed')
            AND t.responded_at IS NOT NULL AND t.resolved_at IS NOT NULL)) AS settled
FROM tickets t
LEFT JOIN assets a ON a.id = t.asset_id
LEFT JOIN sites sa ON sa.id = a.site_id
LEFT JOIN sites s ON s.id = t.site_id
LEFT JOIN LATERAL (
  SELECT min(ev.at) FILTER (WHERE ev.action = 'assign') AS first_assign,
         min(ev.at) FILTER (WHERE ev.action = 'accept') AS first_accept,
         min(ev.at) FILTER (WHERE ev.action = 'arrive') AS first_arrive,
         max(ev.at) FILTER (WHERE ev.action = 'complete') AS last_complete
  FROM ticket_events ev
  WHERE ev.ticket_id = t.id
) e ON true
WHERE {where}
"""


def _flag(cond: str, name: str) -> str:
    # FILTER (WHERE cond) counts a row only when cond is true (NULL counts as false).
    return f"CASE WHEN {cond} THEN 1 ELSE 0 END AS {name}"


def _value(cond: str, interval: str, name: str) -> str:
    # percentile_cont casts its numeric input to float8; the same cast here keeps every bit.
    return f"CASE WHEN {cond} THEN CAST({minutes_sql(interval)} AS float8) END AS {name}"


def _clock(name: str, done: str, deadline: str) -> list[str]:
    return [
        _flag(
            f"({done} IS NOT NULL OR ({deadline} < :now AND status <> 'cancelled'))", f"{name}_due"
        ),
        _flag(f"({done} <= {deadline})", f"{name}_met"),
        _value(f"{done} > {deadline}", f"{done} - {deadline}", f"{name}_late"),
    ]


# Per fact row (columns of ticket_facts, plus the cohort's key): its share of every KPI.
# Needs :now and :at_risk_fraction (a settled fact's shares do not depend on them).
CONTRIBUTIONS = ",\n  ".join(
    [
        "1 AS tickets",
        *_clock("respond", "responded_at", "respond_by"),
        *_clock("resolve", "resolved_at", "resolve_by"),
        _flag(AT_RISK, "at_risk"),
        _flag(BREACHED, "breached"),
        *(_flag(f"({where})", f"{name}_n") for name, (_, where) in TIMES.items()),
        *(_value(f"({where})", interval, name) for name, (interval, where) in TIMES.items()),
    ]
)

# The dimensions a rollup row is kept for, as (dim, value expression over a fact f). A ticket
# in several regions has one region row per region, in none the NULL region (as the cohort
# counts it).
DIMENSIONS: dict[str, str] = {
    "all": "NULL::text",
    "priority": "f.priority",
    "engineer": "f.assignee_id::text",
    "customer": "f.customer_id::text",
    "asset_model": "f.asset_model",
}
_REGIONS = (
    "unnest(CASE WHEN cardinality(f.region_ids) = 0 THEN ARRAY[NULL::uuid] ELSE f.region_ids END)"
)
_DIMS = ", ".join(f"('{dim}', {expr})" for dim, expr in DIMENSIONS.items())

_ROLLUP_AGG = ", ".join(
    [
        *(f"sum({c})::int" for c in COUNT_COLUMNS if c != "tickets"),
        *(f"string_agg(float8send({v}), ''::bytea ORDER BY {v})" for v in VALUE_COLUMNS),
    ]
)
_ROLLUP_COLUMNS = ", ".join(c for c in COUNT_COLUMNS if c != "tickets")
REBUILD_DAYS_SQL = f"""
WITH f AS (SELECT * FROM ticket_facts WHERE settled AND day = ANY(:days)),
d AS (
  SELECT f.*, x.dim, x.value FROM f CROSS JOIN LATERAL (VALUES {_DIMS}) AS x(dim, value)
  UNION ALL
  SELECT f.*, 'region', g.region_id::text FROM f CROSS JOIN LATERAL {_REGIONS} AS g(region_id)
),
c AS (SELECT day, dim, value, {CONTRIBUTIONS} FROM d)
INSERT INTO report_rollups (day, dim, value, tickets, {_ROLLUP_COLUMNS}, {", ".join(VALUE_COLUMNS)})
SELECT day, dim, value, count(*)::int, {_ROLLUP_AGG}
FROM c
GROUP BY day, dim, value
"""


def refresh_facts(session: Session, ticket_ids: Collection[uuid.UUID]) -> set[date]:
    """Recompute these tickets' facts from the raw rows (a ticket gone loses its fact).
    Returns the days whose rollups changed: the day of every settled fact before or after."""
    ids = list(ticket_ids)
    if not ids:
        return set()
    days = set(
        session.execute(
            text("SELECT day FROM ticket_facts WHERE id = ANY(:ids) AND settled"), {"ids": ids}
        ).scalars()
    )
    session.execute(text("DELETE FROM ticket_facts WHERE id = ANY(:ids)"), {"ids": ids})
    inserted = session.execute(
        text(
            f"INSERT INTO ticket_facts ({_COLS}) {FACTS_SQL.format(where='t.id = ANY(:ids)')}"
            " RETURNING day, settled"
        ),
        {"ids": ids},
    ).all()
    days.update(day for day, settled in inserted if settled)
    return days


def insert_facts(session: Session, where: str, params: dict[str, Any]) -> None:
    """Insert the facts of the tickets matched by ``where`` (on tickets t): the rebuild."""
    session.execute(
        text(f"INSERT INTO ticket_facts ({_COLS}) {FACTS_SQL.format(where=where)}"), params
    )


def rebuild_days(session: Session, days: Collection[date], *, now: datetime) -> None:
    """Replace the rollup rows of these days by a fresh sum over their settled facts."""
    if not days:
        return
    params = {"days": sorted(days), "now": now, "at_risk_fraction": 0.0}
    session.execute(text("DELETE FROM report_rollups WHERE day = ANY(:days)"), params)
    session.execute(text(REBUILD_DAYS_SQL), params)
