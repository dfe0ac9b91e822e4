"""Checklist definitions and answers: the rules, pure (no database, no Flask).

A checklist is a list of sections, each a list of typed items. This module is the one owner of
what a well-formed definition is (``definition_errors``: every problem named by its path, e.g.
``sections.0.items.2.max``) and of what an answer means (``check_answer``: refused, accepted,
or accepted but *failed*, e.g. a number outside its allowed range), and of which items a set of
answers leaves required and missing (``evaluate``). The REST views, the sync mutation, the
completion gate and the reports all ask these functions, so they cannot disagree.

Item types and their answer values:

==============  =========================================================================
``yes_no``      ``"yes"``, ``"no"`` or ``"na"`` (not applicable)
``number``      a finite number; outside ``[min, max]`` (either bound optional) it *fails*
``single_choice`` one of ``choices``
``multi_choice``  a non-empty list of distinct ``choices``
``text``        a non-empty string (at most ``TEXT_MAX`` characters)
``photo``       the id (UUID string) of a photo of the job
``meter``       a reading: a finite number >= 0, in ``unit``
``signature``   ``{"signer_name": ..., "strokes": [[[x, y], ...], ...]}`` of a second person
==============  =========================================================================

``show_if = {"item": key, "any_of": [values]}`` shows an item only when an *earlier* item is shown
and its answer is one of ``values`` (for a multiple choice: any chosen value is). Conditions
only point backwards, so one pass in order decides every item and a cycle cannot be written.
A hidden item is neither required nor failed, whatever answer it holds.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ITEM_TYPES = (
    "yes_no",
    "number",
    "single_choice",
    "multi_choice",
    "text",
    "photo",
    "meter",
    "signature",
)
YES_NO = ("yes", "no", "na")
CHOICE_TYPES = ("single_choice", "multi_choice")
# Types whose answer a condition may test (a value from a known, small set).
CONDITION_TYPES = ("yes_no", *CHOICE_TYPES)
UNIT_TYPES = ("number", "meter")

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_SECTIONS = 50
MAX_ITEMS = 300
MAX_CHOICES = 50
TEXT_MAX = 5000
NUMBER_LIMIT = 1e12


@dataclass
class Errors:
    """Problems keyed by the path of the offending field (``sections.0.items.2.max``)."""

    by_path: dict[str, list[str]] = field(default_factory=dict)

    def add(self, path: str, message: str) -> None:
        self.by_path.setdefault(path, []).append(message)


def items_of(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every item in order, across sections."""
    return [item for section in definition.get("sections", []) for item in section["items"]]


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= NUMBER_LIMIT
    )


def definition_errors(definition: Mapping[str, Any]) -> dict[str, list[str]]:
    """What is wrong with a definition whose *shape* is already checked (the marshmallow
    schema: types, lengths): the rules between fields. Empty when it is well formed."""
    errors = Errors()
    seen: dict[str, dict[str, Any]] = {}
    count = 0
    for s, section in enumerate(definition.get("sections", [])):
        for i, item in enumerate(section.get("items", [])):
            count += 1
            _check_item(item, f"sections.{s}.items.{i}", seen, errors)
            seen.setdefault(item["key"], item)
    if count > MAX_ITEMS:
        errors.add("sections", f"at most {MAX_ITEMS} items in a checklist ({count} given)")
    return errors.by_path


def _check_item(
    item: Mapping[str, Any], path: str, seen: Mapping[str, Mapping[str, Any]], errors: Errors
) -> None:
    kind, key = item["type"], item["key"]
    if key in seen:
        errors.add(f"{path}.key", f"duplicate item key {key!r}")
    for name in ("min", "max"):
        if item.get(name) is not None and kind != "number":
            errors.add(f"{path}.{name}", f"only a number item has a range, not {kind}")
    low, high = item.get("min"), item.get("max")
    if low is not None and high is not None and low > high:
        errors.add(f"{path}.max", f"must be at least min ({low})")
    if item.get("unit") and kind not in UNIT_TYPES:
        errors.add(f"{path}.unit", f"only number and meter items have a unit, not {kind}")
    choices = item.get("choices")
    if kind in CHOICE_TYPES:
        if not choices:
            errors.add(f"{path}.choices", f"a {kind} item needs at least one choice")
        elif len(set(choices)) != len(choices):
            errors.add(f"{path}.choices", "choices must be distinct")
    elif choices:
        errors.add(f"{path}.choices", f"only choice items have choices, not {kind}")
    condition = item.get("show_if")
    if condition is not None:
        _check_condition(condition, f"{path}.show_if", seen, errors)


def _check_condition(
    condition: Mapping[str, Any],
    path: str,
    seen: Mapping[str, Mapping[str, Any]],
    errors: Errors,
) -> None:
    target = seen.get(condition["item"])
    if target is None:
        errors.add(
            f"{path}.item",
            f"no earlier item has key {condition['item']!r} (a condition looks back only)",
        )
        return
    if target["type"] not in CONDITION_TYPES:
        errors.add(
            f"{path}.item",
            f"a condition tests a yes/no or choice item; {condition['item']!r} is {target['type']}",
        )
        return
    allowed = YES_NO if target["type"] == "yes_no" else tuple(target.get("choices") or ())
    wrong = [v for v in condition["any_of"] if v not in allowed]
    if wrong:
        errors.add(
            f"{path}.any_of",
            f"{', '.join(map(repr, wrong))} never answers {condition['item']!r}; "
            f"use {', '.join(allowed)}",
        )


# ---- answers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """An answer checked against its item: ``failed`` when it is accepted but out of the
    allowed range (kept, listed as failed, never refused)."""

    value: Any
    failed: bool = False


class AnswerRefused(ValueError):
    """The value can never answer the item (wrong type, unknown choice): a 422."""


def check_answer(item: Mapping[str, Any], value: Any) -> Checked:
    kind = item["type"]
    label = item["key"]
    if kind == "yes_no":
        if value not in YES_NO:
            raise AnswerRefused(f"{label}: answer yes, no or na")
        return Checked(value)
    if kind == "number":
        if not _is_number(value):
            raise AnswerRefused(f"{label}: answer a number")
        low, high = item.get("min"), item.get("max")
        failed = (low is not None and value < low) or (high is not None and value > high)
        return Checked(value, failed=bool(failed))
    if kind == "meter":
        if not _is_number(value) or value < 0:
            raise AnswerRefused(f"{label}: answer the meter reading, a number >= 0")
        return Checked(value)
    if kind == "single_choice":
        if not isinstance(value, str) or value not in item["choices"]:
            raise AnswerRefused(f"{label}: answer one of {', '.join(item['choices'])}")
        return Checked(value)
    if kind == "multi_choice":
        if (
            not isinstance(value, list)
            or not value
            or any(not isinstance(v, str) or v not in item["choices"] for v in value)
            or len(set(value)) != len(value)
        ):
            raise AnswerRefused(
                f"{label}: answer a list of distinct choices from {', '.join(item['choices'])}"
            )
        return Checked(value)
    if kind == "text":
        if not isinstance(value, str) or not value.strip() or len(value) > TEXT_MAX:
            raise AnswerRefused(f"{label}: answer a text of 1 to {TEXT_MAX} characters")
        return Checked(value)
    if kind == "photo":
        try:
            return Checked(str(uuid.UUID(str(value))))
        except ValueError:
            raise AnswerRefused(f"{label}: answer the id of a photo of this job") from None
    if kind == "signature":
        name = value.get("signer_name") if isinstance(value, Mapping) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise AnswerRefused(f"{label}: a signature needs signer_name (1 to 200 characters)")
        strokes = _strokes(value.get("strokes") if isinstance(value, Mapping) else None)
        if strokes is None:
            raise AnswerRefused(
                f"{label}: a signature needs strokes: 1 to {MAX_STROKES} lists of [x, y] "
                f"points (numbers 0 to {MAX_COORD}, at most {MAX_POINTS} in all)"
            )
        return Checked({"signer_name": name.strip(), "strokes": strokes})
    raise AnswerRefused(f"{label}: unknown item type {kind!r}")


MAX_STROKES = 50
MAX_POINTS = 2000
MAX_COORD = 10_000


def _strokes(raw: Any) -> list[list[list[float]]] | None:
    """Signature strokes as lists of ``[x, y]`` points, or None when malformed or too big."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_STROKES:
        return None
    out: list[list[list[float]]] = []
    total = 0
    for stroke in raw:
        if not isinstance(stroke, list) or not stroke:
            return None
        points: list[list[float]] = []
        for point in stroke:
            if (
                not isinstance(point, list)
                or len(point) != 2
                or not all(_is_number(c) and 0 <= c <= MAX_COORD for c in point)
            ):
                return None
            points.append([float(point[0]), float(point[1])])
        total += len(points)
        out.append(points)
    return out if total <= MAX_POINTS else None


@dataclass(frozen=True)
class Evaluation:
    """Which items a set of answers shows, leaves missing (required and unanswered) and
    failed, each as item keys in checklist order."""

    visible: list[str]
    missing: list[str]
    failed: list[str]


def visible(item: Mapping[str, Any], answers: Mapping[str, Any], shown: set[str]) -> bool:
    condition = item.get("show_if")
    if condition is None:
        return True
    target = condition["item"]
    if target not in shown or target not in answers:
        return False
    answer = answers[target]
    chosen = answer if isinstance(answer, list) else [answer]
    return any(v in condition["any_of"] for v in chosen)


def evaluate(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> Evaluation:
    """``answers``: item key -> value (values already accepted by ``check_answer``)."""
    shown: set[str] = set()
    order: list[str] = []
    missing: list[str] = []
    failed: list[str] = []
    for item in items_of(definition):
        key = item["key"]
        if not visible(item, answers, shown):
            continue
        shown.add(key)
        order.append(key)
        if key not in answers:
            if item.get("required"):
                missing.append(key)
            continue
        try:
            if check_answer(item, answers[key]).failed:
                failed.append(key)
        except AnswerRefused:  # answered under an older rule: treat as not answered
            if item.get("required"):
                missing.append(key)
    return Evaluation(visible=order, missing=missing, failed=failed)


def answer_text(item: Mapping[str, Any], value: Any) -> str:
    """An accepted answer in words, for reports (a photo and a signature by what they are)."""
    kind = item["type"]
    if kind == "yes_no":
        return {"yes": "yes", "no": "no", "na": "not applicable"}.get(value, str(value))
    if kind in UNIT_TYPES:
        unit = item.get("unit")
        return f"{value:g} {unit}" if unit else f"{value:g}"
    if kind == "multi_choice":
        return ", ".join(value)
    if kind == "photo":
        return "photo taken"
    if kind == "signature":
        return f"signed by {value.get('signer_name', '')}"
    return str(value)


def item_by_key(definition: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    for item in items_of(definition):
        if item["key"] == key:
            return item
    return None


def labels(definition: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    by_key = {item["key"]: item["label"] for item in items_of(definition)}
    return [by_key.get(k, k) for k in keys]
