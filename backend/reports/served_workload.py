"""The workload report as served: ``workload.sql``'s numbers from the rollups plus a small
live part, in one statement (one snapshot). See docs/kpis.md, "Rollups".

The period's rows split into:

1. **raw** (the reference's own rows, ``workload.rows_sql``): every row of the tickets
   changed after the watermark and of those in a timed status now (a stretch still running:
   its minutes grow with "now"); the time and completions of the period's partial first and
   last UTC day of the tickets whose work row of that day the period cuts (its first or last
   instant outside the period); the batch-plan assignments and rostered shifts (small tables,
   read as they are);
2. **rollups**: ``workload_rollups`` for the period's whole days, for the one dimension the
   request needs (the engineer is in every row), minus the days a changed ticket had work on;
3. **work rows**: ``ticket_work`` (with the ticket's dimensions) for those days, or for every
   whole day when no rollup answers (a status or customer filter or group, two dimensions at
   once), and of the partial days the rows inside the period (most of them when the period
   ends now: a report of "the last 90 days" reads today's work rows, not today's trails).

Stretches are cut at UTC midnight, so whole days add up to the period exactly; minutes are
sums of exact seconds; engineers and engineer-days are counted distinct over all three parts
(a rollup row is one engineer on one day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text

from backend.db import db
from backend.reports import workload
from backend.reports.catchup import _ENTITIES, CHANGED_TICKET, no_jit
from backend.reports.filters import _REGION_JOIN
from backend.reports.models import WORK_SECONDS
from backend.reports.scope import TIME_BUCKETS, KpiFilter, bucket
from backend.reports.served import watermark
from backend.reports.work import ROLLUP_DIMS

REQUEST_WORK_MEM = "32MB"
_STATUS_COLUMN = dict(zip(workload.TIMED, WORK_SECONDS, strict=True))
# The request's filters a rollup dimension answers.
_FILTER_DIMS = {"priority": "priority", "region_id": "region", "asset_model": "asset_model"}
_ROLLED_GROUPS = ("priority", "region", "asset_model")
assert set(_FILTER_DIMS.values()) | {"all"} == set(ROLLUP_DIMS)


@dataclass(frozen=True)
class Plan:
    """Which rollup rows answer: one dimension (and value) or none (work rows only), and
    the whole UTC days [first, end) of the period."""

    dim: str | None
    value: str | None
    first: date
    end: date


def plan(f: KpiFilter) -> Plan:
    first = _day_ceil(f.period_from)
    end = f.period_to.astimezone(UTC).date()
    params = f.params()
    filters = {
        dim: str(params[name]) for name, dim in _FILTER_DIMS.items() if params.get(name) is not None
    }
    grouped = {f.group_by} if f.group_by in _ROLLED_GROUPS else set()
    dims = set(filters) | grouped
    # No rollup by status (it changes until the job is done) or customer (thousands, a job
    # or two a day each): the work rows with the tickets' facts answer those.
    unrolled = f.status is not None or f.customer_id is not None
    other_group = f.group_by in ("status", "customer")
    if len(dims) > 1 or unrolled or other_group:
        return Plan(None, None, first, end)
    dim = next(iter(dims)) if dims else "all"
    return Plan(dim, filters.get(dim), first, end)


def _day_ceil(instant: datetime) -> date:
    d = instant.astimezone(UTC)
    return d.date() if d.timetz() == time(0, tzinfo=UTC) else d.date() + timedelta(days=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def edge_days(f: KpiFilter, p: Plan) -> list[date]:
    """The period's days outside its whole days (at most two, or all when it has none)."""
    last = (f.period_to.astimezone(UTC) - timedelta(microseconds=1)).date()
    day, out = f.period_from.astimezone(UTC).date(), []
    while day <= last:
        if not (p.first <= day < p.end):
            out.append(day)
        day += timedelta(days=1)
    return out


def _day_key(group_by: str, day: str) -> str | None:
    if group_by in TIME_BUCKETS:
        return bucket(group_by, f"CAST({day} AS timestamp)")
    return None


_ROLLUP_KEYS = {
    "none": "NULL::text",
    "engineer": "r.engineer_id::text",
    "priority": "r.value",
    "region": "r.value",
    "asset_model": "r.value",
}
_WORK_KEYS = {
    "none": "NULL::text",
    "engineer": "w.engineer_id::text",
    "priority": "w.priority::text",
    "region": "g.region_id::text",
    "status": "w.status::text",
    "customer": "w.customer_id::text",
    "asset_model": "w.asset_model::text",
}
_ENGINEER = "(CAST(:engineer_id AS uuid) IS NULL OR {col} = CAST(:engineer_id AS uuid))"
# KpiFilter.where over a work row ``w`` (its ticket's dimensions are columns of it).
_WORK_WHERE = f"""(CAST(:priority AS text) IS NULL OR w.priority = CAST(:priority AS text))
    AND {_ENGINEER.format(col="w.engineer_id")}
    AND (CAST(:region_id AS uuid) IS NULL OR CAST(:region_id AS uuid) = ANY (w.region_ids))
    AND (CAST(:status AS text[]) IS NULL OR w.status = ANY (CAST(:status AS text[])))
    AND (CAST(:customer_id AS uuid) IS NULL OR w.customer_id = CAST(:customer_id AS uuid))
    AND (CAST(:asset_model AS text) IS NULL OR w.asset_model = CAST(:asset_model AS text))"""
_WORK_REGIONS = _REGION_JOIN.replace("t.region_ids", "w.region_ids")
_REGION_GROUP = (
    "\n    AND (CAST(:region_id AS uuid) IS NULL OR g.region_id = CAST(:region_id AS uuid))"
)

_MEASURES = ", ".join([*WORK_SECONDS, "completed"])
# A work row of a day the period cuts that lies inside the period: used whole (its pieces'
# ends and completions before the period's end, its starts at or after its start). A stretch
# cut by the period's bound, or a completion at it, leaves the ticket's day to the raw part.
_INSIDE = "w.first_at >= :period_from AND w.last_at < :period_to"
_RAW_MEASURES = ", ".join(
    [
        *(
            f"CASE WHEN r.kind = 'time' AND r.status = '{status}' THEN r.seconds END AS {col}"
            for status, col in _STATUS_COLUMN.items()
        ),
        "CASE WHEN r.kind = 'done' THEN 1 ELSE 0 END AS completed",
        "CASE WHEN r.kind = 'shift' THEN r.seconds END AS shift_s",
        "r.overridden",
        "NULL::uuid[] AS engineers",
    ]
)
_ACTIVE = "kind IN ('time', 'done', 'work')"
# The union ``u`` is aggregated per key in separate hashed passes rather than by one GROUP BY
# with three DISTINCT aggregates: those sorted the union's ~130,000 wide rows (a 90-day report
# by region: a rollup row per day, region and engineer) and then sorted each group's values
# again per aggregate, most of the request's time (EXPLAIN ANALYZE, bench/reports.py). Here
# the sums are one hash aggregate, and the distinct engineers and engineer-days are counted
# from the distinct (key, engineer, day) triples of the rows with an engineer (``ed``) and the
# day rows' engineer arrays: a day row is the only one of its key and day among the rollups,
# so its engineer-days are its array's length, less the triples of the other parts already in
# it (``covered``: a running job's raw rows on a rolled-up day). The parts are joined on the
# key, NULL included (``_SAME_KEY``: hashable, unlike IS NOT DISTINCT FROM).
_SUMS = ",".join(
    [
        "\n  sum(completed) AS completed",
        *(
            f"\n  coalesce(sum({col}), 0) / 60 AS {name}_min"
            for (status, col), name in zip(
                _STATUS_COLUMN.items(), workload.TIMED.values(), strict=True
            )
        ),
        "\n  sum(shift_s) / 60 AS shift_min",
        "\n  count(*) FILTER (WHERE kind = 'plan') AS plan_assignments",
        "\n  count(*) FILTER (WHERE kind = 'plan' AND overridden) AS plan_overridden",
    ]
)
_SAME_KEY = "(s.key IS NULL) = ({o}.key IS NULL) AND coalesce(s.key, '') = coalesce({o}.key, '')"
# The day rows' engineers (``arrays``), and those of the other parts already in them.
_ARRAYS = """
arr AS (
  SELECT key, sum(cardinality(engineers)) AS n FROM u WHERE engineers IS NOT NULL GROUP BY key
),
covered AS (
  SELECT e.key, count(*) AS n
  FROM ed e
  JOIN u a ON a.engineers IS NOT NULL AND a.day = e.day AND (a.key IS NULL) = (e.key IS NULL)
    AND coalesce(a.key, '') = coalesce(e.key, '') AND e.engineer_id = ANY(a.engineers)
  GROUP BY e.key
),"""
_UNNESTED = """
    UNION
    SELECT a.key, x.engineer_id FROM u a CROSS JOIN LATERAL unnest(a.engineers) AS x(engineer_id)
    WHERE a.engineers IS NOT NULL"""


def _aggregate(arrays: bool) -> str:
    """The per-key answer over ``u`` (``arrays``: with day rows and their engineer arrays)."""
    days = "coalesce(days.n, 0)" + (
        " + coalesce(arr.n, 0) - coalesce(covered.n, 0)" if arrays else ""
    )
    joins = "".join(
        f"\nLEFT JOIN {o} ON {_SAME_KEY.format(o=o)}"
        for o in ("eng", "days", *(("arr", "covered") if arrays else ()), "applies")
    )
    return f"""
sums AS (
  SELECT key,{_SUMS}
  FROM u GROUP BY key
),
ed AS (
  SELECT DISTINCT key, engineer_id, day FROM u WHERE {_ACTIVE} AND engineer_id IS NOT NULL
),
days AS (
  SELECT key, count(*) AS n FROM ed GROUP BY key
),{_ARRAYS if arrays else ""}
eng AS (
  SELECT key, count(*) AS engineers FROM (
    SELECT DISTINCT key, engineer_id FROM ed{_UNNESTED if arrays else ""}
  ) e
  GROUP BY key
),
applies AS (
  SELECT key, count(DISTINCT at) AS plan_applies FROM u WHERE kind = 'plan' GROUP BY key
)
SELECT s.key, s.completed, coalesce(eng.engineers, 0) AS engineers, {days} AS engineer_days,
  {", ".join(f"s.{name}_min" for name in workload.TIMED.values())}, s.shift_min,
  s.plan_assignments, s.plan_overridden, coalesce(applies.plan_applies, 0) AS plan_applies
FROM sums s{joins}
ORDER BY s.key NULLS FIRST
"""


def sql(f: KpiFilter, p: Plan) -> str:
    only = "(ticket_id IN (SELECT id FROM x) OR at < :full_first_ts OR at >= :full_end_ts)"
    raw_key = f.key(engineer="r.engineer_id", at="r.at")
    work_key = _day_key(f.group_by, "w.day") or _WORK_KEYS[f.group_by]
    rolled = p.dim is not None
    arrays = rolled and f.group_by != "engineer" and f.engineer_id is None
    parts = []
    if rolled:
        rollup_key = _day_key(f.group_by, "r.day") or _ROLLUP_KEYS[f.group_by]
        value_cond = "" if p.value is None else " AND r.value = :dim_value"
        if not arrays:
            # per engineer: their rows
            source = "workload_rollups"
            cols = "r.engineer_id, r.day, NULL::timestamptz, {m}, NULL::numeric, NULL::boolean"
            cond = f" AND {_ENGINEER.format(col='r.engineer_id')}"
            engineers = "NULL::uuid[]"
        else:  # a row per day and value, its engineers as an array
            source, cond, engineers = "workload_day_rollups", "", "r.engineers"
            cols = "NULL::uuid, r.day, NULL::timestamptz, {m}, NULL::numeric, NULL::boolean"
        parts.append(f"""
  SELECT {rollup_key}, 'work', {cols.format(m=_MEASURES)}, {engineers}
  FROM {source} r
  WHERE r.dim = :dim{value_cond}{cond}
    AND r.day >= :full_first AND r.day < :full_end
    AND r.day <> ALL(ARRAY(SELECT day FROM dirty))""")
    days_cond = "w.day = ANY(ARRAY(SELECT day FROM dirty))" if rolled else "true"
    by_region = f.group_by == "region"
    parts.append(f"""
  SELECT {work_key}, 'work', w.engineer_id, w.day, NULL, {_MEASURES}, NULL, NULL, NULL
  FROM ticket_work w{f"{chr(10)}  {_WORK_REGIONS}" if by_region else ""}
  WHERE w.day >= :full_first AND w.day < :full_end AND {days_cond}
    AND w.ticket_id NOT IN (SELECT id FROM x)
    AND {_WORK_WHERE}{_REGION_GROUP if by_region else ""}""")
    parts.append(f"""
  SELECT {_day_key(f.group_by, "w.day") or _WORK_KEYS[f.group_by]}, 'work', w.engineer_id, w.day,
    NULL, {_MEASURES}, NULL, NULL, NULL
  FROM ticket_work w{f"{chr(10)}  {_WORK_REGIONS}" if by_region else ""}
  WHERE w.day = ANY(CAST(:edge_days AS date[])) AND {_INSIDE}
    AND w.ticket_id NOT IN (SELECT ticket_id FROM moved)
    AND {_WORK_WHERE}{_REGION_GROUP if by_region else ""}""")
    rest = "\n  UNION ALL".join(parts)
    # The raw rows' tickets are looked up one by one: OFFSET 0 keeps the subquery from being
    # flattened into a join, which the planner hashed over the whole tickets table for the
    # hundred-odd raw rows.
    return f"""
WITH ch AS (
  SELECT DISTINCT {CHANGED_TICKET} AS id FROM sync_changes s
  WHERE s.xid >= CAST(:wm_xid AS xid8) AND (s.xid, s.id) > (CAST(:wm_xid AS xid8), :wm_id)
    AND s.entity IN {_ENTITIES}
),
x AS (
  SELECT id FROM ch WHERE id IS NOT NULL
  UNION
  SELECT t.id FROM tickets t WHERE t.status IN {workload._TIMED}
),
moved AS (
  SELECT id AS ticket_id FROM x
  UNION
  SELECT w.ticket_id FROM ticket_work w WHERE w.day = ANY(CAST(:edge_days AS date[]))
    AND NOT ({_INSIDE})
),
{workload.STRETCHES.format(tickets=workload.FEW_TICKETS.format("SELECT ticket_id FROM moved"))},
r AS ({workload.rows_sql(f, only=only)}
),
dirty AS (
  SELECT DISTINCT w.day FROM ticket_work w
  WHERE w.ticket_id IN (SELECT id FROM ch) AND w.day >= :full_first AND w.day < :full_end
),
u AS (
  SELECT {raw_key} AS key, r.kind, r.engineer_id, CAST(r.at AT TIME ZONE 'UTC' AS date) AS day,
    r.at, {_RAW_MEASURES}
  FROM r
  LEFT JOIN LATERAL (SELECT * FROM tickets t0 WHERE t0.id = r.ticket_id OFFSET 0) t ON true
  {f.joins()}
  WHERE {f.where(engineer="r.engineer_id")}
  UNION ALL{rest}
),{_aggregate(arrays)}"""


def workload_report(f: KpiFilter, *, now: datetime) -> list[dict[str, Any]]:
    """``workload.workload_report``'s answer, from the rollups (the reference SQL until the
    first catch-up has built them)."""
    mark = watermark()
    if mark is None:
        return workload.workload_report(f, now=now)
    p = plan(f)
    no_jit(db.session())
    # The hashes of the union's rows (a few MB) in memory, not spilled to disk.
    db.session.execute(text(f"SET LOCAL work_mem = '{REQUEST_WORK_MEM}'"))
    params = {
        **f.params(),
        "now": now,
        "edge_days": edge_days(f, p),
        "dim": p.dim,
        "dim_value": p.value,
        "full_first": p.first,
        "full_end": p.end,
        "full_first_ts": _midnight(p.first),
        "full_end_ts": _midnight(p.end),
        "wm_xid": str(mark[0]),
        "wm_id": mark[1],
    }
    shifts = workload.with_shifts(f)
    result = db.session.execute(text(sql(f, p)), params)
    return [workload.shape(r, shifts=shifts) for r in result.mappings()]
