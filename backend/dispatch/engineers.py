"""Engineer profiles: create/update/list (staff) and the engineer's own location reports.

A profile is keyed by the user's id. Skills and regions are validated against their tables
here (not by foreign keys: they are arrays), so a typo is a precise 422, not a silent
never-matching skill.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import any_, func, select

from backend.accounts.models import Role, User
from backend.db import added, db, utcnow
from backend.dispatch.models import ENGINEER_STATUSES, EngineerProfile, Region
from backend.dispatch.regions import ensure_skills_exist
from backend.dispatch.shifts import zone
from backend.errors import Conflict, Invalid, NotAllowed, NotFound
from backend.geo import Location
from backend.workorders.geo import lonlat, point
from backend.workorders.models import Ticket

# A phone's clock may run a little fast; beyond this a "future" fix is refused.
MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ShiftSpec:
    timezone: str
    days: list[int]
    start: time
    end: time


def _check_regions(ids: list[uuid.UUID]) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    known = set(db.session.scalars(select(Region.id).where(Region.id.in_(wanted))))
    unknown = [str(i) for i in wanted if i not in known]
    if unknown:
        raise Invalid(
            f"unknown region id(s): {', '.join(unknown)}",
            errors={"region_ids": [f"unknown: {', '.join(unknown)}"]},
        )
    return wanted


def _check_shift(shift: ShiftSpec) -> ShiftSpec:
    try:
        zone(shift.timezone)
    except ValueError as exc:
        raise Invalid(str(exc), errors={"shift": {"timezone": [str(exc)]}}) from None
    bad = [d for d in shift.days if not 0 <= d <= 6]
    if bad:
        raise Invalid(
            f"shift days must be 0 (Monday) .. 6 (Sunday), got {bad}",
            errors={"shift": {"days": ["each day must be 0..6 (Monday = 0)"]}},
        )
    return ShiftSpec(shift.timezone, sorted(set(shift.days)), shift.start, shift.end)


def _check_status(status: str) -> str:
    if status not in ENGINEER_STATUSES:
        raise Invalid(
            f"unknown status {status!r}; use one of {', '.join(ENGINEER_STATUSES)}",
            errors={"status": [f"one of {', '.join(ENGINEER_STATUSES)}"]},
        )
    return status


def create_profile(
    *,
    actor: User,
    user_id: uuid.UUID,
    home: Location,
    shift: ShiftSpec,
    skills: list[str] | None = None,
    region_ids: list[uuid.UUID] | None = None,
    max_open_jobs: int = 6,
    status: str = "available",
) -> EngineerProfile:
    if not actor.is_staff:
        raise NotAllowed("only a dispatcher or admin may create engineer profiles")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found", errors={"user_id": ["unknown user"]})
    if user.role != Role.ENGINEER:
        raise Invalid(
            f"user {user.email} has the role {user.role}; only engineers get a profile",
            errors={"user_id": ["not an engineer"]},
        )
    if db.session.get(EngineerProfile, user_id) is not None:
        raise Conflict(f"user {user.email} already has an engineer profile; PATCH it instead")
    if max_open_jobs < 0:
        raise Invalid("max_open_jobs must be >= 0", errors={"max_open_jobs": [">= 0"]})
    spec = _check_shift(shift)
    now = utcnow()
    profile = EngineerProfile(
        user_id=user.id,
        skills=ensure_skills_exist(skills or [], field="skills"),
        region_ids=_check_regions(region_ids or []),
        home=point(home.lon, home.lat),
        shift_timezone=spec.timezone,
        shift_days=spec.days,
        shift_start=spec.start,
        shift_end=spec.end,
        status=_check_status(status),
        max_open_jobs=max_open_jobs,
        created_at=now,
        updated_at=now,
    )
    return added(profile)


UPDATABLE = ("skills", "region_ids", "home", "shift", "max_open_jobs", "status")


def update_profile(
    profile: EngineerProfile, *, actor: User, changes: dict[str, Any]
) -> EngineerProfile:
    """Staff may change anything; an engineer only their own ``status``."""
    if not actor.is_staff and (actor.id != profile.user_id or set(changes) - {"status"}):
        raise NotAllowed("engineers may only change their own status")
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise Invalid(f"cannot change {', '.join(sorted(unknown))}")
    if "skills" in changes:
        profile.skills = ensure_skills_exist(changes["skills"] or [], field="skills")
    if "region_ids" in changes:
        profile.region_ids = _check_regions(changes["region_ids"] or [])
    if changes.get("home") is not None:
        profile.home = point(changes["home"].lon, changes["home"].lat)
    if changes.get("shift") is not None:
        spec = _check_shift(changes["shift"])
        profile.shift_timezone, profile.shift_days = spec.timezone, spec.days
        profile.shift_start, profile.shift_end = spec.start, spec.end
    if "max_open_jobs" in changes:
        if changes["max_open_jobs"] is None or changes["max_open_jobs"] < 0:
            raise Invalid("max_open_jobs must be >= 0", errors={"max_open_jobs": [">= 0"]})
        profile.max_open_jobs = changes["max_open_jobs"]
    if "status" in changes:
        profile.status = _check_status(changes["status"])
    profile.updated_at = utcnow()
    db.session.flush()
    return profile


def get_profile(user_id: uuid.UUID, *, for_user: User | None = None) -> EngineerProfile:
    profile = db.session.get(EngineerProfile, user_id)
    if profile is None or (
        for_user is not None and not for_user.is_staff and for_user.id != user_id
    ):
        raise NotFound(f"engineer {user_id} not found")
    return profile


def list_profiles(
    *,
    region_id: uuid.UUID | None = None,
    status: str | None = None,
    skill: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[EngineerProfile], int]:
    stmt = select(EngineerProfile)
    if region_id is not None:
        stmt = stmt.where(any_(EngineerProfile.region_ids) == region_id)
    if status is not None:
        stmt = stmt.where(EngineerProfile.status == _check_status(status))
    if skill is not None:
        stmt = stmt.where(any_(EngineerProfile.skills) == skill)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.order_by(EngineerProfile.created_at, EngineerProfile.user_id)
    return list(db.session.scalars(page.offset(offset).limit(limit))), total


def report_location(
    user: User,
    *,
    location: Location,
    recorded_at: datetime,
    accuracy_m: float | None = None,
    now: datetime | None = None,
) -> EngineerProfile:
    """Store the engineer's reported position. Phones queue fixes offline and send them late
    and out of order, so a fix older than the stored one is ignored (the answer still shows
    the position in force)."""
    now = now or utcnow()
    profile = db.session.get(EngineerProfile, user.id)
    if profile is None:
        raise NotFound("you have no engineer profile; ask a dispatcher to create one")
    if recorded_at.tzinfo is None:
        raise Invalid(
            "recorded_at needs a time zone (UTC ISO 8601)", errors={"recorded_at": ["naive"]}
        )
    if recorded_at > now + MAX_CLOCK_SKEW:
        raise Invalid(
            f"recorded_at {recorded_at.isoformat()} is in the future; check the device clock",
            errors={"recorded_at": ["in the future"]},
        )
    if accuracy_m is not None and accuracy_m < 0:
        raise Invalid("accuracy_m must be >= 0", errors={"accuracy_m": [">= 0"]})
    recorded_at = min(recorded_at, now)
    if profile.last_location_at is None or recorded_at > profile.last_location_at:
        profile.last_location = point(location.lon, location.lat)
        profile.last_location_accuracy_m = accuracy_m
        profile.last_location_at = recorded_at
        db.session.flush()
    return profile


def effective_location(
    profile: EngineerProfile, *, now: datetime, stale_after: timedelta
) -> tuple[tuple[float, float], str]:
    """Where the dispatcher assumes the engineer is: a fresh report, else home."""
    if (
        profile.last_location is not None
        and profile.last_location_at is not None
        and profile.last_location_at >= now - stale_after
    ):
        where = lonlat(profile.last_location)
        assert where is not None
        return where, "reported"
    home = lonlat(profile.home)
    assert home is not None
    return home, "home"


def open_job_counts(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    from backend.dispatch.candidates import BUSY_STATUSES

    if not user_ids:
        return {}
    stmt = (
        select(Ticket.assignee_id, func.count())
        .where(Ticket.assignee_id.in_(user_ids), Ticket.status.in_(BUSY_STATUSES))
        .group_by(Ticket.assignee_id)
    )
    return {uid: n for uid, n in db.session.execute(stmt) if uid is not None}


def describe(
    profiles: list[EngineerProfile], *, now: datetime, stale_after: timedelta
) -> list[dict[str, Any]]:
    """Profiles joined with their user and live figures, ready for ``EngineerOut``."""
    ids = [p.user_id for p in profiles]
    users = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    )
    counts = open_job_counts(ids)
    out = []
    for p in profiles:
        where, source = effective_location(p, now=now, stale_after=stale_after)
        user = users.get(p.user_id)
        out.append(
            {
                "id": p.user_id,
                "user_id": p.user_id,
                "name": user.name if user else None,
                "email": user.email if user else None,
                "skills": p.skills,
                "region_ids": p.region_ids,
                "home": p.home,
                "shift": {
                    "timezone": p.shift_timezone,
                    "days": p.shift_days,
                    "start": p.shift_start,
                    "end": p.shift_end,
                },
                "status": p.status,
                "max_open_jobs": p.max_open_jobs,
                "open_jobs": counts.get(p.user_id, 0),
                "location": where,
                "location_source": source,
                "last_location": p.last_location,
                "last_location_accuracy_m": p.last_location_accuracy_m,
                "last_location_at": p.last_location_at,
                "created_at": p.created_at,
                "updated_at": p.updated_at,
            }
        )
    return out
