"""Does a rule match: its conditions over a ticket's facts, all or any. Pure (the facts are a
plain dict built by ``facts.py``), so the live run and the dry run cannot judge differently.

A fact that is absent (no asset, no rating) is None: it equals nothing, is in nothing, and
``ne`` / ``not_in`` / ``not_contains`` hold for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _within(at: datetime, zone: str, bounds: Sequence[str]) -> bool:
    """``at`` as a clock time in ``zone`` lies in [from, until); a span whose end is before
    its start runs past midnight (22:00-06:00 is the night)."""
    local = at.astimezone(ZoneInfo(zone)).time().replace(second=0, microsecond=0)
    start, end = _clock(bounds[0]), _clock(bounds[1])
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def _lower(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def holds(cond: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """One condition (already checked by ``catalog.check_rule``) against the facts."""
    op = cond["op"]
    fact = facts.get(cond["field"])
    value: Any = cond.get("value")
    if op in ("between", "not_between"):
        inside = fact is not None and _within(fact, cond["zone"], value)
        return inside if op == "between" else not inside
    if op == "is_set":
        return fact is not None and fact != ""
    if op == "is_not_set":
        return fact is None or fact == ""
    if op == "is_empty":
        return not fact
    if op == "is_not_empty":
        return bool(fact)
    if op == "eq":
        return fact is not None and _lower(fact) == _lower(value)
    if op == "ne":
        return fact is None or _lower(fact) != _lower(value)
    if op == "in":
        return fact is not None and fact in value
    if op == "not_in":
        return fact is None or fact not in value
    if op in ("contains", "not_contains"):
        if isinstance(fact, str):
            found = _lower(value) in _lower(fact)
        else:
            found = fact is not None and value in fact
        return found if op == "contains" else not found
    if op == "any_of":
        return fact is not None and bool(set(fact) & set(value))
    ordered = {"lt": "__lt__", "lte": "__le__", "gt": "__gt__", "gte": "__ge__"}
    if op in ordered and fact is not None:
        return bool(getattr(fact, ordered[op])(value))
    return False


def matches(match: str, conditions: Sequence[Mapping[str, Any]], facts: Mapping[str, Any]) -> bool:
    """All (or any) of the conditions hold; a rule without conditions always matches."""
    if not conditions:
        return True
    results = (holds(c, facts) for c in conditions)
    return any(results) if match == "any" else all(results)
