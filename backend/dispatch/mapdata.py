"""Map data for the dispatcher: one GeoJSON FeatureCollection of open tickets, engineers and
regions inside a bounding box, every feature tagged with ``properties.kind``.

Each layer is filtered with ``&&`` against the envelope, which the GiST indexes on
``tickets.location``, ``engineer_profiles.home/last_location`` and ``regions.area`` serve.
Layers are capped so a zoomed-out map cannot pull the whole table; ``truncated`` says so.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from backend.db import db
from backend.dispatch.candidates import BUSY_STATUSES
from backend.geo import BBox
from backend.workorders.models import ticket_number
from backend.workorders.sla import SlaState, ticket_state
from backend.workorders.states import OPEN_STATUSES

MAX_TICKETS = 5000
MAX_ENGINEERS = 5000
MAX_REGIONS = 1000

_ENV = "ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326)"

_TICKETS = text(
    f"""
SELECT t.id, t.seq, t.title, t.priority, t.status, t.assignee_id, t.eta, t.created_at,
       t.respond_by, t.resolve_by, t.responded_at, t.resolved_at, t.dispatch_flags,
       ST_X(t.location) AS lon, ST_Y(t.location) AS lat,
       d.chosen_engineer_id, d.runner_up_engineer_id
FROM tickets t
LEFT JOIN LATERAL (
  SELECT chosen_engineer_id, runner_up_engineer_id FROM dispatch_decisions dd
  WHERE dd.ticket_id = t.id ORDER BY dd.created_at DESC LIMIT 1
) d ON true
WHERE t.location && {_ENV} AND t.status = ANY(:statuses)
ORDER BY t.priority, t.resolve_by
LIMIT :limit
"""
)

_ENGINEERS = text(
    f"""
WITH located AS (
  SELECT p.*, (p.last_location IS NOT NULL AND p.last_location_at >= :fresh) AS reported
  FROM engineer_profiles p
  WHERE (p.last_location && {_ENV} AND p.last_location_at >= :fresh)
     OR (p.home && {_ENV} AND (p.last_location_at IS NULL OR p.last_location_at < :fresh))
)
SELECT l.user_id, u.name, l.status, l.skills, l.max_open_jobs, l.reported, l.last_location_at,
       ST_X(CASE WHEN l.reported THEN l.last_location ELSE l.home END) AS lon,
       ST_Y(CASE WHEN l.reported THEN l.last_location ELSE l.home END) AS lat,
       (SELECT count(*) FROM tickets t
         WHERE t.assignee_id = l.user_id AND t.status = ANY(:busy)) AS open_jobs
FROM located l JOIN users u ON u.id = l.user_id
WHERE u.is_active
ORDER BY l.user_id
LIMIT :limit
"""
)

_REGIONS = text(
    f"""
SELECT r.id, r.name, ST_AsGeoJSON(r.area, 6) AS geojson
FROM regions r WHERE r.area && {_ENV}
ORDER BY r.name, r.id
LIMIT :limit
"""
)


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def row_sla_state(r: Any, *, now: datetime, at_risk_fraction: float) -> SlaState:
    """The SLA state of a ticket row that carries both clocks (``created_at``, ``respond_by``,
    ``resolve_by``, ``responded_at``, ``resolved_at``): the map and the timeline read it the
    same way."""
    return ticket_state(
        now,
        r.created_at,
        r.respond_by,
        r.resolve_by,
        r.responded_at,
        r.resolved_at,
        at_risk_fraction,
    )


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def ticket_card(r: Any, *, now: datetime, at_risk_fraction: float) -> dict[str, Any]:
    """What the console shows of a ticket wherever it lists one (a map marker, a job on the
    timeline), from a raw ticket row: its number, title, priority, status and SLA state."""
    sla = row_sla_state(r, now=now, at_risk_fraction=at_risk_fraction)
    return {
        "number": ticket_number(r.seq),
        "title": r.title,
        "priority": r.priority,
        "status": r.status,
        "sla_state": sla.value,
    }


def feature_collection(
    bbox: BBox,
    *,
    now: datetime,
    stale_after: timedelta,
    at_risk_fraction: float = 0.75,
    include: tuple[str, ...] = ("tickets", "engineers", "regions"),
) -> dict[str, Any]:
    env = bbox._asdict()
    features: list[dict[str, Any]] = []
    truncated: dict[str, bool] = {}
    if "tickets" in include:
        params = {**env, "statuses": list(OPEN_STATUSES)}
        for r in _capped(truncated, "tickets", _TICKETS, params, MAX_TICKETS):
            features.append(
                _feature(
                    "ticket",
                    r.id,
                    _point(r.lon, r.lat),
                    **ticket_card(r, now=now, at_risk_fraction=at_risk_fraction),
                    assignee_id=_str(r.assignee_id),
                    eta=iso(r.eta),
                    # The console counts down to respond_by until the ticket is accepted, then
                    # to resolve_by.
                    respond_by=iso(r.respond_by),
                    responded_at=iso(r.responded_at),
                    resolve_by=iso(r.resolve_by),
                    flags=sorted((r.dispatch_flags or {}).keys()),
                    chosen_engineer_id=_str(r.chosen_engineer_id),
                    runner_up_engineer_id=_str(r.runner_up_engineer_id),
                )
            )
    if "engineers" in include:
        params = {**env, "fresh": now - stale_after, "busy": list(BUSY_STATUSES)}
        for r in _capped(truncated, "engineers", _ENGINEERS, params, MAX_ENGINEERS):
            features.append(
                _feature(
                    "engineer",
                    r.user_id,
                    _point(r.lon, r.lat),
                    name=r.name,
                    status=r.status,
                    skills=list(r.skills or ()),
                    open_jobs=int(r.open_jobs),
                    max_open_jobs=r.max_open_jobs,
                    location_source="reported" if r.reported else "home",
                    location_at=iso(r.last_location_at) if r.reported else None,
                )
            )
    if "regions" in include:
        for r in _capped(truncated, "regions", _REGIONS, env, MAX_REGIONS):
            features.append(_feature("region", r.id, json.loads(r.geojson), name=r.name))
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}


def _capped(
    truncated: dict[str, bool], kind: str, query: Any, params: dict[str, Any], cap: int
) -> list[Any]:
    """At most ``cap`` rows of ``query``; one more is asked for, so ``truncated[kind]`` can
    say whether any were left out (the console then asks the dispatcher to zoom in)."""
    rows = db.session.execute(query, {**params, "limit": cap + 1}).all()
    truncated[kind] = len(rows) > cap
    return list(rows[:cap])


def _feature(kind: str, ident: Any, geometry: Any, **properties: Any) -> dict[str, Any]:
    """One GeoJSON Feature of the map: ``<kind>:<id>`` as its id, and ``kind`` and ``id`` in
    its properties (the console tells the three kinds apart by them)."""
    return {
        "type": "Feature",
        "id": f"{kind}:{ident}",
        "geometry": geometry,
        "properties": {"kind": kind, "id": str(ident), **properties},
    }


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None
