"""The customer's side of booking, by tracking token: the arrival windows on offer and the
booking of one. The rules (who may book, which windows, the last place) are
``backend.booking``'s; this module only finds the ticket by its token and answers in what a
customer may see: times, never who would come."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.booking.availability import REFUSALS, open_slots, refusal, reserve
from backend.booking.settings import BookingSettings, booking_settings
from backend.db import utcnow
from backend.dispatch.settings import current_settings
from backend.dispatch.shifts import zone
from backend.errors import Conflict
from backend.public.operations import find_by_tracking
from backend.workorders.models import Ticket


def _window(ticket: Ticket) -> dict[str, Any]:
    return {"window_start": ticket.window_start, "window_end": ticket.window_end}


def slots_for(ticket: Ticket, *, now: datetime, settings: BookingSettings) -> list[dict[str, Any]]:
    slots = open_slots(ticket, now=now, booking=settings, dispatch=current_settings())
    return [{"start": s.start, "end": s.end} for s in slots]


def slots_view(tracking_token: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The windows the customer may pick now; 409 naming why when they may not book."""
    now = now or utcnow()
    settings = booking_settings()
    ticket = find_by_tracking(tracking_token)
    why = refusal(ticket, now=now, settings=settings)
    if why is not None:
        raise Conflict(REFUSALS[why], reason=why)
    return {
        "timezone": settings.timezone,
        "slot_minutes": int(settings.slot.total_seconds() // 60),
        "slots": slots_for(ticket, now=now, settings=settings),
        **_window(ticket),
    }


def book(tracking_token: str, start: datetime, *, now: datetime | None = None) -> Ticket:
    """Book (or rebook) the window starting at ``start``. The ticket row is locked first, so
    one customer's double tap books once; the slot's lock then serialises customers."""
    ticket = find_by_tracking(tracking_token, lock=True)
    reserve(
        ticket,
        start,
        now=now or utcnow(),
        booking=booking_settings(),
        dispatch=current_settings(),
    )
    return ticket


def booking_body(ticket: Ticket) -> dict[str, Any]:
    return {"ticket_number": ticket.number, **_window(ticket)}


def _local(when: datetime, tz: str) -> datetime:
    return when.astimezone(zone(tz))


def span_label(start: datetime, end: datetime, tz: str) -> str:
    """ "Tue 8 Dec 2026, 08:00-10:00" in the customers' zone (the no-JS page's wording)."""
    a, b = _local(start, tz), _local(end, tz)
    day = f"{a:%a} {a.day} {a:%b %Y}"
    if a.date() == b.date():
        return f"{day}, {a:%H:%M}-{b:%H:%M}"
    return f"{day}, {a:%H:%M} - {b:%a} {b.day} {b:%b %Y}, {b:%H:%M}"


def page_context(ticket: Ticket, *, can_book: bool) -> dict[str, Any]:
    """The no-JS page's booking: the current window and the windows on offer, as labels."""
    settings = booking_settings()
    tz = settings.timezone
    window = (
        span_label(ticket.window_start, ticket.window_end, tz)
        if ticket.window_start is not None and ticket.window_end is not None
        else None
    )
    offered: list[dict[str, str]] = []
    if can_book:
        offered = [
            {"value": s["start"].isoformat(), "label": span_label(s["start"], s["end"], tz)}
            for s in slots_for(ticket, now=utcnow(), settings=settings)
        ]
    return {"window_label": window, "can_book": can_book, "offered": offered, "booking_tz": tz}
