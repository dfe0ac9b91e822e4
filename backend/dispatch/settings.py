"""Dispatcher settings, built from the app's typed settings (``backend.config.settings``, which
converts and checks each ``FIELDOPS_*`` variable); this module adds the checks only dispatch
knows (region ids, the weights version) and derived values. A frozen value object, so the
pure scoring code and the jobs receive plain values and never look at Flask.

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

from backend.config import Config, SettingError, settings


@dataclass(frozen=True)
class DispatchSettings:
    auto_dispatch: bool = False
    auto_dispatch_regions: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # Defaults are the settings' own (backend.config.Config owns every default).
    speed_kmh: float = Config.DISPATCH_SPEED_KMH
    detour: float = Config.DISPATCH_DETOUR
    stale_location: timedelta = timedelta(minutes=Config.LOCATION_STALE_MIN)
    max_travel_min: float = Config.DISPATCH_MAX_TRAVEL_MIN
    service_min: float = Config.DISPATCH_SERVICE_MIN
    queue_travel_min: float = Config.DISPATCH_QUEUE_TRAVEL_MIN
    knn_k: int = Config.DISPATCH_K
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
    def from_config(cls, config: Config | Mapping[str, Any]) -> DispatchSettings:
        from backend.dispatch.scoring import CURRENT_WEIGHTS, WEIGHTS

        cfg = settings(config)
        try:
            regions = frozenset(
                uuid.UUID(part.strip())
                for part in cfg.AUTO_DISPATCH_REGIONS.split(",")
                if part.strip()
            )
        except ValueError:
            raise SettingError(
                f"FIELDOPS_AUTO_DISPATCH_REGIONS={cfg.AUTO_DISPATCH_REGIONS!r} is not valid: "
                "comma-separated region ids expected"
            ) from None
        version = cfg.DISPATCH_WEIGHTS_VERSION or CURRENT_WEIGHTS
        if version not in WEIGHTS:
            raise SettingError(f"unknown FIELDOPS_DISPATCH_WEIGHTS_VERSION {version!r}")
        return cls(
            auto_dispatch=cfg.AUTO_DISPATCH,
            auto_dispatch_regions=regions,
            speed_kmh=cfg.DISPATCH_SPEED_KMH,
            detour=cfg.DISPATCH_DETOUR,
            stale_location=timedelta(minutes=cfg.LOCATION_STALE_MIN),
            max_travel_min=cfg.DISPATCH_MAX_TRAVEL_MIN,
            service_min=cfg.DISPATCH_SERVICE_MIN,
            queue_travel_min=cfg.DISPATCH_QUEUE_TRAVEL_MIN,
            knn_k=cfg.DISPATCH_K,
            weights_version=version,
        )


def current_settings() -> DispatchSettings:
    """Settings of the running app (views, hooks and jobs all have an app context)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return DispatchSettings()
    # ``settings()`` hands back the same object until a setting changes.
    cached = current_app.extensions.get("fieldops_dispatch_settings")
    typed = settings()
    if cached is None or cached[0] is not typed:
        cached = (typed, DispatchSettings.from_config(typed))
        current_app.extensions["fieldops_dispatch_settings"] = cached
    return cached[1]
