"""Region (territory) and skill operations: plain values in, flush only, DomainError out.

Areas arrive already validated by ``backend.geo.check_area`` (closed rings, in range, no
self-intersection), so the ``area_valid_polygon`` check constraint never fires from the API.
Regions may overlap: a ticket inside two regions is routed to both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from geoalchemy2 import WKBElement
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Select, func, select

from backend.accounts.models import User
from backend.db import added, by_name, db, get_or_404
from backend.dispatch.models import Region, Skill
from backend.errors import Conflict, Invalid, NotAllowed
from backend.geo import area_to_wkb
from backend.workorders.audit import record_activity
from backend.workorders.models import Ticket


def _staff(actor: User) -> None:
    if not actor.is_staff:
        raise NotAllowed("only a dispatcher or admin may manage regions and skills")


def create_region(*, actor: User, name: str, area: BaseGeometry) -> Region:
    _staff(actor)
    region = Region(name=name.strip(), area=area_to_wkb(area))
    return added(region)


def get_region(region_id: uuid.UUID) -> Region:
    return get_or_404(Region, region_id, label="region", field="region_id")


def regions_query() -> Select[Region]:
    return by_name(Region)


def create_skill(*, actor: User, code: str, name: str) -> Skill:
    """Skill codes are what tickets and engineer profiles refer to, so they are unique."""
    _staff(actor)
    code = code.strip().lower()
    if db.session.scalars(select(Skill).where(Skill.code == code)).first() is not None:
        raise Conflict(f"a skill with code {code!r} already exists", errors={"code": ["taken"]})
    skill = Skill(code=code, name=name.strip())
    return added(skill)


def skills_query() -> Select[Skill]:
    return select(Skill).order_by(Skill.code)


def ensure_skills_exist(codes: Iterable[str], field: str = "required_skills") -> list[str]:
    """Refuse skill codes nobody defined: a typo would make a ticket undispatchable, or an
    engineer never match. The one check for tickets and engineer profiles; returns the codes
    sorted, without repeats."""
    wanted = sorted(set(codes))
    if not wanted:
        return []
    known = set(db.session.scalars(select(Skill.code).where(Skill.code.in_(wanted))))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise Invalid(
            f"unknown skill code(s): {', '.join(unknown)}",
            errors={field: [f"unknown skill code {c!r}" for c in unknown]},
        )
    return wanted


def regions_containing(geom: WKBElement) -> list[uuid.UUID]:
    """Ids of every region whose area contains the point (regions may overlap); registered on
    ``workorders.hooks.regions_at`` so tickets learn their regions without importing dispatch."""
    stmt = select(Region.id).where(func.ST_Contains(Region.area, geom)).order_by(Region.id)
    return list(db.session.scalars(stmt))


def route_to_region(ticket: Ticket, region: Region, *, actor: User, via: str = "api") -> bool:
    """Route ``ticket`` to ``region`` alone (dispatch then looks at that region's engineers),
    audited as a ``route`` activity. False when it already is routed there and nowhere else.
    A later change of the ticket's location derives its regions from the map again."""
    _staff(actor)
    if list(ticket.region_ids or []) == [region.id]:
        return False
    before = [str(r) for r in ticket.region_ids or []]
    ticket.region_ids = [region.id]
    record_activity(
        ticket,
        actor=actor,
        action="route",
        via=via,
        data={"from_regions": before, "to_regions": [str(region.id)]},
    )
    db.session.flush()
    return True
