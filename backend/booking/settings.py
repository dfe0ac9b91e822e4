"""Booking settings as one frozen value, read from the app's typed settings in one place (the
tracking page's JSON API and its no-JS form must offer the same slots). What only booking
knows about a value (that the priorities are priorities, the zone a zone, the day's hours a
span that holds a slot) is checked here, as the app is built (``check``) and on every read.

- ``FIELDOPS_BOOKING_PRIORITIES`` ("P3,P4"): tickets of these priorities may be booked by the
  customer; more urgent ones are dispatched at once.
- ``FIELDOPS_BOOKING_TIMEZONE`` (Europe/Berlin): the customers' wall clock, where the slot grid
  is laid out.
- ``FIELDOPS_BOOKING_SLOT_MIN`` (120), ``FIELDOPS_BOOKING_DAY_START_H`` (8),
  ``FIELDOPS_BOOKING_DAY_END_H`` (18): the grid, local time; a slot is an arrival window.
- ``FIELDOPS_BOOKING_DAYS_AHEAD`` (5): today and this many days after it.
- ``FIELDOPS_BOOKING_LEAD_MIN`` (120): no slot starts sooner than this from now.
- ``FIELDOPS_BOOKING_SLOT_CAPACITY`` (2): bookings of one slot in one region, at most.
- ``FIELDOPS_BOOKING_REBOOK_CUTOFF_H`` (24): a booked window may be changed by the customer
  until this long before it starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from backend.config import Config, SettingError, env_name, settings
from backend.dispatch.shifts import zone
from backend.workorders.models import PRIORITIES


@dataclass(frozen=True)
class BookingSettings:
    priorities: frozenset[str] = frozenset({"P3", "P4"})
    timezone: str = Config.BOOKING_TIMEZONE
    slot: timedelta = timedelta(minutes=Config.BOOKING_SLOT_MIN)
    day_start_h: int = Config.BOOKING_DAY_START_H
    day_end_h: int = Config.BOOKING_DAY_END_H
    days_ahead: int = Config.BOOKING_DAYS_AHEAD
    lead: timedelta = timedelta(minutes=Config.BOOKING_LEAD_MIN)
    capacity: int = Config.BOOKING_SLOT_CAPACITY
    rebook_cutoff: timedelta = timedelta(hours=Config.BOOKING_REBOOK_CUTOFF_H)


def booking_settings(config: Config | Mapping[str, Any] | None = None) -> BookingSettings:
    cfg = settings(config)
    priorities = frozenset(p.strip() for p in cfg.BOOKING_PRIORITIES.split(",") if p.strip())
    unknown = sorted(priorities - set(PRIORITIES))
    if unknown:
        raise SettingError(
            f"{env_name('BOOKING_PRIORITIES')}={cfg.BOOKING_PRIORITIES!r} is not valid: "
            f"comma-separated priorities of {', '.join(PRIORITIES)}"
        )
    try:
        zone(cfg.BOOKING_TIMEZONE)
    except ValueError as exc:
        raise SettingError(f"{env_name('BOOKING_TIMEZONE')}: {exc}") from None
    slot = timedelta(minutes=cfg.BOOKING_SLOT_MIN)
    if not (
        cfg.BOOKING_DAY_START_H < cfg.BOOKING_DAY_END_H <= 24
        and timedelta(hours=cfg.BOOKING_DAY_END_H - cfg.BOOKING_DAY_START_H) >= slot
    ):
        raise SettingError(
            f"{env_name('BOOKING_DAY_START_H')}..{env_name('BOOKING_DAY_END_H')} "
            f"({cfg.BOOKING_DAY_START_H}..{cfg.BOOKING_DAY_END_H}) must be hours of one day "
            f"holding at least one slot of {cfg.BOOKING_SLOT_MIN} minutes"
        )
    return BookingSettings(
        priorities=priorities,
        timezone=cfg.BOOKING_TIMEZONE,
        slot=slot,
        day_start_h=cfg.BOOKING_DAY_START_H,
        day_end_h=cfg.BOOKING_DAY_END_H,
        days_ahead=cfg.BOOKING_DAYS_AHEAD,
        lead=timedelta(minutes=cfg.BOOKING_LEAD_MIN),
        capacity=cfg.BOOKING_SLOT_CAPACITY,
        rebook_cutoff=timedelta(hours=cfg.BOOKING_REBOOK_CUTOFF_H),
    )


def check(state: Any) -> None:
    """``record_once`` hook: a bad setting stops the start instead of every booking."""
    booking_settings(state.app.config)
