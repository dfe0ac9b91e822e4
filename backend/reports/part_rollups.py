"""Parts' rollups (docs/kpis.md, "Rollups", "Parts"): ``part_rollups``, per UTC day of a use's
recording, one dimension value and part.

A use's day never changes (``part_usages.created_at`` is the server's recording time, the
instant the reference query puts it in a period by), a use is never edited or deleted, and of
its groups only the asset model depends on the ticket (the engineer is the recorder's, the
part the use's), whose asset never changes. So a day's rows change only when a use is recorded
on it: a ``part_usages`` row in the change log (a late-synced offline use included: it counts
on the day the server recorded it, as the reference counts it). The catch-up then rebuilds
those days whole from the raw rows (``REBUILD_DAYS_SQL``), in the same transaction as the facts
and the watermark. (Editing an asset's model does not rewrite old days, as it does not rewrite
old facts.)

Distinct tickets do not add up over days (a ticket with a use on Monday and one on Tuesday is
one ticket of the week), so a row keeps its day's ticket ids (sorted, distinct) and a request
counts them distinct over its rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.reports.facts import grouping_labels

# The rollup's dimensions, as (dim, column of the use row ``u`` below).
DIMENSIONS: dict[str, str] = {"engineer": "u.engineer_id", "asset_model": "u.asset_model"}
ROLLUP_DIMS = ("all", *DIMENSIONS)
ENTITY = "part_usages"

_SET_DIM, _SET_VALUE = grouping_labels(DIMENSIONS)
_SETS = ", ".join(
    ["(u.day, u.part_id)", *(f"(u.day, u.part_id, {col})" for col in DIMENSIONS.values())]
)
# The uses recorded on ``{days}`` (a FROM item with a ``day`` column), with the ticket's asset
# model now, summed per day, part and (GROUPING SETS) one dimension value more.
_AGGREGATE = f"""
INSERT INTO part_rollups (day, dim, value, part_id, usages, quantity, stockouts, tickets)
SELECT u.day, {_SET_DIM}, {_SET_VALUE}, u.part_id, count(*)::int, sum(u.quantity),
  (count(*) FILTER (WHERE u.negative_stock))::int,
  array_agg(DISTINCT u.ticket_id ORDER BY u.ticket_id)
FROM (
  SELECT CAST(u.created_at AT TIME ZONE 'UTC' AS date) AS day, u.part_id, u.engineer_id,
    a.model::text AS asset_model, u.quantity, u.negative_stock, u.ticket_id
  FROM {{uses}}
  JOIN tickets t ON t.id = u.ticket_id
  LEFT JOIN assets a ON a.id = t.asset_id
) u
GROUP BY GROUPING SETS ({_SETS})
"""
# The days' uses through ix_part_usages_created_at, one UTC day range each.
REBUILD_DAYS_SQL = _AGGREGATE.format(
    uses="unnest(CAST(:days AS date[])) AS d(day)\n  JOIN part_usages u"
    " ON u.created_at >= CAST(d.day AS timestamp) AT TIME ZONE 'UTC'"
    " AND u.created_at < CAST(d.day + 1 AS timestamp) AT TIME ZONE 'UTC'"
)
REBUILD_ALL_SQL = _AGGREGATE.format(uses="part_usages u")
DELETE_DAYS_SQL = (
    "DELETE FROM part_rollups WHERE dim IN ("
    + ", ".join(f"'{d}'" for d in ROLLUP_DIMS)
    + ") AND day = ANY(:days)"
)
# The days of these uses.
DAYS_OF_SQL = (
    "SELECT DISTINCT CAST(created_at AT TIME ZONE 'UTC' AS date) FROM part_usages"
    " WHERE id = ANY(:ids)"
)


def refresh_parts(session: Session, usage_ids: Collection[uuid.UUID]) -> set[date]:
    """Rebuild the days of these uses (recorded since the last batch). Returns the days
    rebuilt."""
    ids = list(usage_ids)
    if not ids:
        return set()
    days = set(session.execute(text(DAYS_OF_SQL), {"ids": ids}).scalars())
    if days:
        params = {"days": sorted(days)}
        session.execute(text(DELETE_DAYS_SQL), params)
        session.execute(text(REBUILD_DAYS_SQL), params)
    return days


def rebuild_all_parts(session: Session) -> None:
    """All of ``part_rollups`` again from ``part_usages`` (a rebuild)."""
    session.execute(text("DELETE FROM part_rollups"))
    session.execute(text(REBUILD_ALL_SQL))
