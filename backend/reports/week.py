"""The engineer's own week (docs/kpis.md "The engineer's week"): jobs done, hours, SLA, rating.

An engineer sees only their own jobs, so this report is scoped by who asks, never by a
parameter: jobs, SLA and ratings count the tickets assigned to the caller now
(``ix_tickets_assignee_status``) and the caller's own completions on them
(``ix_ticket_events_ticket_at`` bounds each ticket's events to the week); hours are the week of
the caller's time sheet (``backend.timesheets``), so the phone's week card and its "My time"
screen never disagree. It is its own module
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
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate
from sqlalchemy import text

from backend.db import db
from backend.timesheets.operations import sheet
from backend.timesheets.queries import engineer_zone

# Jobs done: tickets with a ``complete`` by the caller in the week (a job completed twice
# counts once; its SLA is judged by the last completion). A job's rating is the customer's
# on the tracking page, else the one given with the accepted sign-off (uq_signoffs_ticket_accepted:
# at most one). Hours are not counted here: they are the week of the engineer's time sheet.
WEEK_SQL = """
WITH mine AS (
  SELECT t.id, t.resolve_by, t.rating
  FROM tickets t
  WHERE t.assignee_id = :me
), ev AS (
  SELECT e.ticket_id, e.actor_id, e.action, e.at
  FROM mine m
  JOIN ticket_events e ON e.ticket_id = m.id AND e.at >= :week_start AND e.at < :week_end
), done AS (
  SELECT d.ticket_id, d.completed_at, m.resolve_by, coalesce(m.rating, s.rating) AS rating
  FROM (SELECT ticket_id, max(at) AS completed_at
        FROM ev
        WHERE actor_id = :me AND action = 'complete'
        GROUP BY ticket_id) d
  JOIN mine m ON m.id = d.ticket_id
  LEFT JOIN signoffs s ON s.ticket_id = d.ticket_id AND s.status = 'accepted'
)
SELECT
  (SELECT count(*) FROM done) AS jobs_done,
  (SELECT count(*) FROM done WHERE completed_at <= resolve_by) AS sla_met,
  (SELECT count(rating) FROM done) AS rated,
  (SELECT avg(rating)::float FROM done) AS rating_avg
"""


@dataclass(frozen=True)
class Week:
    """[start, end) of one calendar week in a time zone, as UTC instants."""

    start: datetime
    end: datetime
    timezone: str

    @staticmethod
    def monday(day: date) -> date:
        return day - timedelta(days=day.weekday())

    @classmethod
    def containing(cls, day: date, timezone: str) -> Week:
        tz = ZoneInfo(timezone)
        monday = cls.monday(day)
        start = datetime.combine(monday, time(0), tz)
        # Wall-clock arithmetic: a week with a DST change is 167 or 169 hours long.
        end = datetime.combine(monday + timedelta(days=7), time(0), tz)
        return cls(start.astimezone(UTC), end.astimezone(UTC), timezone)


def my_week(user_id: uuid.UUID, *, now: datetime, week_of: date | None = None) -> dict[str, Any]:
    """The caller's numbers for the week containing ``week_of`` (default: today, in their zone)."""
    zone = engineer_zone(user_id)
    monday = Week.monday(week_of or now.astimezone(zone).date())
    week = Week.containing(monday, zone.key)
    row = (
        db.session.execute(
            text(WEEK_SQL),
            {"me": user_id, "week_start": week.start, "week_end": week.end},
        )
        .mappings()
        .one()
    )
    done, met = row["jobs_done"], row["sla_met"]
    # Hours as the engineer's time sheet counts them (docs/timesheets.md): device times,
    # corrections, approved days; on site includes the work, a pause is not counted.
    days = sheet(user_id, monday, monday + timedelta(days=6), now=now)
    travel = sum(d.totals["travel"] for d in days) / 60
    on_site = sum(d.totals["on_site"] + d.totals["work"] for d in days) / 60
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
