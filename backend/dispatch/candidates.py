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

_PT = "geography(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
_SUB = """
  (SELECT p.user_id FROM engineer_profiles p
    WHERE {inside} (p.region_ids && CAST(:rids AS uuid[])) AND p.last_location_at >= :fresh
    ORDER BY geography(p.last_location) <-> {pt} LIMIT {k})
  UNION
  (SELECT p.user_id FROM engineer_profiles p
    WHERE {inside} (p.region_ids && CAST(:rids AS uuid[]))
      AND (p.last_location_at IS NULL OR p.last_location_at < :fresh)
    ORDER BY geography(p.home) <-> {pt} LIMIT {k})
"""

# One round trip for the whole search: KNN inside the regions, KNN outside, the explicitly
# requested engineers, their details, effective position and open jobs.
GATHER = text(
    f"""
WITH near_in AS ({_SUB.format(inside="", pt=_PT, k=":k")}),
near_out AS ({_SUB.format(inside="NOT", pt=_PT, k=":k_out")}),
best_in AS (
  SELECT p.user_id FROM near_in JOIN engineer_profiles p USING (user_id)
  ORDER BY geography({_POSITION}) <-> {_PT} LIMIT :k),
best_out AS (
  SELECT p.user_id FROM near_out JOIN engineer_profiles p USING (user_id)
  ORDER BY geography({_POSITION}) <-> {_PT} LIMIT :k_out),
ids AS (
  SELECT user_id FROM best_in UNION SELECT user_id FROM best_out
  UNION SELECT unnest(CAST(:also AS uuid[])))
SELECT p.user_id, u.name, p.status, p.skills, p.region_ids, p.shift_timezone, p.shift_days,
       p.shift_start, p.shift_end, p.max_open_jobs,
       ST_X({_POSITION}) AS lon, ST_Y({_POSITION}) AS lat,
       (p.last_location IS NOT NULL AND p.last_location_at >= :fresh) AS reported,
       j.priorities, j.deadlines
FROM ids JOIN engineer_profiles p USING (user_id) JOIN users u ON u.id = p.user_id
LEFT JOIN LATERAL (
  SELECT array_agg(t.priority) AS priorities, array_agg(t.resolve_by) AS deadlines
  FROM tickets t
  WHERE t.assignee_id = p.user_id AND t.status = ANY(:statuses) AND t.id <> :ticket_id
) j ON true
WHERE u.is_active
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


def _facts(r: Any) -> EngineerFacts:
    jobs = tuple(
        OpenJob(priority=p, resolve_by=d)
        for p, d in zip(r.priorities or (), r.deadlines or (), strict=True)
    )
    return EngineerFacts(
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
        open_jobs=jobs,
    )


def gather(
    *,
    ticket_id: uuid.UUID,
    lon: float,
    lat: float,
    region_ids: Iterable[uuid.UUID],
    now: datetime,
    settings: DispatchSettings,
    also: Iterable[uuid.UUID] = (),
    outside: bool = True,
) -> list[EngineerFacts]:
    """Engineers to score for a ticket: ``k`` nearest inside its regions, a few nearest
    outside them (``outside``; only useful to explain, they can never be picked), and any
    engineer asked for explicitly (``also``: a dispatcher's pick)."""
    rids = list(region_ids)
    params = {
        "lon": lon,
        "lat": lat,
        "rids": rids,
        "fresh": now - settings.stale_location,
        "k": settings.knn_k if rids else 0,
        "k_out": max(0, settings.outside_k) if outside else 0,
        "also": list(also),
        "statuses": list(BUSY_STATUSES),
        "ticket_id": ticket_id,
    }
    rows = db.session.execute(GATHER, params).all()
    return sorted((_facts(r) for r in rows), key=lambda f: str(f.engineer_id))
