"""Extension points other features plug into, so workorders never imports them.

Hooks run inside the caller's transaction (flush only, no I/O). A feature registers its hooks
in its ``wiring.py``, which ``backend.models`` imports at start-up.

- ``completion_guards``: ``guard(ticket) -> list[str]`` of what is still missing before
  ``complete`` (e.g. ``"signature"``); any non-empty answer refuses the transition with 409.
- ``after_create``, ``after_assign``, ``after_transition``: ``hook(ticket, event)``.
- ``skill_checks``: ``check(codes)`` raises ``Invalid`` for required skill codes nobody
  defined (dispatch owns skills); ``update_ticket`` runs it, so REST and sync edits both do.
- ``phone_context``: ``contribute(tickets) -> {ticket_id: {key: value}}``, what the engineer's
  phone needs beside a page of synced tickets (e.g. the completion requirements); called once
  per pull page, so a contributor must not query per ticket.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.workorders.models import Ticket, TicketEvent

Guard = Callable[["Ticket"], list[str]]
Hook = Callable[["Ticket", "TicketEvent"], Any]
Contributor = Callable[[Sequence["Ticket"]], dict[uuid.UUID, dict[str, Any]]]
SkillCheck = Callable[[Sequence[str]], Any]

completion_guards: list[Guard] = []
after_create: list[Hook] = []
after_assign: list[Hook] = []
after_transition: list[Hook] = []
phone_context: list[Contributor] = []
skill_checks: list[SkillCheck] = []


def register(hooks: list[Any], fn: Any) -> Any:
    """Add ``fn`` once (re-imports during tests must not register twice)."""
    key = (getattr(fn, "__module__", None), getattr(fn, "__qualname__", None))
    if all(
        (getattr(h, "__module__", None), getattr(h, "__qualname__", None)) != key for h in hooks
    ):
        hooks.append(fn)
    return fn


def run(hooks: list[Hook], ticket: Ticket, event: TicketEvent) -> None:
    for hook in list(hooks):
        hook(ticket, event)
