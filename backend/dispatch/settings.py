"""Dispatcher settings, read once from the app config (``FIELDOPS_*`` environment variables
land there through ``Config.EXTRA``). A frozen value object, so the pure scoring code and the
jobs receive plain values and never look at Flask.

Variables (all optional):

- ``FIELDOPS_AUTO_DISPATCH=1`` - auto-assign every new ticket; or
  ``FIELDOPS_AUTO_DISPATCH_REGIONS=<uuid>,<uuid>`` - only tickets lying in these regions.
- ``FIELDOPS_DISPATCH_SPEED_KMH`` (40), ``FIELDOPS_DISPATCH_DETOUR`` (1.3) - travel model.
- ``FIELDOPS_LOCATION_STALE_MIN`` (30) - a reported position older than this falls back to home.
- ``FIELDOPS_DISPATCH_MAX_TRAVEL_MIN`` (180) - beyond this a candidate is ``too_far``.
- ``FIELDOPS_DISPATCH_SERVICE_MIN`` (60) - assumed time on site per job.
- ``FIELDOPS_DISPATCH_QUEUE_TRAVEL_MIN`` (20) - assumed travel between queued jobs.
- ``FIELDOPS_DISPATCH_K`` (25) - nearest engineers scored inside the ticket's regions.
- ``FIELDOPS_DISPATCH_WEIGHTS_VERSION`` - which entry of ``scoring.WEIGHTS`` to use.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

TRUE = {"1", "true", "yes", "on"}
KEYS = (
    "AUTO_DISPATCH",
    "AUTO_DISPATCH_REGIONS",
    "DISPATCH_SPEED_KMH",
    "DISPATCH_DETOUR",
    "LOCATION_STALE_MIN",
    "DISPATCH_MAX_TRAVEL_MIN",
    "DISPATCH_SERVICE_MIN",
    "DISPATCH_QUEUE_TRAVEL_MIN",
    "DISPATCH_K",
    "DISPATCH_WEIGHTS_VERSION",
)


@dataclass(frozen=True)
class DispatchSettings:
    auto_dispatch: bool = False
    auto_dispatch_regions: frozenset[uuid.UUID] = field(default_factory=frozenset)
    speed_kmh: float = 40.0
    detour: float = 1.3
    stale_location: timedelta = timedelta(minutes=30)
    max_travel_min: float = 180.0
    service_min: float = 60.0
    queue_travel_min: float = 20.0
    knn_k: int = 25
    outside_k: int = 5
    weights_version: str = "2026-11-v1"

    def auto_for(self, region_ids: list[uuid.UUID] | None) -> bool:
        """Is auto-dispatch on for a ticket lying in ``region_ids``?"""
        if self.auto_dispatch:
            return True
        return bool(
            self.auto_dispatch_regions and set(region_ids or ()) & self.auto_dispatch_regions
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DispatchSettings:
        from backend.dispatch.scoring import CURRENT_WEIGHTS, WEIGHTS

        def num(key: str, default: float) -> float:
            raw = config.get(key)
            if raw in (None, ""):
                return default
            try:
                return float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{key} must be a number, got {raw!r}") from None

        regions = frozenset(
            uuid.UUID(part.strip())
            for part in str(config.get("AUTO_DISPATCH_REGIONS") or "").split(",")
            if part.strip()
        )
        version = str(config.get("DISPATCH_WEIGHTS_VERSION") or CURRENT_WEIGHTS)
        if version not in WEIGHTS:
            raise ValueError(f"unknown DISPATCH_WEIGHTS_VERSION {version!r}")
        return cls(
            auto_dispatch=str(config.get("AUTO_DISPATCH") or "").strip().lower() in TRUE,
            auto_dispatch_regions=regions,
            speed_kmh=num("DISPATCH_SPEED_KMH", cls.speed_kmh),
            detour=num("DISPATCH_DETOUR", cls.detour),
            stale_location=timedelta(minutes=num("LOCATION_STALE_MIN", 30.0)),
            max_travel_min=num("DISPATCH_MAX_TRAVEL_MIN", cls.max_travel_min),
            service_min=num("DISPATCH_SERVICE_MIN", cls.service_min),
            queue_travel_min=num("DISPATCH_QUEUE_TRAVEL_MIN", cls.queue_travel_min),
            knn_k=int(num("DISPATCH_K", cls.knn_k)),
            weights_version=version,
        )


def current_settings() -> DispatchSettings:
    """Settings of the running app (views, hooks and jobs all have an app context)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return DispatchSettings()
    cached = current_app.extensions.get("fieldops_dispatch_settings")
    key = tuple(str(current_app.config.get(k)) for k in KEYS)
    if cached is None or cached[0] != key:
        cached = (key, DispatchSettings.from_config(current_app.config))
        current_app.extensions["fieldops_dispatch_settings"] = cached
    return cached[1]
