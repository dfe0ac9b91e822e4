"""Pure rules of the stock ledger (no database): what kind a movement is, and when a level
change deserves a low-stock notice."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from backend.errors import Invalid


@dataclass(frozen=True)
class _Shape:
    """Which locations a movement kind takes, and what to say when a movement has others."""

    fits: Callable[[bool, bool], bool]  # (has a source, has a destination)
    message: str
    field: str
    problem: str


_LOCATIONS = {
    "receipt": _Shape(
        lambda src, dst: dst and not src,
        "a receipt brings stock in: give only to_location_id",
        "from_location_id", "not allowed for a receipt",
    ),
    "transfer": _Shape(
        lambda src, dst: src and dst,
        "a transfer needs both from_location_id and to_location_id",
        "to_location_id", "required for a transfer",
    ),
    "return": _Shape(
        lambda src, dst: dst,
        "a return needs to_location_id (where the part goes back to)",
        "to_location_id", "required for a return",
    ),
    "consumption": _Shape(
        lambda src, dst: src and not dst,
        "consumption takes stock out of one location: give only from_location_id",
        "to_location_id", "not allowed for consumption",
    ),
}  # fmt: skip


def classify_movement(
    kind: str | None,
    from_location_id: uuid.UUID | None,
    to_location_id: uuid.UUID | None,
    reason: str | None,
) -> str:
    """Check that the locations fit the movement kind, inferring the kind when omitted
    (both locations: transfer; only a destination: receipt). Stock that just disappears or
    appears outside a receipt is an adjustment and must say why."""
    has_from, has_to = from_location_id is not None, to_location_id is not None
    if not (has_from or has_to):
        raise Invalid(
            "a movement needs from_location_id, to_location_id or both",
            errors={"to_location_id": ["give a source, a destination or both"]},
        )
    if has_from and has_to and from_location_id == to_location_id:
        raise Invalid(
            "from_location_id and to_location_id are the same location",
            errors={"to_location_id": ["must differ from from_location_id"]},
        )
    if kind is None:
        if has_from and has_to:
            return "transfer"
        if has_to:
            return "receipt"
        raise Invalid(
            "stock leaving a location without a destination is an adjustment: "
            "send kind 'adjustment' and a reason (or record consumption on the ticket)",
            errors={"kind": ["required when only from_location_id is given"]},
        )
    shape = _LOCATIONS.get(kind)
    if shape is not None and not shape.fits(has_from, has_to):
        raise Invalid(shape.message, errors={shape.field: [shape.problem]})
    if kind == "adjustment":
        if has_from and has_to:
            raise Invalid(
                "an adjustment changes one location: give from_location_id (decrease) "
                "or to_location_id (increase), not both",
                errors={"to_location_id": ["only one location for an adjustment"]},
            )
        if not (reason and reason.strip()):
            raise Invalid("an adjustment needs a reason", errors={"reason": ["required"]})
    return kind


def crossed_below(
    before: Decimal, after: Decimal, minimum: Decimal, *, strict: bool = False
) -> bool:
    """Whether the level went from above the threshold to at-or-below it (``strict``: to
    strictly below). Only the crossing notifies, so a van at its minimum does not raise a
    notice on every further part used."""
    if strict:
        return before >= minimum > after
    return before > minimum >= after
