"""The dispatcher's day as a resource timeline: one row per engineer with that day's shift and
the engineer's jobs in ETA order, each with the travel before it, plus a row of tickets
nobody has yet (the console drags those onto engineers).

Read-only. Shifts come from ``shifts.window_on`` (the same arithmetic the rules use) on the
engineer's *local* ``day``; a job belongs to the day its ETA falls on in the engineer's zone.
Travel before a job is ``travel.estimate`` from the previous job's site, or for the first job
from where the dispatcher assumes the engineer is (fresh report, else home) - the same
estimate the candidate search uses, so the bar on the timeline is the minutes the rules counted.

Today (in the engineer's zone) also shows the engineer's *ongoing* jobs: started on an earlier
day (accepted .. on hold, or no ETA at all) and still open. Their ETA lies on a past day, so
without them a busy engineer would look free. Each is drawn from now for the time it still
needs (see ``_remaining``) and marked ``ongoing``, ahead of the day's planned jobs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from backend.db import db
from backend.dispatch.mapdata import iso, ticket_card
from backend.dispatch.settings import DispatchSettings
from backend.dispatch.shifts import Shift, window_on, zone
from backend.dispatch.travel import estimate
from backend.workorders.states import ACTIVE_WORK, OPEN_STATUSES, Status

MAX_ENGINEERS = 500
MAX_UNASSIGNED = 200
# Started = the engineer has taken the job on; ``assigned`` is only a plan and keeps its ETA.
STARTED = (*ACTIVE_WORK, Status.ON_HOLD)
# Work on site is under way: only what is left of the service time remains.
ON_SITE = (Status.ON_SITE, Status.IN_PROGRESS)
# An on-site job that has outrun its estimate still occupies the engineer; draw at least this.
MIN_REMAINING = timedelta(minutes=15)

_ENGINEERS = text(
    """
SELECT p.user_id, u.name, p.status, p.skills, p.region_ids, p.shift_timezone, p.shift_days,
       p.shift_start, p.shift_end,
       ST_X(CASE WHEN p.last_location_at >= :fresh THEN p.last_location ELSE p.home END) AS lon,
       ST_Y(CASE WHEN p.last_location_at >= :fresh THEN p.last_location ELSE p.home END) AS lat
FROM engineer_profiles p JOIN users u ON u.id = p.user_id
WHERE u.is_active
ORDER BY u.name, p.user_id
LIMIT :limit
"""
)

# Jobs with an ETA within a day either side of the UTC day (engineers' zones differ); each
# is then kept only if its ETA falls on ``day`` in its engineer's zone. Started jobs with an
# earlier (or no) ETA come too: on the engineer's today they are ongoing.
_JOBS = text(
    """
SELECT t.id, t.seq, t.title, t.priority, t.status, t.assignee_id, t.eta, t.created_at,
       t.respond_by, t.resolve_by, t.responded_at, t.resolved_at, t.required_skills,
       t.region_ids, ST_X(t.location) AS lon, ST_Y(t.location) AS lat
FROM tickets t
WHERE t.status = ANY(:statuses) AND (
  (t.assignee_id IS NOT NULL AND t.eta >= :lo AND t.eta < :hi)
  OR (t.assignee_id IS NOT NULL AND t.status = ANY(:started) AND (t.eta IS NULL OR t.eta < :hi))
  OR t.assignee_id IS NULL)
ORDER BY t.eta NULLS LAST, t.priority, t.resolve_by, t.id
"""
)


def _job(r: Any, *, now: datetime, at_risk_fraction: float) -> dict[str, Any]:
    return {
        "ticket_id": str(r.id),
        **ticket_card(r, now=now, at_risk_fraction=at_risk_fraction),
        "resolve_by": iso(r.resolve_by),
        "skills": list(r.required_skills or ()),
        "region_ids": [str(x) for x in r.region_ids or ()],
    }


def _ongoing(j: Any, day: date, tz: ZoneInfo) -> bool:
    """Started on an earlier local day (or with no ETA) and still open."""
    return j.status in STARTED and (j.eta is None or j.eta.astimezone(tz).date() < day)


def _remaining(j: Any, now: datetime, service: timedelta) -> timedelta:
    """What an ongoing job still needs: on site, the rest of the service time counted from
    its ETA (at least ``MIN_REMAINING``, as an overrun job still takes the engineer); not yet
    on site (accepted, en route, on hold), a whole service time."""
    if j.status in ON_SITE and j.eta is not None:
        left: timedelta = j.eta + service - now
        return min(service, max(left, MIN_REMAINING))
    return service


def day_timeline(
    day: date, *, now: datetime, settings: DispatchSettings, at_risk_fraction: float
) -> dict[str, Any]:
    """Rows for ``day``: engineers (shift window or none, jobs with travel) and unassigned
    tickets placed at their deadline minus the service time, within the UTC day."""
    service = timedelta(minutes=settings.service_min)
    day_start = datetime.combine(day, time(0), tzinfo=UTC)
    rows = db.session.execute(
        _ENGINEERS, {"fresh": now - settings.stale_location, "limit": MAX_ENGINEERS + 1}
    ).all()
    jobs = db.session.execute(
        _JOBS,
        {
            "statuses": list(OPEN_STATUSES),
            "lo": day_start - timedelta(days=1),
            "hi": day_start + timedelta(days=2),
            "started": list(STARTED),
        },
    ).all()
    by_engineer: dict[Any, list[Any]] = {}
    unassigned: list[dict[str, Any]] = []
    for j in jobs:
        if j.assignee_id is None:
            if len(unassigned) < MAX_UNASSIGNED:
                start = min(
                    max(j.resolve_by - service, day_start), day_start + timedelta(days=1) - service
                )
                unassigned.append(
                    {
                        **_job(j, now=now, at_risk_fraction=at_risk_fraction),
                        "start": start.isoformat(),
                        "end": (start + service).isoformat(),
                    }
                )
        else:
            by_engineer.setdefault(j.assignee_id, []).append(j)
    engineers = []
    for e in rows[:MAX_ENGINEERS]:
        tz = zone(e.shift_timezone)
        shift = Shift(e.shift_timezone, tuple(e.shift_days or ()), e.shift_start, e.shift_end)
        window = window_on(shift, day, tz) if day.weekday() in shift.days else None
        here = (e.lon, e.lat)
        planned = []
        is_today = now.astimezone(tz).date() == day
        mine = by_engineer.get(e.user_id, [])
        ongoing = [j for j in mine if is_today and _ongoing(j, day, tz)]
        todays = [j for j in mine if j.eta is not None and j.eta.astimezone(tz).date() == day]
        for j in [*ongoing, *todays]:
            trip = estimate(
                here, (j.lon, j.lat), speed_kmh=settings.speed_kmh, detour=settings.detour
            )
            here = (j.lon, j.lat)
            is_ongoing = j in ongoing
            start = now if is_ongoing else j.eta
            length = _remaining(j, now, service) if is_ongoing else service
            planned.append(
                {
                    **_job(j, now=now, at_risk_fraction=at_risk_fraction),
                    "start": start.isoformat(),
                    "end": (start + length).isoformat(),
                    "travel_min": round(trip.minutes, 1),
                    "travel_km": round(trip.road_m / 1000, 2),
                    "ongoing": is_ongoing,
                }
            )
        engineers.append(
            {
                "engineer_id": str(e.user_id),
                "name": e.name,
                "status": e.status,
                "skills": list(e.skills or ()),
                "region_ids": [str(x) for x in e.region_ids or ()],
                "timezone": e.shift_timezone,
                "shift_start": iso(window[0]) if window else None,
                "shift_end": iso(window[1]) if window else None,
                "jobs": planned,
            }
        )
    return {
        "date": day.isoformat(),
        "service_min": settings.service_min,
        "engineers": engineers,
        "unassigned": unassigned,
        "truncated": len(rows) > MAX_ENGINEERS,
    }
