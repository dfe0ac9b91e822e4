"""Candidate search in PostGIS: who is worth scoring for this ticket.

The nearest ``k`` engineers whose territories contain the ticket come from a KNN scan
(``ORDER BY geography(position) <-> geography(:point) LIMIT k``) on the GiST indexes over
``geography(...)``, so "nearest" is in metres on the sphere, valid at any latitude. An
engineer's position is the last reported location while fresh, else home; those are two
columns, so the search runs one index-ordered scan per column and merges them, instead of
ordering by a CASE expression no index can serve.

A few nearest engineers from outside the ticket's regions are added as well (flagged
``not_in_region``), so a ticket outside every region still shows who is closest, and a
dispatcher can see why the obvious neighbour was not picked.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import text

from backend.db import db
from backend.dispatch.scoring import EngineerFacts, OpenJob
from backend.dispatch.settings import DispatchSettings
from backend.dispatch.shifts import Shift
from backend.workorders.states import Status

# Statuses in which a job occupies its engineer.
BUSY_STATUSES = tuple(
    s.value
    for s in (
        Status.ASSIGNED,
        Status.ACCEPTED,
        Status.EN_ROUTE,
        Status.ON_SITE,
        Status.IN_PROGRESS,
        Status.ON_HOLD,
    )
)

_POSITION = (
    "CASE WHEN p.last_location IS NOT NULL AND p.last_location_at >= :fresh "
    "THEN p.last_location ELSE p.home END"
)

# {inside} is "" or "NOT": engineers whose regions do / do not overlap the ticket's.
_KNN = """
WITH near AS (
  (SELECT p.user_id FROM engineer_profiles p
    WHERE {inside} (p.region_ids && CAST(:rids AS uuid[])) AND p.last_location_at >= :fresh
    ORDER BY geography(p.last_location) <-> geography(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
    LIMIT :k)
  UNION
  (SELECT p.user_id FROM engineer_profiles p
    WHERE {inside} (p.region_ids && CAST(:rids AS uuid[]))
      AND (p.last_location_at IS NULL OR p.last_location_at < :fresh)
    ORDER BY geography(p.home) <-> geography(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
    LIMIT :k)
)
SELECT p.user_id FROM near JOIN engineer_profiles p USING (user_id)
ORDER BY geography({position}) <-> geography(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
LIMIT :k
"""

KNN_INSIDE = text(_KNN.format(inside="", position=_POSITION))
KNN_OUTSIDE = text(_KNN.format(inside="NOT", position=_POSITION))

_DETAILS = text(
    f"""
SELECT p.user_id, u.name, p.status, p.skills, p.region_ids, p.shift_timezone, p.shift_days,
       p.shift_start, p.shift_end, p.max_open_jobs,
       ST_X({_POSITION}) AS lon, ST_Y({_POSITION}) AS lat,
       (p.last_location IS NOT NULL AND p.last_location_at >= :fresh) AS reported
FROM engineer_profiles p JOIN users u ON u.id = p.user_id
WHERE p.user_id = ANY(:ids) AND u.is_active
"""
)

_OPEN_JOBS = text(
    """
SELECT assignee_id, priority, resolve_by FROM tickets
WHERE assignee_id = ANY(:ids) AND status = ANY(:statuses) AND id <> :ticket_id
"""
)


def nearest_ids(
    lon: float,
    lat: float,
    region_ids: Iterable[uuid.UUID],
    *,
    fresh_after: datetime,
    k: int,
    inside: bool = True,
) -> list[uuid.UUID]:
    """Ids of the ``k`` engineers nearest to (lon, lat) inside (or outside) the regions."""
    params: dict[str, Any] = {
        "lon": lon,
        "lat": lat,
        "rids": list(region_ids),
        "fresh": fresh_after,
        "k": k,
    }
    stmt = KNN_INSIDE if inside else KNN_OUTSIDE
    return list(db.session.execute(stmt, params).scalars())


def load_facts(
    ids: Iterable[uuid.UUID], *, fresh_after: datetime, ticket_id: uuid.UUID
) -> list[EngineerFacts]:
    """Everything scoring needs about these engineers, in two queries."""
    id_list = list(dict.fromkeys(ids))
    if not id_list:
        return []
    rows = db.session.execute(_DETAILS, {"ids": id_list, "fresh": fresh_after}).all()
    jobs: dict[uuid.UUID, list[OpenJob]] = defaultdict(list)
    for assignee, priority, resolve_by in db.session.execute(
        _OPEN_JOBS, {"ids": id_list, "statuses": list(BUSY_STATUSES), "ticket_id": ticket_id}
    ):
        jobs[assignee].append(OpenJob(priority=priority, resolve_by=resolve_by))
    return [
        EngineerFacts(
            engineer_id=r.user_id,
            name=r.name,
            status=r.status,
            skills=frozenset(r.skills or ()),
            region_ids=frozenset(r.region_ids or ()),
            shift=Shift(
                timezone=r.shift_timezone,
                days=tuple(r.shift_days or ()),
                start=r.shift_start,
                end=r.shift_end,
            ),
            max_open_jobs=r.max_open_jobs,
            location=(r.lon, r.lat),
            location_source="reported" if r.reported else "home",
            open_jobs=tuple(jobs.get(r.user_id, ())),
        )
        for r in rows
    ]


def gather(
    *,
    ticket_id: uuid.UUID,
    lon: float,
    lat: float,
    region_ids: Iterable[uuid.UUID],
    now: datetime,
    settings: DispatchSettings,
    also: Iterable[uuid.UUID] = (),
) -> list[EngineerFacts]:
    """Engineers to score for a ticket: ``k`` nearest inside its regions, a few nearest
    outside them, and any engineer asked for explicitly (``also``: a dispatcher's pick)."""
    fresh = now - settings.stale_location
    rids = list(region_ids)
    ids: list[uuid.UUID] = []
    if rids:
        ids += nearest_ids(lon, lat, rids, fresh_after=fresh, k=settings.knn_k)
    if settings.outside_k > 0:
        ids += nearest_ids(lon, lat, rids, fresh_after=fresh, k=settings.outside_k, inside=False)
    ids += list(also)
    return load_facts(ids, fresh_after=fresh, ticket_id=ticket_id)
