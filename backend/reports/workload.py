"""Workload and utilization (docs/kpis.md#workload-and-utilization).

Time is read from the status trail: a job is travelling from ``start_travel`` until the next
status change (normally ``arrive``), on site until work starts, working while ``in_progress``,
paused while ``on_hold``. Each stretch belongs to the engineer the job was assigned to when it
began (from the assignment events, so a reassigned job's earlier travel stays with the first
engineer) and is cut to the period, to "now" and at every UTC midnight, so a day's report
(and a day's row of a report grouped by day) counts that day's minutes of a job that ran for
three. Shift time comes from the engineer profiles' rosters.

``sql`` is the reference over the raw rows; the endpoint serves the same numbers from the
rollups (``backend.reports.served_workload``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.reports.scope import TICKET_GROUPS, KpiFilter, pct, run

GROUPS = (
    "none",
    "engineer",
    "priority",
    "region",
    "status",
    "customer",
    "asset_model",
    "day",
    "week",
    "month",
)
# The statuses that are time spent on a job, and the name each is reported under.
TIMED = {"en_route": "travel", "on_site": "on_site", "in_progress": "work", "on_hold": "paused"}
_ASSIGNMENT = "('assign', 'reassign', 'unassign')"
_TIMED = "(" + ", ".join(f"'{s}'" for s in TIMED) + ")"

# The tickets that may have a stretch in the period: those with a status change at or after
# its start (a stretch overlapping the period ends at one of them) and those in a timed status
# now (a stretch still running).
MOVED = f"""
moved AS (
  SELECT DISTINCT e.ticket_id FROM ticket_events e
  WHERE e.at >= :period_from
    AND CASE WHEN e.at < :period_to
             THEN e.from_status IS DISTINCT FROM e.to_status OR e.action IN {_ASSIGNMENT}
             ELSE e.from_status IS DISTINCT FROM e.to_status AND e.from_status IN {_TIMED} END
  UNION
  SELECT t.id FROM tickets t WHERE t.status IN {_TIMED}
)"""

# The status stretches of the tickets ``{tickets}`` (a condition on ``e.ticket_id``), from their
# whole trail. Ties of the same instant are ordered by the event's id. A stretch's bounds are
# the events' times as time sheets read them (backend/timesheets/derive.py,
# docs/timesheets.md): the device's ``occurred_at`` clamped to the server's receipt and to the
# previous event's time, i.e. the running maximum of ``least(occurred_at, at)``, so a day
# worked offline counts when it was worked, in both. A stretch ends at the next change
# whenever that was received (``until`` NULL: still running). The engineer of a stretch is the
# ``to_assignee`` of the latest assignment event so far (the last of the assignments' array up
# to this row), in the same window as ``lead``, so the events are sorted once.
STRETCHES = f"""
stretch AS (
  SELECT e.ticket_id, e.action, e.to_status::text AS status, e.eff AS at,
    lead(e.eff) OVER w AS until,
    CAST((array_agg(e.data->>'to_assignee') FILTER (WHERE e.action IN {_ASSIGNMENT}) OVER w)
         [count(*) FILTER (WHERE e.action IN {_ASSIGNMENT}) OVER w] AS uuid) AS engineer_id
  FROM (
    SELECT e.*,
      max(least(coalesce(e.occurred_at, e.at), e.at)) OVER w AS eff
    FROM ticket_events e
    WHERE {{tickets}}
      AND (e.from_status IS DISTINCT FROM e.to_status OR e.action IN {_ASSIGNMENT})
    WINDOW w AS (PARTITION BY e.ticket_id ORDER BY e.at, e.id)
  ) e
  WINDOW w AS (PARTITION BY e.ticket_id ORDER BY e.at, e.id)
)"""

# ``{tickets}`` of STRETCHES for a few tickets given by a subquery: each one's trail through
# ix_ticket_events_ticket_at (an IN over the subquery was planned as a hash join over the whole
# audit trail, a sequential scan of ticket_events per catch-up batch and per request).
FEW_TICKETS = "e.ticket_id = ANY(ARRAY({}))"

# The pieces of the timed stretches between ``{low}`` and ``{high}`` (SQL over a stretch
# ``s``), cut at every UTC midnight: a stretch over midnight counts on both days, so a day's
# numbers are that day's minutes whatever the period, and days add up. ``seconds`` is exact
# (numeric); ``until`` is the piece's end.
PIECES = f"""
  SELECT s.ticket_id, s.engineer_id, s.status, p.lo AS at,
    extract(epoch FROM p.hi - p.lo) AS seconds, p.hi AS until
  FROM (
    SELECT s.*, {{low}} AS low, {{high}} AS high FROM stretch s WHERE s.status IN {_TIMED}
  ) s
  CROSS JOIN LATERAL (
    SELECT greatest(s.low, d.d) AS lo, least(s.high, d.d + interval '24 hours') AS hi
    FROM generate_series(date_trunc('day', s.low, 'UTC'), s.high, interval '24 hours') AS d(d)
  ) p
  WHERE s.high > s.low AND p.hi > p.lo"""
# In a report: cut to the period and to "now" (a running stretch counts until now).
_PERIOD_LOW = "greatest(s.at, :period_from)"
_PERIOD_HIGH = "least(coalesce(s.until, :now), :period_to, :now)"

_ROWS = """
  SELECT 'time' AS kind, ticket_id, engineer_id, status, at, seconds,
    NULL::boolean AS overridden
  FROM ({pieces}) p{only}
  UNION ALL
  SELECT 'done', ticket_id, engineer_id, NULL, at, NULL, NULL
  FROM stretch WHERE action = 'complete' AND at >= :period_from AND at < :period_to{only_done}
  UNION ALL
  SELECT 'plan', d.ticket_id, d.chosen_engineer_id, NULL, d.created_at, NULL,
    EXISTS (
      SELECT 1 FROM ticket_events pe
      JOIN LATERAL (
        SELECT nx.actor_id, nx.data, nx.reason FROM ticket_events nx
        WHERE nx.ticket_id = pe.ticket_id AND nx.action IN {assignment}
          AND (nx.at, nx.id) > (pe.at, pe.id)
        ORDER BY nx.at, nx.id
        LIMIT 1
      ) nx ON true
      WHERE pe.ticket_id = d.ticket_id AND pe.data->>'decision_id' = d.id::text
        AND nx.actor_id IS NOT NULL AND nx.data->>'mode' IS DISTINCT FROM 'plan'
        AND nx.reason IS DISTINCT FROM 'batch plan'
    )
  FROM dispatch_decisions d
  WHERE d.mode = 'plan' AND d.created_at >= :period_from AND d.created_at < :period_to"""

# The rostered shifts of active engineers, cut to the period and to now as work is (a period
# running into the future must not dilute the shares with shifts to come). A shift is local
# wall-clock time on its start weekday (Monday 0), overnight when it ends at or before its start.
_SHIFTS = """
  SELECT 'shift', NULL::uuid, p.user_id, NULL, greatest(sh.start_at, :period_from),
    extract(epoch FROM least(sh.end_at, :period_to, :now)
                       - greatest(sh.start_at, :period_from)),
    NULL
  FROM engineer_profiles p
  JOIN users u ON u.id = p.user_id AND u.is_active
  CROSS JOIN LATERAL generate_series(
    CAST(CAST(CAST(:period_from AS timestamptz) AT TIME ZONE p.shift_timezone AS date) - 1
         AS timestamp),
    CAST(CAST(CAST(:period_to AS timestamptz) AT TIME ZONE p.shift_timezone AS date)
         AS timestamp),
    interval '1 day') AS d(day)
  CROSS JOIN LATERAL (
    SELECT (CAST(d.day AS date) + p.shift_start) AT TIME ZONE p.shift_timezone AS start_at,
           (CAST(d.day AS date) + p.shift_end
            + CASE WHEN p.shift_end <= p.shift_start THEN interval '1 day'
                   ELSE interval '0' END) AT TIME ZONE p.shift_timezone AS end_at
  ) sh
  WHERE CAST(extract(isodow FROM d.day) AS int) - 1 = ANY (p.shift_days)
    AND least(sh.end_at, :period_to, :now) > greatest(sh.start_at, :period_from)"""

# The aggregate over rows of ``r`` (kind, engineer_id, status, at, seconds, overridden) with
# the ticket joined. Minutes are the exact sum of seconds over 60.
AGGREGATES = ",".join(
    [
        "\n  count(*) FILTER (WHERE r.kind = 'done') AS completed",
        "\n  count(DISTINCT r.engineer_id) FILTER (WHERE r.kind IN ('time', 'done')) AS engineers",
        "\n  count(DISTINCT (r.engineer_id, CAST(r.at AT TIME ZONE 'UTC' AS date)))"
        "\n    FILTER (WHERE r.kind IN ('time', 'done') AND r.engineer_id IS NOT NULL)"
        " AS engineer_days",
        *(
            f"\n  coalesce(sum(r.seconds) FILTER (WHERE r.kind = 'time'"
            f" AND r.status = '{status}'), 0) / 60 AS {name}_min"
            for status, name in TIMED.items()
        ),
        "\n  sum(r.seconds) FILTER (WHERE r.kind = 'shift') / 60 AS shift_min",
        "\n  count(*) FILTER (WHERE r.kind = 'plan') AS plan_assignments",
        "\n  count(*) FILTER (WHERE r.kind = 'plan' AND r.overridden) AS plan_overridden",
        "\n  count(DISTINCT r.at) FILTER (WHERE r.kind = 'plan') AS plan_applies",
    ]
)

WORKLOAD_SQL = f"""
WITH {{moved}}, {{stretches}}, r AS ({{rows}}
)
SELECT {{key}} AS key,{AGGREGATES}
FROM r
LEFT JOIN tickets t ON t.id = r.ticket_id
{{joins}}
WHERE {{where}}
GROUP BY 1
ORDER BY 1 NULLS FIRST
"""


def with_shifts(f: KpiFilter) -> bool:
    """Shift time is the whole roster of the engineers in the group: it has no share of a
    priority, region, customer or asset model, so it is left out when the request narrows or
    groups by one."""
    return not f.narrows_tickets and f.group_by not in TICKET_GROUPS


def pieces_sql(low: str, high: str) -> str:
    """``PIECES`` between two SQL bounds over a stretch ``s``."""
    return PIECES.format(low=low, high=high)


def rows_sql(f: KpiFilter, *, only: str = "") -> str:
    """The rows of the report (``r``): time pieces, completions, batch-plan assignments and
    (``with_shifts``) rostered shifts. ``only``: a further condition on the time and done rows
    (on their ``ticket_id`` and ``at``), for the served path's raw part."""
    rows = _ROWS.format(
        pieces=pieces_sql(_PERIOD_LOW, _PERIOD_HIGH),
        assignment=_ASSIGNMENT,
        only=f"\n  WHERE {only}" if only else "",
        only_done=f" AND {only}" if only else "",
    )
    return rows + (f"\n  UNION ALL{_SHIFTS}" if with_shifts(f) else "")


def sql(f: KpiFilter) -> str:
    return WORKLOAD_SQL.format(
        moved=MOVED,
        stretches=STRETCHES.format(tickets="e.ticket_id IN (SELECT ticket_id FROM moved)"),
        rows=rows_sql(f),
        key=f.key(engineer="r.engineer_id", at="r.at"),
        joins=f.joins(),
        where=f.where(engineer="r.engineer_id"),
    )


def _round(minutes: Any) -> float:
    return round(float(minutes), 2)


def workload_report(f: KpiFilter, *, now: datetime) -> list[dict[str, Any]]:
    """Per group: jobs completed and per engineer-day, minutes by kind, shares of shift time,
    and the batch plans' assignments kept or overridden."""
    shifts = with_shifts(f)
    return [shape(r, shifts=shifts) for r in run(sql(f), f, now=now)]


def shape(r: Any, *, shifts: bool) -> dict[str, Any]:
    """One group of the answer from one row of ``AGGREGATES``."""
    shift = r["shift_min"] if shifts else None
    minutes = {name: _round(r[f"{name}_min"]) for name in TIMED.values()}
    return {
        "key": r["key"],
        "completed": r["completed"],
        "engineers": r["engineers"],
        "engineer_days": r["engineer_days"],
        "jobs_per_engineer_day": (
            round(r["completed"] / r["engineer_days"], 2) if r["engineer_days"] else None
        ),
        "minutes": minutes,
        "shift_min": None if shift is None else _round(shift),
        "shares": {
            name: (round(100.0 * float(minutes[name]) / float(shift), 2) if shift else None)
            for name in ("travel", "on_site", "work")
        },
        "plans": {
            "applies": r["plan_applies"],
            "assignments": r["plan_assignments"],
            "overridden": r["plan_overridden"],
            "kept": r["plan_assignments"] - r["plan_overridden"],
            "overridden_pct": pct(r["plan_overridden"], r["plan_assignments"]),
        },
    }
