"""Why the backlog's unassigned tickets are unassigned (docs/kpis.md, "Unassigned and why").

Each open ticket of the cohort without an assignee gets exactly one reason, the first of
``REASONS`` that holds, in one statement over the whole cohort: the dispatcher's hard rules
(backend/dispatch/scoring.py) asked of the engineers as a set (territory, skills, shift,
capacity) rather than by scoring every ticket against every engineer, then the ticket's own
history (declined by an engineer, taken off by a dispatcher), else it is simply waiting.

Whether an engineer is on shift "now" is ``backend.dispatch.shifts.current_window`` (time
zones and overnight shifts), evaluated once per engineer in Python; the ids on shift go into
the statement as an array.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import text

from backend.db import db
from backend.dispatch.candidates import BUSY_STATUSES
from backend.dispatch.shifts import Shift, current_window
from backend.reports.filters import ReportFilter
from backend.workorders.models import ticket_number
from backend.workorders.states import OPEN_STATUSES

# In the order they are tested: the first that holds is the ticket's reason.
REASONS = (
    "unrouted",  # in no region (no territory covers its place)
    "no_skill",  # no active engineer of its regions has every required skill
    "off_shift",  # such engineers exist, none is on shift now (or all are off duty)
    "at_capacity",  # those on shift all have max_open_jobs open jobs or more
    "declined",  # someone could take it; its last assignment change was an engineer's reject
    "unassigned",  # ... a dispatcher's unassign
    "not_dispatched",  # ... never assigned: new, waiting for dispatch
)
# The most tickets listed per reason (the count is always exact).
LIST_MAX = 200

_OPEN = ", ".join(f"'{s.value}'" for s in OPEN_STATUSES)
_BUSY = ", ".join(f"'{s}'" for s in BUSY_STATUSES)
_CAN = "e.region_ids && k.region_ids AND e.skills @> k.required_skills"

# The engineers are asked once per distinct (regions, required skills) of the unassigned
# tickets, not once per ticket: a city has a few dozen such pairs and thousands of tickets.
UNASSIGNED_SQL = f"""
WITH cohort AS ({{cohort}}),
engineers AS (
  SELECT p.user_id, p.skills, p.region_ids, p.max_open_jobs,
    (p.status <> 'off_duty' AND p.user_id = ANY (CAST(:on_shift AS uuid[]))) AS on_shift,
    (SELECT count(*) FROM tickets j
     WHERE j.assignee_id = p.user_id AND j.status IN ({_BUSY})) AS open_jobs
  FROM engineer_profiles p JOIN users us ON us.id = p.user_id
  WHERE us.is_active
),
u AS (
  SELECT c.id, c.seq, c.priority::text AS priority, c.status::text AS status, c.created_at,
    c.region_ids, c.required_skills,
    (SELECT ev.action FROM ticket_events ev
     WHERE ev.ticket_id = c.id AND ev.action IN ('assign', 'reassign', 'unassign', 'reject')
     ORDER BY ev.at DESC, ev.id DESC
     LIMIT 1) AS last_change
  FROM cohort c
  WHERE c.assignee_id IS NULL AND c.status IN ({_OPEN})
),
k AS MATERIALIZED (
  SELECT k.region_ids, k.required_skills,
    EXISTS (SELECT 1 FROM engineers e WHERE {_CAN}) AS skilled,
    EXISTS (SELECT 1 FROM engineers e WHERE {_CAN} AND e.on_shift) AS on_shift,
    EXISTS (SELECT 1 FROM engineers e
            WHERE {_CAN} AND e.on_shift AND e.open_jobs < e.max_open_jobs) AS room
  FROM (SELECT DISTINCT region_ids, required_skills FROM u) k
)
SELECT u.id, u.seq, u.priority, u.status, u.created_at,
  CASE
    WHEN cardinality(u.region_ids) = 0 THEN 'unrouted'
    WHEN NOT k.skilled THEN 'no_skill'
    WHEN NOT k.on_shift THEN 'off_shift'
    WHEN NOT k.room THEN 'at_capacity'
    WHEN u.last_change = 'reject' THEN 'declined'
    WHEN u.last_change = 'unassign' THEN 'unassigned'
    ELSE 'not_dispatched'
  END AS reason
FROM u JOIN k ON k.region_ids = u.region_ids AND k.required_skills = u.required_skills
ORDER BY u.created_at, u.id
"""

_SHIFTS = text(
    """
SELECT p.user_id, p.shift_timezone, p.shift_days, p.shift_start, p.shift_end
FROM engineer_profiles p JOIN users u ON u.id = p.user_id
WHERE u.is_active AND p.status <> 'off_duty'
"""
)


def on_shift(now: datetime) -> list[uuid.UUID]:
    """The active engineers whose shift is running at ``now`` (dispatch's own rule)."""
    out = []
    for r in db.session.execute(_SHIFTS):
        shift = Shift(
            timezone=r.shift_timezone,
            days=tuple(r.shift_days or ()),
            start=r.shift_start,
            end=r.shift_end,
        )
        try:
            if current_window(shift, now) is not None:
                out.append(r.user_id)
        except ValueError:  # an unknown zone: not on shift, as the dispatcher sees it
            continue
    return out


def unassigned_report(f: ReportFilter, *, now: datetime) -> list[dict[str, Any]]:
    """Per reason with tickets, in ``REASONS`` order: how many, and the tickets (oldest first,
    at most ``LIST_MAX``)."""
    cohort = replace(f, group_by="none").cohort_sql()
    rows = db.session.execute(
        text(UNASSIGNED_SQL.format(cohort=cohort)),
        {**f.params(), "on_shift": on_shift(now)},
    ).all()
    by_reason: dict[str, list[Any]] = {}
    for r in rows:
        by_reason.setdefault(r.reason, []).append(r)
    return [
        {
            "reason": reason,
            "count": len(by_reason[reason]),
            "tickets": [
                {
                    "id": r.id,
                    "number": ticket_number(r.seq),
                    "priority": r.priority,
                    "status": r.status,
                    "created_at": r.created_at,
                    "age_min": round((now - r.created_at).total_seconds() / 60, 1),
                }
                for r in by_reason[reason][:LIST_MAX]
            ],
        }
        for reason in REASONS
        if reason in by_reason
    ]
