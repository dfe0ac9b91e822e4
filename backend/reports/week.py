"""The engineer's own week (docs/kpis.md "The engineer's week"): jobs done, hours, SLA, rating.

An engineer sees only their own jobs, so this report is scoped by who asks, never by a
parameter: the candidate tickets are the ones assigned to the caller now
(``ix_tickets_assignee_status``) and only the caller's own audit events on them count
(``ix_ticket_events_ticket_at`` bounds each ticket's events to the week). It is its own module
(not ``queries.py``): the staff reports are cohorts of tickets *created* in a period, this is
the *work done* in a week.

The week is Monday 00:00 to the next Monday 00:00 in the engineer's shift time zone (UTC
without a profile), so "this week" on the phone is the engineer's own calendar week.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, fields, validate
from sqlalchemy import text

from backend.db import db

# Statuses whose time counts as working time, split as the phone shows it.
TRAVEL = ("en_route",)
ON_SITE = ("on_site", "in_progress")

# A status interval that began this long before the week still counts for its part inside
# the week (a job started on Sunday evening); older ones are not looked for.
LOOKBACK = timedelta(days=2)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# Jobs done: tickets with a ``complete`` by the caller in the week (a job completed twice
# counts once; its SLA is judged by the last completion). A job's rating is the customer's
# on the tracking page, else the one given with the accepted sign-off (uq_signoffs_ticket_accepted:
# at most one). Hours: each of the caller's status
# changes into a working status starts a span that ends at the ticket's next change (or now),
# clipped to the week.
WEEK_SQL = f"""
WITH mine AS (
  SELECT t.id, t.resolve_by, t.rating
  FROM tickets t
  WHERE t.assignee_id = :me
), ev AS (
  SELECT e.ticket_id, e.actor_id, e.action, e.to_status::text AS to_status, e.at,
         lead(e.at) OVER (PARTITION BY e.ticket_id ORDER BY e.at, e.id) AS next_at
  FROM mine m
  JOIN ticket_events e ON e.ticket_id = m.id AND e.at >= :lookback AND e.at < :week_end
), done AS (
  SELECT d.ticket_id, d.completed_at, m.resolve_by, coalesce(m.rating, s.rating) AS rating
  FROM (SELECT ticket_id, max(at) AS completed_at
        FROM ev
        WHERE actor_id = :me AND action = 'complete' AND at >= :week_start
        GROUP BY ticket_id) d
  JOIN mine m ON m.id = d.ticket_id
  LEFT JOIN signoffs s ON s.ticket_id = d.ticket_id AND s.status = 'accepted'
), spans AS (
  SELECT to_status,
         extract(epoch FROM least(coalesce(next_at, :now), :now, :week_end)
                            - greatest(at, :week_start)) / 60 AS minutes
  FROM ev
  WHERE actor_id = :me AND to_status IN {_in(TRAVEL + ON_SITE)}
)
SELECT
  (SELECT count(*) FROM done) AS jobs_done,
  (SELECT count(*) FROM done WHERE completed_at <= resolve_by) AS sla_met,
  (SELECT count(rating) FROM done) AS rated,
  (SELECT avg(rating)::float FROM done) AS rating_avg,
  (SELECT coalesce(sum(minutes) FILTER (WHERE to_status IN {_in(TRAVEL)}), 0)::float
     FROM spans WHERE minutes > 0) AS travel_min,
  (SELECT coalesce(sum(minutes) FILTER (WHERE to_status IN {_in(ON_SITE)}), 0)::float
     FROM spans WHERE minutes > 0) AS on_site_min
"""


@dataclass(frozen=True)
class Week:
    """[start, end) of one calendar week in a time zone, as UTC instants."""

    start: datetime
    end: datetime
    timezone: str

    @classmethod
    def containing(cls, day: date, timezone: str) -> Week:
        tz = ZoneInfo(timezone)
        monday = day - timedelta(days=day.weekday())
        start = datetime.combine(monday, time(0), tz)
        # Wall-clock arithmetic: a week with a DST change is 167 or 169 hours long.
        end = datetime.combine(monday + timedelta(days=7), time(0), tz)
        return cls(start.astimezone(UTC), end.astimezone(UTC), timezone)


def engineer_timezone(user_id: uuid.UUID) -> str:
    """The engineer's shift time zone (``engineer_profiles``), UTC without a usable one."""
    name = db.session.execute(
        text("SELECT shift_timezone FROM engineer_profiles WHERE user_id = :me"), {"me": user_id}
    ).scalar()
    try:
        ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return str(name or "UTC")


def my_week(user_id: uuid.UUID, *, now: datetime, week_of: date | None = None) -> dict[str, Any]:
    """The caller's numbers for the week containing ``week_of`` (default: today, in their zone)."""
    zone = engineer_timezone(user_id)
    week = Week.containing(week_of or now.astimezone(ZoneInfo(zone)).date(), zone)
    row = (
        db.session.execute(
            text(WEEK_SQL),
            {
                "me": user_id,
                "now": now,
                "week_start": week.start,
                "week_end": week.end,
                "lookback": week.start - LOOKBACK,
            },
        )
        .mappings()
        .one()
    )
    done, met = row["jobs_done"], row["sla_met"]
    travel, on_site = row["travel_min"], row["on_site_min"]
    return {
        "week_start": week.start,
        "week_end": week.end,
        "timezone": week.timezone,
        "generated_at": now,
        "jobs_done": done,
        "hours": round((travel + on_site) / 60, 2),
        "travel_min": round(travel, 1),
        "on_site_min": round(on_site, 1),
        "sla": {"due": done, "met": met, "met_pct": round(100.0 * met / done, 2) if done else None},
        "rating": {
            "rated": row["rated"],
            "average": None if row["rating_avg"] is None else round(row["rating_avg"], 2),
        },
    }


class MyWeekQuery(Schema):
    week_of = fields.Date(
        load_default=None,
        validate=validate.Range(min=date(2000, 1, 3), max=date(2999, 12, 24)),
        metadata={"description": "Any day of the week wanted (default: today)"},
    )


class WeekSlaOut(Schema):
    due = fields.Integer(required=True, metadata={"description": "Jobs done this week"})
    met = fields.Integer(
        required=True, metadata={"description": "Of those, completed by their resolve-by deadline"}
    )
    met_pct = fields.Float(required=True, allow_none=True)


class WeekRatingOut(Schema):
    rated = fields.Integer(
        required=True,
        metadata={"description": "Jobs done with a rating (tracking page, else the sign-off's)"},
    )
    average = fields.Float(required=True, allow_none=True, metadata={"description": "1-5"})


class MyWeekOut(Schema):
    week_start = fields.AwareDateTime(required=True, metadata={"description": "Monday 00:00"})
    week_end = fields.AwareDateTime(required=True, metadata={"description": "The next Monday"})
    timezone = fields.String(required=True, metadata={"description": "The engineer's shift zone"})
    generated_at = fields.AwareDateTime(required=True)
    jobs_done = fields.Integer(
        required=True, metadata={"description": "Jobs you completed this week"}
    )
    hours = fields.Float(required=True, metadata={"description": "Travel + on site, in hours"})
    travel_min = fields.Float(required=True, metadata={"description": "Minutes en route"})
    on_site_min = fields.Float(
        required=True, metadata={"description": "Minutes on site or working"}
    )
    sla = fields.Nested(WeekSlaOut, required=True)
    rating = fields.Nested(WeekRatingOut, required=True)
