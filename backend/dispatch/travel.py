"""Travel time, behind one function so a road-network source (OSRM, Valhalla, a matrix API)
can replace it without touching scoring or the candidate search.

Today: great-circle (haversine) distance x a detour factor (roads are not straight; ~1.3 is
the usual urban/suburban ratio) at a configured average speed. Pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)

LonLat = tuple[float, float]


@dataclass(frozen=True)
class TravelEstimate:
    straight_m: float  # great-circle distance
    road_m: float  # straight_m x detour
    minutes: float


def haversine_m(a: LonLat, b: LonLat) -> float:
    """Great-circle distance in metres between two (lon, lat) points."""
    lon1, lat1 = map(math.radians, a)
    lon2, lat2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def estimate(
    origin: LonLat, destination: LonLat, *, speed_kmh: float, detour: float
) -> TravelEstimate:
    """Travel from ``origin`` to ``destination``: the single entry point for travel time."""
    if speed_kmh <= 0:
        raise ValueError("speed_kmh must be positive")
    straight = haversine_m(origin, destination)
    road = straight * detour
    return TravelEstimate(straight_m=straight, road_m=road, minutes=road / 1000 / speed_kmh * 60)
