"""Customer satisfaction and where tickets come from (docs/kpis.md#customers).

A customer rates a job in two places: on the engineer's phone with the signature (stored on
the accepted sign-off) and afterwards on the tracking page (stored on the ticket). The later
tracking rating is the customer's considered verdict and wins; the sign-off's counts when it
is the only one. Ratings are counted on finished work (completed or closed), so the response
rate has one denominator: the jobs a customer could have rated.
"""

from __future__ import annotations

from typing import Any

from backend.reports.scope import COHORT_GROUPS, KpiFilter, pct, run, ticket_cohort

GROUPS = COHORT_GROUPS
SCORES = (1, 2, 3, 4, 5)

_COLUMNS = "t.id, t.status::text AS status, t.source, t.rating"
_FINISHED = "status IN ('completed', 'closed')"

CUSTOMERS_SQL = f"""
WITH cohort AS ({{cohort}}
), r AS (
SELECT c.key, c.status, c.source,
  CASE WHEN c.rating IS NOT NULL THEN 'tracking'
       WHEN so.rating IS NOT NULL THEN 'signoff' END AS rated_on,
  COALESCE(c.rating, so.rating) AS score
FROM cohort c
LEFT JOIN signoffs so ON so.ticket_id = c.id AND so.status = 'accepted'
)
SELECT key,
  count(*) AS tickets,
  count(*) FILTER (WHERE source = 'public') AS qr_reports,
  count(*) FILTER (WHERE source <> 'public') AS staff_created,
  count(*) FILTER (WHERE {_FINISHED}) AS finished,
  count(score) FILTER (WHERE {_FINISHED}) AS rated,
  count(*) FILTER (WHERE {_FINISHED} AND rated_on = 'tracking') AS rated_on_tracking,
  count(*) FILTER (WHERE {_FINISHED} AND rated_on = 'signoff') AS rated_at_signoff,
  avg(score) FILTER (WHERE {_FINISHED}) AS csat_avg,{
    ",".join(
        f"{chr(10)}  count(*) FILTER (WHERE {_FINISHED} AND score = {n}) AS score_{n}"
        for n in SCORES
    )
}
FROM r
GROUP BY key
ORDER BY key NULLS FIRST
"""


def sql(f: KpiFilter) -> str:
    return CUSTOMERS_SQL.format(cohort=ticket_cohort(f, _COLUMNS))


def customers_report(f: KpiFilter) -> list[dict[str, Any]]:
    """Per group: CSAT average and distribution, response rate, QR vs staff-created tickets
    (the reference SQL over the raw tables)."""
    return [shape(r) for r in run(sql(f), f)]


def shape(r: dict[str, Any]) -> dict[str, Any]:
    """One group of the answer from its counts and average (the reference's row, or the
    rollups' sums with ``csat_avg`` = score sum / rated)."""
    return {
        "key": r["key"],
        "tickets": int(r["tickets"]),
        "qr_reports": int(r["qr_reports"]),
        "staff_created": int(r["staff_created"]),
        "qr_pct": pct(r["qr_reports"], r["tickets"]),
        "finished": int(r["finished"]),
        "rated": int(r["rated"]),
        "rated_on_tracking": int(r["rated_on_tracking"]),
        "rated_at_signoff": int(r["rated_at_signoff"]),
        "response_pct": pct(r["rated"], r["finished"]),
        "csat_avg": None if r["csat_avg"] is None else round(float(r["csat_avg"]), 2),
        "scores": {f"s{n}": int(r[f"score_{n}"]) for n in SCORES},
    }
