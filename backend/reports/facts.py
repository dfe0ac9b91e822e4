"""Ticket facts and the per-day rollups built from them (docs/kpis.md, "Rollups").

A *fact* is one ticket's row of everything the SLA, Times, first-time fix and customers KPIs
read: its dimensions, SLA deadlines and clock stops (ticket columns), its first
assign/accept/arrive, last complete and number of arrivals (its audit trail), its score (the
tracking page's rating, else the accepted sign-off's) and the first other ticket on its asset
after its resolution. It is recomputed whole from the raw rows whenever the ticket
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
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.reports.models import COUNT_COLUMNS, KPI_COLUMNS, VALUE_COLUMNS
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
    "asset_id",
    "source",
    "score",
    "visits",
    "next_on_asset",
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
            AND t.responded_at IS NOT NULL AND t.resolved_at IS NOT NULL)) AS settled,
       t.asset_id, t.source::text AS source, coalesce(t.rating, so.rating) AS score,
       coalesce(e.visits, 0)::int AS visits,
       (SELECT min(n.created_at) FROM tickets n
        WHERE n.asset_id = t.asset_id AND n.id <> t.id AND n.created_at > t.resolved_at)
         AS next_on_asset
FROM tickets t
LEFT JOIN assets a ON a.id = t.asset_id
LEFT JOIN sites sa ON sa.id = a.site_id
LEFT JOIN sites s ON s.id = t.site_id
LEFT JOIN signoffs so ON so.ticket_id = t.id AND so.status = 'accepted'
{events}
WHERE {where}
"""
_MILESTONES = """
  min(ev.at) FILTER (WHERE ev.action = 'assign') AS first_assign,
  min(ev.at) FILTER (WHERE ev.action = 'accept') AS first_accept,
  min(ev.at) FILTER (WHERE ev.action = 'arrive') AS first_arrive,
  max(ev.at) FILTER (WHERE ev.action = 'complete') AS last_complete,
  count(*) FILTER (WHERE ev.action = 'arrive') AS visits"""
# A few tickets: each one's trail through ix_ticket_events_ticket_at.
_EVENTS_PER_TICKET = f"""LEFT JOIN LATERAL (
  SELECT {_MILESTONES}
  FROM ticket_events ev WHERE ev.ticket_id = t.id
) e ON true"""
# Many tickets (a rebuild): one grouped pass over their events.
_EVENTS_GROUPED = """LEFT JOIN (
  SELECT ev.ticket_id, {milestones}
  FROM ticket_events ev JOIN tickets t ON t.id = ev.ticket_id
  WHERE {where}
  GROUP BY ev.ticket_id
) e ON e.ticket_id = t.id"""


def facts_sql(where: str, *, many: bool = False) -> str:
    """The facts of the tickets matched by ``where`` (SQL over ``tickets t``)."""
    events = (
        _EVENTS_GROUPED.format(milestones=_MILESTONES, where=where) if many else _EVENTS_PER_TICKET
    )
    return FACTS_SQL.format(events=events, where=where)


def _flag(cond: str) -> str:
    # FILTER (WHERE cond) counts a row only when cond is true (NULL counts as false).
    return f"CASE WHEN {cond} THEN 1 ELSE 0 END"


def _value(cond: str, interval: str) -> str:
    # percentile_cont casts its numeric input to float8; the same cast here keeps every bit.
    return f"CASE WHEN {cond} THEN CAST({minutes_sql(interval)} AS float8) END"


def _clock(name: str, done: str, deadline: str) -> dict[str, str]:
    return {
        f"{name}_due": _flag(
            f"({done} IS NOT NULL OR ({deadline} < :now AND status <> 'cancelled'))"
        ),
        f"{name}_met": _flag(f"({done} <= {deadline})"),
        f"{name}_late": _value(f"{done} > {deadline}", f"{done} - {deadline}"),
    }


# Per fact row (columns of ticket_facts): its share of every KPI, by name. Needs :now and
# :at_risk_fraction (a settled fact's shares do not depend on them).
SHARES: dict[str, str] = {
    "tickets": "1",
    **_clock("respond", "responded_at", "respond_by"),
    **_clock("resolve", "resolved_at", "resolve_by"),
    "at_risk": _flag(AT_RISK),
    "breached": _flag(BREACHED),
    **{f"{name}_n": _flag(f"({where})") for name, (_, where) in TIMES.items()},
    **{name: _value(f"({where})", interval) for name, (interval, where) in TIMES.items()},
}
CONTRIBUTIONS = ",\n  ".join(f"{expr} AS {name}" for name, expr in SHARES.items())

# Customers and first-time fix, per fact (docs/kpis.md#customers, #first-time-fix): the
# reference queries' FILTERs over one fact row. A repeat fault is the first other ticket on
# the asset created after the resolution coming within the window (``:repeat_window``), which
# is the reference's EXISTS: any such ticket exists exactly when the first one is in it.
FINISHED = "status IN ('completed', 'closed')"
COMPLETED = f"({FINISHED} AND resolved_at IS NOT NULL)"
REPEATED = "(next_on_asset - resolved_at <= :repeat_window)"
KPI_SHARES: dict[str, str] = {
    "tickets": "1",
    "qr_reports": _flag("(source = 'public')"),
    "staff_created": _flag("(source <> 'public')"),
    "finished": _flag(f"({FINISHED})"),
    "rated": _flag(f"({FINISHED} AND score IS NOT NULL)"),
    "rated_on_tracking": _flag(f"({FINISHED} AND rating IS NOT NULL)"),
    "rated_at_signoff": _flag(f"({FINISHED} AND rating IS NULL AND score IS NOT NULL)"),
    "score_sum": f"CASE WHEN {FINISHED} AND score IS NOT NULL THEN score ELSE 0 END",
    **{f"score_{n}": _flag(f"({FINISHED} AND score = {n})") for n in range(1, 6)},
    "completed": _flag(COMPLETED),
    "one_visit": _flag(f"({COMPLETED} AND visits = 1)"),
    "repeat_faults": _flag(f"({COMPLETED} AND {REPEATED})"),
    "first_time_fix": _flag(f"({COMPLETED} AND visits = 1 AND NOT coalesce({REPEATED}, false))"),
    # Depends on "now": never kept in a rollup (served.py counts it from the facts).
    "window_open": _flag(f"({COMPLETED} AND resolved_at + :repeat_window > :now)"),
}
KPI_CONTRIBUTIONS = ",\n  ".join(f"{expr} AS {name}" for name, expr in KPI_SHARES.items())

# The facts whose repeat fault may have changed with the tickets matched by ``{changed}`` (on
# tickets t / ticket_facts f): a ticket that is new, or whose asset or creation changed since
# its fact, may now be (or no longer be) the first ticket on its asset after another one's
# resolution, on the new asset and on the old one. Those other tickets resolved before it and
# their next ticket is not earlier than it (index ix_ticket_facts_asset_resolved; an asset has
# few tickets).
ASSET_NEIGHBOURS_SQL = """
SELECT DISTINCT nb.id
FROM (
  SELECT c.asset_id, c.created_at
  FROM tickets c LEFT JOIN ticket_facts o ON o.id = c.id
  WHERE {changed_c} AND c.asset_id IS NOT NULL
    AND (o.id IS NULL OR o.asset_id IS DISTINCT FROM c.asset_id OR o.created_at <> c.created_at)
  UNION
  SELECT o.asset_id, o.created_at
  FROM ticket_facts o LEFT JOIN tickets c ON c.id = o.id
  WHERE {changed_o} AND o.asset_id IS NOT NULL
    AND (c.id IS NULL OR c.asset_id IS DISTINCT FROM o.asset_id OR c.created_at <> o.created_at)
) m
JOIN ticket_facts nb ON nb.asset_id = m.asset_id AND nb.resolved_at < m.created_at
  AND (nb.next_on_asset IS NULL OR nb.next_on_asset >= m.created_at)
"""


def asset_neighbours_sql(changed: str) -> str:
    """``ASSET_NEIGHBOURS_SQL`` for the tickets whose id satisfies ``changed`` (with ``{t}``
    for the table alias)."""
    return ASSET_NEIGHBOURS_SQL.format(
        changed_c=changed.format(t="c"), changed_o=changed.format(t="o")
    )


# What a settled fact keeps of them (ticket_facts' share columns; NULL while not settled), so
# a day's rollup is plain sums and concatenations.
KEPT_SHARES = tuple(c for c in (*COUNT_COLUMNS, *VALUE_COLUMNS) if c != "tickets")
_KEPT = ", ".join(KEPT_SHARES)
_KEPT_EXPRS = ", ".join(f"CASE WHEN x.settled THEN {SHARES[c]} END" for c in KEPT_SHARES)

# The dimensions a rollup row is kept for, as (dim, value expression over a fact f). A ticket
# in several regions has one region row per region, in none the NULL region (as the cohort
# counts it). Not the customer: thousands of customers have a ticket or two a day each, so
# their rows were as many as the facts and more than half of every day's rebuild (measured
# by bench/reports.py); a per-customer report reads the facts (customer_id), which is as
# cheap.
DIMENSIONS: dict[str, str] = {
    "priority": "f.priority",
    "engineer": "f.assignee_id",
    "asset_model": "f.asset_model",
}
_REGIONS = (
    "unnest(CASE WHEN cardinality(f.region_ids) = 0 THEN ARRAY[NULL::uuid] ELSE f.region_ids END)"
)

# One pass over the days' settled facts (only the columns read, each fact's customer and
# first-time-fix shares computed once, MATERIALIZED), aggregated per day ('all') and per day
# and dimension value by GROUPING SETS (GROUPING() tells a set from a NULL value: the
# unassigned, no model), and per day and region (a fact in two regions in both). GROUPING
# SETS took about 30 % less than fanning each fact out to its five rows by a LATERAL and
# grouping those (bench/reports.py at 1,000,000 tickets, a batch's twelve days).
_ROLLUP_AGG = ",\n  ".join(
    [
        *(f"sum(f.{c})::int" for c in COUNT_COLUMNS if c != "tickets"),
        *(f"string_agg(float8send(f.{v}), ''::bytea)" for v in VALUE_COLUMNS),
        *(f"sum(f.{c})::int" for c in KPI_COLUMNS),
    ]
)
_ROLLUP_COLUMNS = ",\n  ".join(
    [
        *(c for c in COUNT_COLUMNS if c != "tickets"),
        *VALUE_COLUMNS,
        *KPI_COLUMNS,
    ]
)
_FACT_READ = ",\n    ".join(
    [
        "day",
        "priority",
        "assignee_id",
        "asset_model",
        "region_ids",
        *(c for c in COUNT_COLUMNS if c != "tickets"),
        *VALUE_COLUMNS,
        *(f"{KPI_SHARES[c]} AS {c}" for c in KPI_COLUMNS),
    ]
)


def grouping_labels(dimensions: dict[str, str]) -> tuple[str, str]:
    """The dimension name and value of a GROUPING SETS row (``all`` and NULL for the set
    without a dimension): the one labelling every rollup's aggregate uses."""
    dim = (
        "CASE "
        + " ".join(f"WHEN GROUPING({col}) = 0 THEN '{d}'" for d, col in dimensions.items())
        + " ELSE 'all' END"
    )
    value = (
        "CASE "
        + " ".join(f"WHEN GROUPING({col}) = 0 THEN {col}::text" for col in dimensions.values())
        + " END"
    )
    return dim, value


_SET_DIM, _SET_VALUE = grouping_labels(DIMENSIONS)
_SETS = ", ".join(["(f.day)", *(f"(f.day, {col})" for col in DIMENSIONS.values())])
ROLLUP_DIMS = ("all", *DIMENSIONS, "region")
REBUILD_DAYS_SQL = f"""
WITH f AS MATERIALIZED (
  SELECT {_FACT_READ}
  FROM ticket_facts WHERE settled AND day = ANY(:days)
)
INSERT INTO report_rollups (day, dim, value, tickets,
  {_ROLLUP_COLUMNS})
SELECT f.day, {_SET_DIM},
  {_SET_VALUE},
  count(*)::int,
  {_ROLLUP_AGG}
FROM f
GROUP BY GROUPING SETS ({_SETS})
UNION ALL
SELECT f.day, 'region', g.region_id::text, count(*)::int,
  {_ROLLUP_AGG}
FROM f CROSS JOIN LATERAL {_REGIONS} AS g(region_id)
GROUP BY f.day, g.region_id
"""
# The days' rows through ix_report_rollups_dim_day (no index leads with the day).
DELETE_DAYS_SQL = (
    "DELETE FROM report_rollups WHERE dim IN ("
    + ", ".join(f"'{d}'" for d in ROLLUP_DIMS)
    + ") AND day = ANY(:days)"
)


def _insert_sql(where: str, *, many: bool = False) -> str:
    # x.* in FACT_COLUMNS order, then the kept shares computed over the same row.
    return (
        f"INSERT INTO ticket_facts ({_COLS}, {_KEPT})"
        f" SELECT x.*, {_KEPT_EXPRS}"
        f" FROM ({facts_sql(where, many=many)}) x"
    )


_NEIGHBOURS_OF_SQL = """
SELECT DISTINCT nb.id
FROM unnest(CAST(:assets AS uuid[]), CAST(:created AS timestamptz[])) AS m(asset_id, created_at)
JOIN ticket_facts nb ON nb.asset_id = m.asset_id AND nb.resolved_at < m.created_at
  AND (nb.next_on_asset IS NULL OR nb.next_on_asset >= m.created_at)
WHERE nb.id <> ALL(:ids)
"""


def refresh_facts(
    session: Session, ticket_ids: Collection[uuid.UUID], *, now: datetime
) -> set[date]:
    """Recompute these tickets' facts from the raw rows (a ticket gone loses its fact), and
    those of the tickets on the same assets whose repeat fault they may decide (a new ticket
    on an asset makes an earlier one's fix a repeat fault: ``ASSET_NEIGHBOURS_SQL``). Returns
    the days whose rollups changed: the day of every settled fact before or after."""
    ids = list(ticket_ids)
    if not ids:
        return set()
    days, placed = _replace_facts(session, ids, now)
    if placed:
        assets, created = zip(*placed, strict=True)
        neighbours = session.execute(
            text(_NEIGHBOURS_OF_SQL),
            {"assets": list(assets), "created": list(created), "ids": ids},
        ).scalars()
        more = list(set(neighbours))
        if more:
            days |= _replace_facts(session, more, now)[0]
    return days


def _replace_facts(
    session: Session, ids: list[uuid.UUID], now: datetime
) -> tuple[set[date], set[tuple[uuid.UUID, datetime]]]:
    """Delete and insert these tickets' facts. Returns the days of the settled facts before
    and after, and the (asset, creation) of every ticket that is new on an asset, left one or
    was created at another instant (the places whose neighbours' repeat faults may change)."""
    returning = " RETURNING id, day, settled, asset_id, created_at"
    removed = session.execute(
        text("DELETE FROM ticket_facts WHERE id = ANY(:ids)" + returning), {"ids": ids}
    ).all()
    inserted = session.execute(
        text(_insert_sql("t.id = ANY(:ids)") + returning),
        {"ids": ids, **_settled_params(now)},
    ).all()
    days = {r.day for r in (*removed, *inserted) if r.settled}
    before = {r.id: (r.asset_id, r.created_at) for r in removed}
    after = {r.id: (r.asset_id, r.created_at) for r in inserted}
    placed = {
        place
        for mine, other in ((after, before), (before, after))
        for tid, place in mine.items()
        if place[0] is not None and other.get(tid) != place
    }
    return days, placed


def _settled_params(now: datetime) -> dict[str, Any]:
    # A settled fact's shares do not depend on these; the expressions still name them.
    return {"now": now, "at_risk_fraction": 0.0}


def insert_facts(session: Session, where: str, params: dict[str, Any], *, now: datetime) -> None:
    """Insert the facts of the many tickets matched by ``where`` (on tickets t): a rebuild."""
    session.execute(text(_insert_sql(where, many=True)), {**params, **_settled_params(now)})


def rebuild_days(session: Session, days: Collection[date], *, window: timedelta) -> None:
    """Replace the rollup rows of these days by a fresh sum over their settled facts
    (``window``: first-time fix's repeat window)."""
    if not days:
        return
    params = {"days": sorted(days), "repeat_window": window}
    session.execute(text(DELETE_DAYS_SQL), params)
    session.execute(text(REBUILD_DAYS_SQL), params)
