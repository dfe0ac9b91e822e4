"""Engineers, imported: a user (login e-mail, name, language, ``external_ref``) with an
engineer profile (skills, regions, shift, home). Found again by ``external_ref``; a user made
in the app without one is adopted by their e-mail. New users get no password: a one-time
set-up link (``backend.accounts.setup_tokens``), e-mailed when mail is configured.

Written through the owners' operations (accounts for the user, dispatch for the profile), a
chunk per transaction like every entity: a row whose skill or region vanished since the dry
run refuses the whole chunk, so no engineer is left with a user but no profile. A row whose
values all match what is stored is not touched (no ``updated_at`` bump, no new token)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, or_, select, text

from backend.accounts import setup_tokens
from backend.accounts.models import Role, User
from backend.accounts.operations import create_invited_user, set_identity
from backend.db import db, utcnow
from backend.dispatch import engineers as profiles
from backend.dispatch.models import EngineerProfile
from backend.dispatch.shifts import parse_pattern
from backend.errors import Invalid
from backend.geo import Location
from backend.imports.entities import Entity, split_list
from backend.workorders.geo import lonlat

Row = list[str | None]

# A region is named by its name when that name is one region's, or by its id.
REGION_REFS = (
    "SELECT name FROM regions WHERE name = ANY(:refs) GROUP BY name HAVING count(*) = 1"
    " UNION SELECT id::text FROM regions WHERE id::text = ANY(:refs)"
)
_REGION_IDS = (
    "SELECT name, min(id::text)::uuid FROM regions WHERE name = ANY(:refs) GROUP BY name"
    " HAVING count(*) = 1 UNION SELECT id::text, id FROM regions WHERE id::text = ANY(:refs)"
)


def conflicts(entity: Entity, rows: list[tuple[int, Row]]) -> list[tuple[int, str, str]]:
    """The dry run's checks against users: an e-mail that is another user's login, an
    ``external_ref`` of a user who is not an engineer, the same e-mail twice in the file."""
    if entity.name != "engineers" or not rows:
        return []
    refs = {r[0] for _, r in rows if r[0]}
    emails = {r[1] for _, r in rows if r[1]}
    users = list(
        db.session.scalars(
            select(User).where(or_(User.external_ref.in_(refs), func.lower(User.email).in_(emails)))
        )
    )
    by_ref = {u.external_ref: u for u in users if u.external_ref}
    by_email = {u.email.lower(): u for u in users}
    out: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for number, (ref, email, *_rest) in rows:
        assert ref is not None and email is not None  # required: checked before
        if email in seen:
            out.append((number, "email", f"{email!r} is already on row {seen[email]}"))
            continue
        seen[email] = number
        mine = by_ref.get(ref)
        if mine is not None and mine.role != Role.ENGINEER:
            out.append((number, "external_ref", f"{ref!r} is the {mine.role} {mine.email}"))
            continue
        other = by_email.get(email)
        if other is None or (mine is not None and other.id == mine.id):
            continue
        if mine is None and other.external_ref is None and other.role == Role.ENGINEER:
            continue  # an engineer made in the app: the import adopts them
        owner = f"external_ref {other.external_ref!r}" if other.external_ref else other.role
        out.append((number, "email", f"{email!r} is the login of another user ({owner})"))
    return out


def _region_ids(rows: list[Row]) -> dict[str, uuid.UUID]:
    wanted = {r for row in rows for r in split_list(row[4], "regions")}
    found: dict[str, uuid.UUID] = {}
    if wanted:
        result = db.session.execute(text(_REGION_IDS), {"refs": list(wanted)})
        found = {str(name): uuid.UUID(str(ident)) for name, ident in result}
    gone = sorted(wanted - set(found))
    if gone:
        raise Invalid(
            "rows refer to regions that no longer exist: "
            + ", ".join(repr(g) for g in gone[:5])
            + "; upload the file again for a new dry run"
        )
    return found


def write(rows: list[Row], actor_id: uuid.UUID | None) -> dict[str, int]:
    session = db.session()
    actor = session.get(User, actor_id) if actor_id else None
    if actor is None:
        raise Invalid("the user who started this import no longer exists; import again")
    regions = _region_ids(rows)
    refs = [r[0] for r in rows]
    emails = [r[1] for r in rows]
    users = list(
        session.scalars(
            select(User).where(or_(User.external_ref.in_(refs), func.lower(User.email).in_(emails)))
        )
    )
    by_ref = {u.external_ref: u for u in users if u.external_ref}
    by_email = {u.email.lower(): u for u in users if u.external_ref is None}
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    now = utcnow()
    for row in rows:
        ref, email, name, skills, region_cell, shift, lat, lon, language = row
        assert ref and email and name and shift and lat and lon  # required: the dry run
        wanted: dict[str, Any] = {
            "skills": split_list(skills, "skills"),
            "region_ids": sorted(regions[r] for r in split_list(region_cell, "regions")),
            "home": Location(lon=float(lon), lat=float(lat)),
            "shift": _spec(shift),
        }
        user = by_ref.get(ref) or by_email.get(email)
        if user is None:
            user = create_invited_user(
                email=email, name=name, role=Role.ENGINEER, external_ref=ref, language=language
            )
            profiles.create_profile(actor=actor, user_id=user.id, **_create_args(wanted))
            setup_tokens.issue(user, now)
            counts["inserted"] += 1
            continue
        if user.role != Role.ENGINEER:
            raise Invalid(f"{ref!r} is no longer an engineer; upload the file again")
        changed = set_identity(user, email=email, name=name, external_ref=ref, language=language)
        profile = session.get(EngineerProfile, user.id)
        if profile is None:
            profiles.create_profile(actor=actor, user_id=user.id, **_create_args(wanted))
            changed = True
        else:
            diff = _profile_changes(profile, wanted)
            if diff:
                profiles.update_profile(profile, actor=actor, changes=diff)
                changed = True
        counts["updated" if changed else "unchanged"] += 1
    session.flush()
    return counts


def _spec(cell: str) -> profiles.ShiftSpec:
    shift = parse_pattern(cell)
    return profiles.ShiftSpec(shift.timezone, list(shift.days), shift.start, shift.end)


def _create_args(wanted: dict[str, Any]) -> dict[str, Any]:
    return {
        "home": wanted["home"],
        "shift": wanted["shift"],
        "skills": wanted["skills"],
        "region_ids": wanted["region_ids"],
    }


def _profile_changes(profile: EngineerProfile, wanted: dict[str, Any]) -> dict[str, Any]:
    shift = wanted["shift"]
    home = wanted["home"]
    current = {
        "skills": sorted(profile.skills or []),
        "region_ids": sorted(profile.region_ids or []),
        "home": lonlat(profile.home),
        "shift": (
            profile.shift_timezone,
            sorted(profile.shift_days),
            profile.shift_start,
            profile.shift_end,
        ),
    }
    new = {
        "skills": wanted["skills"],
        "region_ids": wanted["region_ids"],
        "home": (home.lon, home.lat),
        "shift": (shift.timezone, sorted(shift.days), shift.start, shift.end),
    }
    return {k: wanted[k] for k in new if new[k] != current[k]}
