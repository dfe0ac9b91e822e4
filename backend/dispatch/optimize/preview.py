"""The preview a dispatcher approves, its fingerprint, and what changed since. PURE.

A plan is a proposal: the dispatcher reads every change (from -> to, ETA, travel, SLA
effect) and every ticket left out with its reason, then applies it. Solving again at apply
time would apply a *different* plan (the search is time-boxed, positions move), so apply
carries out exactly the moves the preview listed, and only while the inputs the preview was
made from are unchanged. The preview therefore carries

- ``inputs``: one short digest per planned ticket and engineer (and one for the request's
  scope: day, unpin list), over exactly the facts the plan used;
- ``fingerprint``: a digest over ``inputs`` and the moves (ticket, engineer, ETA).

Apply recomputes ``inputs`` from the database and answers 409 naming what changed (a ticket
reassigned meanwhile, an engineer gone off duty, a ticket added to the region) instead of
applying a stale plan. An engineer's live position is left out on purpose: phones report it
every few minutes, and a preview that went stale every time a van moved could never be
applied; the ETAs applied are the preview's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backend.dispatch.optimize.model import Plan

SCOPE_KEY = "scope"


def digest(*values: Any) -> str:
    """A short stable digest of plain values (16 hex digits: collisions are not a concern at
    a few hundred entities, and the preview stays small)."""
    raw = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


Move = tuple[str, str, str]  # ticket id, engineer id, ETA (ISO 8601, as the preview gave it)


def fingerprint(inputs: Mapping[str, str], moves: Sequence[Move]) -> str:
    raw = json.dumps([sorted(inputs.items()), sorted(moves)], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Current:
    """What the preview shows about a planned ticket as it is now."""

    number: str
    assignee_id: str | None
    respond_by: str | None
    resolve_by: str | None
    window_start: str | None = None
    window_end: str | None = None


def describe(
    result: Plan,
    current: Mapping[str, Current],
    pins: Mapping[str, str],
    lifted: Mapping[str, str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Move]]:
    """(changes, unassigned, moves): one change per planned ticket in route order, with its
    current and planned engineer, ETA, travel and SLA effect; the tickets left out with the
    engineer they keep; the moves the fingerprint covers."""
    changes: list[dict[str, Any]] = []
    moves: list[Move] = []
    for route in result.routes:
        for s in route.stops:
            now = current[s.task_id]
            if now.assignee_id is None:
                action = "assign"
            elif now.assignee_id == route.engineer_id:
                action = "keep"
            else:
                action = "reassign"
            eta = s.eta.isoformat()
            moves.append((s.task_id, route.engineer_id, eta))
            changes.append(
                {
                    "ticket_id": s.task_id,
                    "number": now.number,
                    "from_engineer_id": now.assignee_id,
                    "to_engineer_id": route.engineer_id,
                    "action": action,
                    "pin": pins.get(s.task_id),
                    "unpinned": s.task_id in lifted,
                    "eta": eta,
                    "finish": s.finish.isoformat(),
                    "travel_min": round(s.travel_min, 1),
                    "travel_km": round(s.travel_km, 2),
                    "breach_min": round(s.breach_min, 1),
                    "sla": "late" if s.breach_min > 0 else "on_time",
                    "respond_by": now.respond_by,
                    "resolve_by": now.resolve_by,
                    "window": window_effect(now, s.window_breach_min),
                    "window_start": now.window_start,
                    "window_end": now.window_end,
                    "window_breach_min": round(s.window_breach_min, 1),
                }
            )
    unassigned = [
        {
            "ticket_id": u.task_id,
            "number": current[u.task_id].number,
            "reason": u.reason,
            "detail": u.detail,
            "assignee_id": current[u.task_id].assignee_id,
            "pin": pins.get(u.task_id),
        }
        for u in result.unassigned
    ]
    return changes, unassigned, moves


def window_effect(now: Current, breach_min: float) -> str:
    """``none`` (no arrival window), ``in_window`` or ``late`` (starts after it ends)."""
    if now.window_start is None:
        return "none"
    return "late" if breach_min > 0 else "in_window"


def summary(result: Plan, changes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts that agree with ``changes`` by construction: ``moves`` is exactly what apply
    will assign, ``unchanged`` the tickets that stay with their engineer (ETA only)."""
    moved = sum(1 for c in changes if c["action"] != "keep")
    return {
        "assigned": len(changes),
        "moves": moved,
        "unchanged": len(changes) - moved,
        "pinned": sum(1 for c in changes if c["pin"]),
        "unassigned": len(result.unassigned),
        "breaches": result.breaches,
        "window_breaches": result.window_breaches,
        "travel_km": result.travel_km,
        "solve_s": round(result.solve_s, 3),
        "passes": result.passes,
    }


def what_changed(
    before: Mapping[str, str], after: Mapping[str, str], labels: Mapping[str, str]
) -> list[dict[str, str]]:
    """Every input that differs between the preview and now: ``changed``, ``added`` (new in
    the plan's scope, e.g. a ticket created in the region) or ``removed`` (closed, out of
    scope, an engineer deactivated). Keys are ``ticket:<id>``, ``engineer:<id>``, ``scope``."""
    out: list[dict[str, str]] = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key):
            continue
        kind, _, ident = key.partition(":")
        change = "added" if key not in before else "removed" if key not in after else "changed"
        out.append(
            {"kind": kind, "id": ident, "label": labels.get(key, ident or kind), "change": change}
        )
    return out
