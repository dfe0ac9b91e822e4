"""The reports as served: the same numbers as the reference SQL (``queries.py``,
``first_fix.py``, ``customers.py``), read from the rollups plus a small live part, in one
statement (one snapshot).

A request's cohort splits into (docs/kpis.md, "Rollups"):

1. **fresh**: tickets changed after the watermark (in the change log past it, committed or
   our own): their facts are recomputed from the raw rows right here;
2. **live**: the other tickets whose fact is not settled (open work, or a clock still
   running): their fact is current, but their KPIs depend on "now";
3. **rollups**: whole UTC days of the period, for the one dimension the request needs, minus
   the days a fresh ticket belongs to;
4. **edge**: settled facts of the days the rollups do not answer (the period's partial first
   and last day, the fresh tickets' days, every day when the filters combine two dimensions).

Counts are sums; medians and p90 are exact: a rollup row keeps its facts' values (packed
float8), so the median of a group is ``percentile_cont``'s over the very same values.
Without a watermark (the first catch-up has not run) the reference SQL answers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import text

from backend.db import db
from backend.reports import customers, first_fix, queries
from backend.reports.catchup import _ENTITIES, CHANGED_TICKET, STATE, no_jit
from backend.reports.facts import (
    CONTRIBUTIONS,
    FACT_COLUMNS,
    KPI_CONTRIBUTIONS,
    asset_neighbours_sql,
    facts_sql,
)
from backend.reports.filters import ReportFilter
from backend.reports.models import COUNT_COLUMNS, CUSTOMER_COLUMNS, KPI_COLUMNS
from backend.reports.scope import KpiFilter

_COLS = ", ".join(FACT_COLUMNS)
_F_COLS = ", ".join(f"f.{c}" for c in FACT_COLUMNS)

_FRESH = facts_sql(
    "t.id IN (SELECT id FROM o) AND t.created_at >= :period_from AND t.created_at < :period_to"
)
# The tickets changed after the watermark: every visible log row past it (no horizon bound
# here: a committed change is visible to the reference query too, so it is to this one). The
# watermark is read just before, in its own statement: if a catch-up moves it meanwhile, the
# older one only makes more tickets fresh (recomputed here, their days read from the facts),
# which gives the same numbers.
# The tickets on the same assets whose repeat fault a changed ticket may decide are fresh too
# (facts.ASSET_NEIGHBOURS_SQL): a new ticket on an asset turns an earlier fix into a repeat
# fault at once for the reference query.
_PRELUDE = f"""
ch AS (
  SELECT DISTINCT {CHANGED_TICKET} AS id FROM sync_changes s
  WHERE s.xid >= CAST(:wm_xid AS xid8) AND (s.xid, s.id) > (CAST(:wm_xid AS xid8), :wm_id)
    AND s.entity IN {_ENTITIES}
),
o AS (
  SELECT id FROM ch WHERE id IS NOT NULL
  UNION
  {asset_neighbours_sql("{t}.id IN (SELECT id FROM ch)")}
),
fresh AS ({_FRESH}),
live AS (
  SELECT {_COLS} FROM fresh
  UNION ALL
  SELECT {_F_COLS} FROM ticket_facts f
  WHERE NOT f.settled AND f.created_at >= :period_from AND f.created_at < :period_to
    AND f.id NOT IN (SELECT id FROM o)
)"""

_SOURCE = f"""{_PRELUDE},
dirty AS (
  SELECT day FROM fresh
  UNION
  SELECT f.day FROM ticket_facts f
  WHERE f.id IN (SELECT id FROM o)
    AND f.created_at >= :period_from AND f.created_at < :period_to
),
src AS (
  SELECT {_COLS} FROM live
  UNION ALL
  SELECT {_F_COLS} FROM ticket_facts f
  WHERE f.settled AND f.created_at >= :period_from AND f.created_at < :period_to
    AND (f.day = ANY(CAST(:edge_days AS date[])) OR f.day = ANY(ARRAY(SELECT day FROM dirty)))
    AND f.id NOT IN (SELECT id FROM o)
)"""

# Backlog reads only open tickets, and every open ticket is live or fresh.
_LIVE_SOURCE = f"(WITH {_PRELUDE} SELECT * FROM live)"

# Rollup group keys, as the cohort's key expressions give them (filters.py).
_ROLLUP_KEYS = {
    "none": "NULL::text",
    "priority": "r.value",
    "region": "r.value",
    "engineer": "r.value",
    "day": "to_char(r.day::timestamp, 'YYYY-MM-DD')",
    "week": "to_char(date_trunc('week', r.day::timestamp), 'YYYY-MM-DD')",
    "month": "to_char(date_trunc('month', r.day::timestamp), 'YYYY-MM-DD')",
    "asset_model": "r.value",
}
# The filters a rollup dimension answers (another filter, e.g. a customer, reads the facts).
_FILTER_DIMS = {
    "priority": "priority",
    "engineer_id": "engineer",
    "region_id": "region",
    "asset_model": "asset_model",
}
_ROLLED_GROUPS = ("priority", "region", "engineer", "asset_model")
_BUCKETS = ("none", "day", "week", "month")


@dataclass(frozen=True)
class Plan:
    """Which rollup rows answer a request: one dimension (and value), whole days [first, end)."""

    dim: str | None
    value: str | None
    first: date
    end: date


def plan(f: ReportFilter) -> Plan:
    params = f.params()
    filters = {
        dim: str(params[name]) for name, dim in _FILTER_DIMS.items() if params.get(name) is not None
    }
    # Any other filter (a customer, or one added later) has no rollup rows: facts only.
    unrolled = any(
        v is not None
        for name, v in params.items()
        if name not in _FILTER_DIMS and name not in ("period_from", "period_to")
    )
    grouped = f.group_by if f.group_by in _ROLLED_GROUPS else None
    dims = set(filters) | ({grouped} if grouped else set())
    first = _day_ceil(f.period_from)
    end = f.period_to.astimezone(UTC).date()
    # No rollup is kept by status (it changes until a fact settles) or customer: a status
    # filter is one of the ``unrolled`` above, a status group one of these.
    other_group = f.group_by not in _ROLLED_GROUPS and f.group_by not in _BUCKETS
    if len(dims) > 1 or first >= end or unrolled or other_group:
        return Plan(None, None, first, first)  # two dimensions at once: facts only
    dim = next(iter(dims)) if dims else "all"
    return Plan(dim, filters.get(dim), first, end)


def _day_ceil(instant: datetime) -> date:
    d = instant.astimezone(UTC)
    day = d.date()
    return day if d.timetz() == time(0, tzinfo=UTC) else day + timedelta(days=1)


def _edge_days(f: ReportFilter, p: Plan) -> list[date]:
    last = (f.period_to.astimezone(UTC) - timedelta(microseconds=1)).date()
    day, out = f.period_from.astimezone(UTC).date(), []
    while day <= last:
        if not (p.first <= day < p.end):
            out.append(day)
        day += timedelta(days=1)
    return out


def _aggregate_sql(f: ReportFilter, p: Plan, counts: list[str], values: list[str]) -> str:
    sums = ", ".join(f"sum({c})::bigint AS {c}" for c in counts)
    aggs = ", ".join(f"string_agg({v}, ''::bytea) AS {v}" for v in values)
    rows_cols = ", ".join([*counts, *(f"float8send({v}) AS {v}" for v in values)])
    rolled = ""
    if p.dim is not None and p.first < p.end:
        value_cond = "" if p.value is None else " AND r.value = :dim_value"
        rolled_cols = ", ".join(
            [*(c if c in COUNT_COLUMNS else f"0 AS {c}" for c in counts), *values]
        )
        rolled = f"""
  UNION ALL
  SELECT {_ROLLUP_KEYS[f.group_by]} AS key, {rolled_cols}
  FROM report_rollups r
  WHERE r.dim = :dim{value_cond} AND r.day >= :full_first AND r.day < :full_end
    AND r.day <> ALL(ARRAY(SELECT day FROM dirty))"""
    return f"""
WITH {_SOURCE},
cohort AS ({f.cohort_sql(source="src")}),
c AS (SELECT key, {CONTRIBUTIONS} FROM cohort)
SELECT key, {sums}, {aggs}
FROM (
  SELECT key, {rows_cols} FROM c{rolled}
) u
GROUP BY key
ORDER BY key NULLS FIRST
"""


def watermark() -> tuple[int, int] | None:
    """The rollups' watermark; None until a catch-up has built them (every served family
    reads it: one owner)."""
    row = db.session.execute(
        text("SELECT wm_xid, wm_id FROM report_rollup_state WHERE name = :n"), {"n": STATE}
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))


def ready() -> bool:
    """True once a catch-up has built the rollups (a watermark exists)."""
    return watermark() is not None


def _bound(
    f: ReportFilter, p: Plan, mark: tuple[int, int], params: dict[str, Any]
) -> dict[str, Any]:
    """The parameters every rollup statement binds: the filter's, the caller's, the plan's
    rolled-up dimension and days, and the watermark the rollups were caught up to."""
    return {
        **f.params(),
        **params,
        "edge_days": _edge_days(f, p),
        "dim": p.dim,
        "dim_value": p.value,
        "full_first": p.first,
        "full_end": p.end,
        "wm_xid": str(mark[0]),
        "wm_id": mark[1],
    }


def _run(
    f: ReportFilter,
    mark: tuple[int, int],
    counts: list[str],
    values: list[str],
    **params: Any,
) -> list[dict[str, Any]]:
    p = plan(f)
    sql = _aggregate_sql(f, p, counts, values)
    no_jit(db.session())
    result = db.session.execute(text(sql), _bound(f, p, mark, params))
    out = []
    for r in result.mappings():
        row = dict(r)
        for v in values:
            row[v] = _values(row[v])
        out.append(row)
    return out


def _values(packed: bytes | None) -> np.ndarray[Any, np.dtype[np.float64]]:
    if not packed:
        return np.empty(0, dtype=np.float64)
    return np.frombuffer(packed, dtype=">f8").astype(np.float64)


def percentile_cont(xs: np.ndarray[Any, np.dtype[np.float64]], q: float) -> float | None:
    """PostgreSQL's percentile_cont over the values (any order), with its float8 arithmetic:
    the values at ranks floor and ceil of q x (n - 1) of the sorted list, linearly
    interpolated. The two ranks are selected, not sorted for (np.partition)."""
    n = len(xs)
    if n == 0:
        return None
    pos = q * (n - 1)
    lo = int(np.floor(pos))
    hi = int(np.ceil(pos))
    ranked = np.partition(xs, [lo, hi])
    first = float(ranked[lo])
    if lo == hi:
        return first
    second = float(ranked[hi])
    return first + (second - first) * (pos - lo)


_SLA_COUNTS = ["tickets", "respond_due", "respond_met", "resolve_due", "resolve_met"]


def sla_report(f: ReportFilter, *, now: datetime, at_risk_fraction: float) -> list[dict[str, Any]]:
    """``queries.sla_report``'s answer, from the rollups."""
    mark = watermark()
    if mark is None:
        return queries.sla_report(f, now=now, at_risk_fraction=at_risk_fraction)
    rows = _run(
        f,
        mark,
        [*_SLA_COUNTS, "at_risk", "breached"],
        ["respond_late", "resolve_late"],
        now=now,
        at_risk_fraction=at_risk_fraction,
    )
    out = []
    for r in rows:
        clocks = {}
        for name in ("respond", "resolve"):
            due, met, late = int(r[f"{name}_due"]), int(r[f"{name}_met"]), r[f"{name}_late"]
            clocks[name] = {
                "due": due,
                "met": met,
                "met_pct": round(100.0 * met / due, 2) if due else None,
                "late_median_min": percentile_cont(late, 0.5),
                "late_p90_min": percentile_cont(late, 0.9),
            }
        out.append(
            {
                "key": r["key"],
                "tickets": int(r["tickets"]),
                **clocks,
                "at_risk": int(r["at_risk"]),
                "breached": int(r["breached"]),
            }
        )
    return out


def times_report(f: ReportFilter, *, now: datetime) -> list[dict[str, Any]]:
    """``queries.times_report``'s answer, from the rollups."""
    mark = watermark()
    if mark is None:
        return queries.times_report(f)
    names = list(queries.TIMES)
    rows = _run(
        f, mark, ["tickets", *(f"{n}_n" for n in names)], names, now=now, at_risk_fraction=0.0
    )
    return [
        {
            "key": r["key"],
            "tickets": int(r["tickets"]),
            **{
                n: {
                    "n": int(r[f"{n}_n"]),
                    "median_min": percentile_cont(r[n], 0.5),
                    "p90_min": percentile_cont(r[n], 0.9),
                }
                for n in names
            },
        }
        for r in rows
    ]


def backlog_report(f: ReportFilter, *, now: datetime) -> list[dict[str, Any]]:
    """``queries.backlog_report``'s answer: open tickets are all live, so no rollup is read."""
    mark = watermark()
    if mark is None:
        return queries.backlog_report(f, now=now)
    no_jit(db.session())
    return queries.backlog_report(
        f, now=now, source=_LIVE_SOURCE, wm_xid=str(mark[0]), wm_id=mark[1]
    )


# ---- first-time fix and customers (KpiFilter: a customer and an asset model too) ----------

# A KPI group key over a fact-shaped cohort row ``b`` (the cohort's own key for the groups of
# filters.py; the fact's customer, asset model or asset otherwise: scope.KpiFilter.key).
_KPI_KEYS = {
    "customer": "b.customer_id::text",
    "asset_model": "b.asset_model::text",
    "asset": "b.asset_id::text",
}


def _kpi_cohort(f: KpiFilter, source: str) -> str:
    """The KPI cohort (scope.ticket_cohort) over a relation of ``ticket_facts``' shape, its
    key as ``gkey``."""
    base = f if f.group_by not in _KPI_KEYS else replace(f, group_by="none")
    return f"""SELECT b.*, {_KPI_KEYS.get(f.group_by, "b.key")} AS gkey
FROM ({base.cohort_sql(source=source)}) b
WHERE (CAST(:customer_id AS uuid) IS NULL OR b.customer_id = CAST(:customer_id AS uuid))
  AND (CAST(:asset_model AS text) IS NULL OR b.asset_model = CAST(:asset_model AS text))"""


def _kpi_sql(f: KpiFilter, p: Plan, counts: list[str], *, recent: bool) -> str:
    """Sums of the KPI shares: the live, fresh and edge facts' computed here, the rollup rows'
    for the days they answer, and (``recent``, first-time fix) ``window_open`` of the settled
    facts of those days from the facts: it depends on "now", so no rollup keeps it; they are
    the completions of the last window (ix_ticket_facts_settled_resolved), not the period."""
    sums = ", ".join(f"sum({c})::bigint AS {c}" for c in counts)
    cols = ", ".join(counts)
    extra_ctes = rolled = ""
    if p.dim is not None and p.first < p.end:
        value_cond = "" if p.value is None else " AND r.value = :dim_value"
        rolled_cols = ", ".join(
            c if c in (*KPI_COLUMNS, "tickets") else f"0 AS {c}" for c in counts
        )
        rolled = f"""
  UNION ALL
  SELECT {_ROLLUP_KEYS[f.group_by]} AS key, {rolled_cols}
  FROM report_rollups r
  WHERE r.dim = :dim{value_cond} AND r.day >= :full_first AND r.day < :full_end
    AND r.day <> ALL(ARRAY(SELECT day FROM dirty))"""
        if recent:
            extra_ctes = f""",
recent_src AS (
  SELECT {_F_COLS} FROM ticket_facts f
  WHERE f.settled AND f.resolved_at > CAST(:now AS timestamptz) - :repeat_window - interval '1 day'
    AND f.resolved_at + :repeat_window > :now AND f.status IN ('completed', 'closed')
    AND f.created_at >= :period_from AND f.created_at < :period_to
    AND f.day >= :full_first AND f.day < :full_end
    AND f.day <> ALL(ARRAY(SELECT day FROM dirty))
    AND f.id NOT IN (SELECT id FROM o)
),
recent AS ({_kpi_cohort(f, "recent_src")})"""
            recent_cols = ", ".join("1" if c == "window_open" else "0" for c in counts)
            rolled += f"""
  UNION ALL
  SELECT gkey, {recent_cols} FROM recent"""
    return f"""
WITH {_SOURCE},
cohort AS ({_kpi_cohort(f, "src")}),
c AS (SELECT gkey AS key, {KPI_CONTRIBUTIONS} FROM cohort){extra_ctes}
SELECT key, {sums}
FROM (
  SELECT key, {cols} FROM c{rolled}
) u
GROUP BY key
ORDER BY key NULLS FIRST
"""


def _state() -> tuple[tuple[int, int], timedelta | None] | None:
    row = db.session.execute(
        text("SELECT wm_xid, wm_id, window_s FROM report_rollup_state WHERE name = :n"),
        {"n": STATE},
    ).first()
    if row is None:
        return None
    return (int(row[0]), int(row[1])), (None if row[2] is None else timedelta(seconds=row[2]))


def _run_kpi(
    f: KpiFilter, p: Plan, mark: tuple[int, int], counts: list[str], *, recent: bool, **params: Any
) -> list[dict[str, Any]]:
    no_jit(db.session())
    result = db.session.execute(
        text(_kpi_sql(f, p, counts, recent=recent)), _bound(f, p, mark, params)
    )
    return [dict(r) for r in result.mappings()]


def first_fix_report(f: KpiFilter, *, now: datetime, window: timedelta) -> list[dict[str, Any]]:
    """``first_fix.first_fix_report``'s answer, from the rollups (the reference SQL until they
    are built). Rollups counted with another window than this one are not read."""
    state = _state()
    if state is None:
        return first_fix.first_fix_report(f, now=now, window=window)
    mark, rolled_window = state
    p = plan(f)
    if rolled_window != window:
        p = Plan(None, None, p.first, p.first)
    rows = _run_kpi(f, p, mark, list(first_fix.COUNTS), recent=True, now=now, repeat_window=window)
    # The reference counts completed jobs only: a group without one is absent.
    return [first_fix.shape(r) for r in rows if r["completed"]]


def customers_report(f: KpiFilter, *, now: datetime) -> list[dict[str, Any]]:
    """``customers.customers_report``'s answer, from the rollups (the reference SQL until they
    are built)."""
    state = _state()
    if state is None:
        return customers.customers_report(f)
    counts = ["tickets", *CUSTOMER_COLUMNS]
    rows = _run_kpi(f, plan(f), state[0], counts, recent=False, now=now, repeat_window=timedelta(0))
    out = []
    for r in rows:
        r["csat_avg"] = r["score_sum"] / r["rated"] if r["rated"] else None
        out.append(customers.shape(r))
    return out
