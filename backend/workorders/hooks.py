"""Extension points other features plug into, so workorders never imports them.

Hooks run inside the caller's transaction (flush only, no I/O). A feature registers its hooks
in its ``wiring.py``, which ``backend.models`` imports at start-up, with ``backend.hooks``
(the one hook mechanism; ``register`` and ``run`` are re-exported here).

- ``completion_guards``: ``guard(ticket) -> list[str]`` of what is still missing before
  ``complete`` (e.g. ``"signature"``); any non-empty answer refuses the transition with 409.
- ``after_create``, ``after_assign``, ``after_transition``: ``hook(ticket, event)``.
- ``on_event``: ``hook(ticket, event)`` for every line of the audit trail as
  ``audit.record_event`` queues it (creation, transitions, assignments and activities: parts
  used, ratings, sign-offs, SLA changes), so a feature that follows everything a ticket goes
  through (webhooks) has one place to listen. Savepoint semantics as for the audit rows: what
  it adds to the session in a savepoint that rolls back goes with it.
- ``skill_checks``: ``check(codes)`` raises ``Invalid`` for required skill codes nobody
  defined (dispatch owns skills); ``update_ticket`` runs it, so REST and sync edits both do.
- ``phone_context``: ``contribute(tickets) -> {ticket_id: {key: value}}``, what the engineer's
  phone needs beside a page of synced tickets (e.g. the completion requirements); called once
  per pull page, so a contributor must not query per ticket. Register beside it, in
  ``phone_context_schemas``, the marshmallow schema of the keys it adds (for the document).
- ``regions_at``: ``locate(point) -> [region_id, ...]``, the regions whose area contains a
  ticket's location (dispatch owns regions; the answers of all locators are merged).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from geoalchemy2 import WKBElement

from backend.hooks import register, run

if TYPE_CHECKING:
    from backend.workorders.models import Ticket, TicketEvent

Guard = Callable[["Ticket"], list[str]]
Hook = Callable[["Ticket", "TicketEvent"], Any]
Contributor = Callable[[Sequence["Ticket"]], dict[uuid.UUID, dict[str, Any]]]
SkillCheck = Callable[[Sequence[str]], Any]
Locator = Callable[[WKBElement], list[uuid.UUID]]

completion_guards: list[Guard] = []
after_create: list[Hook] = []
after_assign: list[Hook] = []
after_transition: list[Hook] = []
on_event: list[Hook] = []
phone_context: list[Contributor] = []
phone_context_schemas: list[type] = []
regions_at: list[Locator] = []
skill_checks: list[SkillCheck] = []


__all__ = [
    "after_assign",
    "after_create",
    "after_transition",
    "completion_guards",
    "on_event",
    "phone_context",
    "phone_context_schemas",
    "regions_at",
    "register",
    "run",
    "skill_checks",
]
