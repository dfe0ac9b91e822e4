"""The KPI queries: the reference SQL of docs/kpis.md, one function per report.

Medians and p90 are ``percentile_cont`` (linear interpolation between the two nearest ranks),
in minutes. ``now`` is passed in, so a report is a function of the rows and one instant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text

from backend.db import db
from backend.reports.filters import ReportFilter
from backend.workorders.states import OPEN_STATUSES

_OPEN = "(" + ", ".join(f"'{s.value}'" for s in OPEN_STATUSES) + ")"


def minutes_sql(expr: str) -> str:
    """Minutes of an interval, as every duration of docs/kpis.md is measured."""
    return f"extract(epoch FROM {expr}) / 60"


def _pct(q: float, expr: str, where: str) -> str:
    return (
        f"percentile_cont({q}) WITHIN GROUP (ORDER BY {minutes_sql(expr)}) FILTER (WHERE {where})"
    )


def _clock_sql(name: str, done: str, deadline: str) -> str:
    """Due, met and lateness of one SLA clock (respond: accepted; resolve: completed)."""
    late = f"{done} - {deadline}"
    return f"""
  count(*) FILTER (WHERE {done} IS NOT NULL
                      OR ({deadline} < :now AND status <> 'cancelled')) AS {name}_due,
  count(*) FILTER (WHERE {done} <= {deadline}) AS {name}_met,
  {_pct(0.5, late, f"{done} > {deadline}")} AS {name}_late_median_min,
  {_pct(0.9, late, f"{done} > {deadline}")} AS {name}_late_p90_min"""


def _breached(done: str, deadline: str) -> str:
    # Never NULL (a NULL here would turn AT_RISK's NOT into "unknown" and drop the ticket).
    return (
        f"(({done} IS NOT NULL AND {done} > {deadline})"
        f" OR ({done} IS NULL AND {deadline} < :now AND status <> 'cancelled'))"
    )


def _at_risk(done: str, deadline: str) -> str:
    # backend.workorders.sla.clock_state's AT_RISK: running, not yet late, and at least
    # SLA_AT_RISK_FRACTION of the window used (or an empty window).
    return (
        f"({done} IS NULL AND status <> 'cancelled' AND :now <= {deadline}"
        f" AND ({deadline} <= created_at"
        f" OR :now >= created_at + :at_risk_fraction * ({deadline} - created_at)))"
    )


BREACHED = (
    f"({_breached('responded_at', 'respond_by')} OR {_breached('resolved_at', 'resolve_by')})"
)
AT_RISK = (
    f"(NOT {BREACHED} AND status IN {_OPEN}"
    f" AND ({_at_risk('responded_at', 'respond_by')} OR {_at_risk('resolved_at', 'resolve_by')}))"
)

SLA_SQL = f"""
WITH cohort AS ({{cohort}})
SELECT key,
  count(*) AS tickets,{_clock_sql("respond", "responded_at", "respond_by")},{
    _clock_sql("resolve", "resolved_at", "resolve_by")
},
  count(*) FILTER (WHERE {AT_RISK}) AS at_risk,
  count(*) FILTER (WHERE {BREACHED}) AS breached
FROM cohort
GROUP BY key
ORDER BY key NULLS FIRST
"""

# The life-cycle milestones of each ticket, from its audit trail (ix_ticket_events_ticket_at).
_MILESTONES = """
SELECT c.key, c.status, c.created_at, e.first_assign, e.first_accept, e.first_arrive,
       e.last_complete
FROM cohort c
LEFT JOIN LATERAL (
  SELECT min(ev.at) FILTER (WHERE ev.action = 'assign') AS first_assign,
         min(ev.at) FILTER (WHERE ev.action = 'accept') AS first_accept,
         min(ev.at) FILTER (WHERE ev.action = 'arrive') AS first_arrive,
         max(ev.at) FILTER (WHERE ev.action = 'complete') AS last_complete
  FROM ticket_events ev
  WHERE ev.ticket_id = c.id
) e ON true
"""

# name -> (interval, when it counts)
TIMES: dict[str, tuple[str, str]] = {
    "to_assign": ("first_assign - created_at", "first_assign IS NOT NULL"),
    "to_accept": ("first_accept - first_assign", "first_accept IS NOT NULL"),
    "to_arrive": ("first_arrive - created_at", "first_arrive IS NOT NULL"),
    "to_complete": (
        "last_complete - created_at",
        "status IN ('completed', 'closed') AND last_complete IS NOT NULL",
    ),
}


def _time_sql(name: str, interval: str, where: str) -> str:
    return f"""
  count(*) FILTER (WHERE {where}) AS {name}_n,
  {_pct(0.5, interval, where)} AS {name}_median_min,
  {_pct(0.9, interval, where)} AS {name}_p90_min"""


TIMES_SQL = f"""
WITH cohort AS ({{cohort}}), m AS ({_MILESTONES})
SELECT key,
  count(*) AS tickets,{",".join(_time_sql(n, i, w) for n, (i, w) in TIMES.items())}
FROM m
GROUP BY key
ORDER BY key NULLS FIRST
"""

# Age buckets: [lower, upper) of now - created_at.
AGE_BUCKETS: dict[str, tuple[str | None, str | None]] = {
    "lt_4h": (None, "4 hours"),
    "lt_1d": ("4 hours", "1 day"),
    "lt_3d": ("1 day", "3 days"),
    "lt_7d": ("3 days", "7 days"),
    "older": ("7 days", None),
}


def _bucket(lower: str | None, upper: str | None) -> str:
    parts = [
        f"age >= interval '{lower}'" if lower else "",
        f"age < interval '{upper}'" if upper else "",
    ]
    return " AND ".join(p for p in parts if p)


BACKLOG_SQL = f"""
WITH cohort AS ({{cohort}})
SELECT key, status,
  count(*) AS total,{
    ",".join(
        f"{chr(10)}  count(*) FILTER (WHERE {_bucket(lo, hi)}) AS {name}"
        for name, (lo, hi) in AGE_BUCKETS.items()
    )
}
FROM (SELECT key, status::text AS status, :now - created_at AS age
      FROM cohort WHERE status IN {_OPEN}) b
GROUP BY key, status
ORDER BY key NULLS FIRST, array_position(ARRAY{[s.value for s in OPEN_STATUSES]}, status)
"""


def _rows(
    sql: str, f: ReportFilter, source: str = "tickets", **params: Any
) -> list[dict[str, Any]]:
    cohort = f.cohort_sql(source=source)
    result = db.session.execute(text(sql.format(cohort=cohort)), {**f.params(), **params})
    return [dict(row) for row in result.mappings()]


def _pct_of(met: int, due: int) -> float | None:
    return round(100.0 * met / due, 2) if due else None


def sla_report(f: ReportFilter, *, now: datetime, at_risk_fraction: float) -> list[dict[str, Any]]:
    """Per group: the respond and resolve clocks' met %, lateness, and at-risk/breached counts."""
    out = []
    for r in _rows(SLA_SQL, f, now=now, at_risk_fraction=at_risk_fraction):
        clocks = {
            name: {
                "due": r[f"{name}_due"],
                "met": r[f"{name}_met"],
                "met_pct": _pct_of(r[f"{name}_met"], r[f"{name}_due"]),
                "late_median_min": r[f"{name}_late_median_min"],
                "late_p90_min": r[f"{name}_late_p90_min"],
            }
            for name in ("respond", "resolve")
        }
        out.append(
            {
                "key": r["key"],
                "tickets": r["tickets"],
                **clocks,
                "at_risk": r["at_risk"],
                "breached": r["breached"],
            }
        )
    return out


def times_report(f: ReportFilter) -> list[dict[str, Any]]:
    """Per group: n, median and p90 minutes of each life-cycle time."""
    return [
        {
            "key": r["key"],
            "tickets": r["tickets"],
            **{
                name: {
                    "n": r[f"{name}_n"],
                    "median_min": r[f"{name}_median_min"],
                    "p90_min": r[f"{name}_p90_min"],
                }
                for name in TIMES
            },
        }
        for r in _rows(TIMES_SQL, f)
    ]


def backlog_report(
    f: ReportFilter, *, now: datetime, source: str = "tickets", **params: Any
) -> list[dict[str, Any]]:
    """Per group and open status: the tickets by age bucket. ``source``: the relation of
    tickets (or of ticket facts, with its ``params``: backend/reports/served.py reads the
    live ones)."""
    return [
        {
            "key": r["key"],
            "status": r["status"],
            "total": r["total"],
            "ages": {name: r[name] for name in AGE_BUCKETS},
        }
        for r in _rows(BACKLOG_SQL, f, source, now=now, **params)
    ]
