"""The stock ledger: one movement appended, the levels it touches changed under row locks.

Concurrency: every movement locks the level rows it touches, in location-id order so two
transfers in opposite directions cannot deadlock, and writes the movement and the new levels
in the caller's transaction. A concurrent movement on the same (part, location) waits for the
lock and then works on the committed value, so no update is ever lost.

A level changes in one statement: ``INSERT ... ON CONFLICT DO UPDATE SET quantity = quantity +
delta RETURNING``. The upsert takes the same row lock ``SELECT ... FOR UPDATE`` took (a
concurrent writer waits, then adds to the committed value), creates a missing level, and
returns the new quantity together with the location's low-stock threshold, so the
negative-stock flag and the notices need no further read. Only a movement that must not take
a location below zero (staff, online) reads the locked level first, to refuse before it writes.

The upsert bypasses the ORM unit of work, so its change-log row is queued by hand
(``changelog.record``) and a level already loaded in the session is updated in place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, attributes

from backend.accounts.models import Role, User
from backend.db import db, get_or_404, utcnow
from backend.errors import Conflict, Invalid, NotFound
from backend.notify.operations import notify
from backend.parts.models import (
    MOVEMENT_KINDS,
    Part,
    StockLevel,
    StockLocation,
    StockMovement,
    StockThreshold,
)
from backend.parts.rules import classify_movement, crossed_below
from backend.sync import changelog

_PINNED = "fieldops_parts_pinned"
LEVELS = cast(Table, StockLevel.__table__)


P = TypeVar("P", Part, StockLocation)


def _pin(obj: P) -> P:
    """Keep a catalog row alive until the transaction ends. The session's identity map holds
    objects weakly, so the part and the van of a consumption were read again for every
    mutation of a sync push; pinned, ``session.get`` answers from memory (it would return the
    same loaded object without refreshing it anyway)."""
    db.session().info.setdefault(_PINNED, set()).add(obj)
    return obj


@event.listens_for(Session, "after_transaction_end")
def _unpin(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PINNED, None)


def get_part(part_id: uuid.UUID) -> Part:
    return _pin(get_or_404(Part, part_id, label="part", field="part_id"))


def get_location(location_id: uuid.UUID) -> StockLocation:
    location = db.session.get(StockLocation, location_id)
    if location is None:
        raise NotFound(
            f"stock location {location_id} not found", errors={"location_id": ["unknown"]}
        )
    return _pin(location)


@dataclass(frozen=True)
class LevelChange:
    location: StockLocation
    before: Decimal
    after: Decimal
    # The location's own threshold for the part (None: the part's default applies).
    threshold: Decimal | None


def post_movement(
    *,
    actor: User | None,
    part_id: uuid.UUID,
    quantity: Decimal,
    from_location_id: uuid.UUID | None = None,
    to_location_id: uuid.UUID | None = None,
    kind: str | None = None,
    reason: str | None = None,
    ticket_id: uuid.UUID | None = None,
    allow_negative: bool = False,
    via: str = "api",
    occurred_at: datetime | None = None,
) -> StockMovement:
    """Append one movement and update the levels it touches under row locks.

    Staff movements may not take a location below zero (409 with the available quantity):
    they are made online, against levels the dispatcher can see. Consumption passes
    ``allow_negative`` because a phone that was offline reports what was really used."""
    if kind is not None and kind not in MOVEMENT_KINDS:
        raise Invalid(f"unknown movement kind {kind!r}", errors={"kind": list(MOVEMENT_KINDS)})
    quantity = Decimal(quantity)
    if not quantity.is_finite() or quantity <= 0:
        raise Invalid("quantity must be a positive number", errors={"quantity": ["must be > 0"]})
    kind = classify_movement(kind, from_location_id, to_location_id, reason)
    part = get_part(part_id)
    source = get_location(from_location_id) if from_location_id else None
    target = get_location(to_location_id) if to_location_id else None

    deltas = {}
    if source is not None:
        deltas[source.id] = (source, -quantity)
    if target is not None:
        deltas[target.id] = (target, quantity)
    flags: dict[str, object] = {}
    changes: list[LevelChange] = []
    for location_id in sorted(deltas, key=str):  # fixed lock order: no deadlocks
        location, delta = deltas[location_id]
        if delta < 0 and not allow_negative:
            _refuse_if_short(part, location, quantity)
        change = _add_to_level(part.id, location, delta)
        if change.after < 0 and delta < 0:
            flags["negative_stock"] = True
            flags["level_after"] = str(change.after)
        changes.append(change)

    movement = StockMovement(
        id=uuid.uuid4(),
        part_id=part.id,
        kind=kind,
        quantity=quantity,
        from_location_id=from_location_id,
        to_location_id=to_location_id,
        reason=(reason or "").strip() or None,
        ticket_id=ticket_id,
        actor_id=actor.id if actor else None,
        via=via,
        flags=flags,
        occurred_at=occurred_at,
    )
    db.session.add(movement)
    db.session.flush()
    for change in changes:
        _notify_low_stock(part, change, movement)
    return movement


def _refuse_if_short(part: Part, location: StockLocation, quantity: Decimal) -> None:
    """Lock the level and refuse (409, nothing written) if it holds less than ``quantity``.
    A missing level holds nothing; the upsert that follows creates it."""
    level = LEVELS
    available = db.session.execute(
        select(level.c.quantity)
        .where(level.c.part_id == part.id, level.c.location_id == location.id)
        .with_for_update()
    ).scalar()
    available = Decimal(0) if available is None else available
    if available - quantity < 0:
        raise Conflict(
            f"not enough {part.sku} at {location.name}: {available.normalize()} available, "
            f"{quantity.normalize()} requested",
            available=float(available),
        )


def _level_upsert() -> Any:
    """``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` for one level, built once (building
    it, ``excluded`` especially, cost more than running it)."""
    level = LEVELS
    threshold = (
        select(StockThreshold.min_quantity)
        .where(
            StockThreshold.part_id == bindparam("threshold_part"),
            StockThreshold.location_id == bindparam("threshold_location"),
        )
        .scalar_subquery()
    )
    insert = pg_insert(level)
    return insert.on_conflict_do_update(
        index_elements=[level.c.part_id, level.c.location_id],
        set_={
            "quantity": level.c.quantity + insert.excluded.quantity,
            "updated_at": insert.excluded.updated_at,
        },
    ).returning(level.c.id, level.c.quantity, threshold)


LEVEL_UPSERT = _level_upsert()


def _add_to_level(part_id: uuid.UUID, location: StockLocation, delta: Decimal) -> LevelChange:
    """Add ``delta`` to the (part, location) level in one statement (a missing level starts
    at zero) under the level's row lock, and log the change for the van's phone."""
    now = utcnow()
    row = {
        "id": uuid.uuid4(),
        "part_id": part_id,
        "location_id": location.id,
        "engineer_id": location.engineer_id,
        "quantity": delta,
        "updated_at": now,
        "threshold_part": part_id,
        "threshold_location": location.id,
    }
    session = db.session()
    # On the connection: a Core statement needs none of the ORM's execution machinery.
    level_id, after, minimum = session.connection().execute(LEVEL_UPSERT, row).one()
    loaded = session.identity_map.get(session.identity_key(StockLevel, level_id))
    if loaded is not None:  # keep a level this session holds in step with the row
        attributes.set_committed_value(loaded, "quantity", after)
        attributes.set_committed_value(loaded, "updated_at", now)
    changelog.record(
        StockLevel.__sync_entity__,
        [level_id],
        session=session,
        engineers=[location.engineer_id] if location.engineer_id else [],
    )
    return LevelChange(location, after - delta, after, minimum)


def _notify_low_stock(part: Part, change: LevelChange, movement: StockMovement) -> None:
    """Tell dispatchers when a level crosses its threshold (once per crossing, not on every
    further movement) and when it goes below zero."""
    location, before, after = change.location, change.before, change.after
    data = {
        "part_id": str(part.id),
        "sku": part.sku,
        "location_id": str(location.id),
        "quantity": str(after),
        "movement_id": str(movement.id),
    }
    if crossed_below(before, after, Decimal(0), strict=True):
        notify(
            kind="negative_stock",
            role=Role.DISPATCHER.value,
            title=f"{part.sku} below zero at {location.name}",
            body=f"{part.name}: {after.normalize()} {part.unit} (recorded use exceeds stock)",
            ticket_id=movement.ticket_id,
            data=data,
        )
    minimum = change.threshold if change.threshold is not None else part.min_quantity
    if minimum is not None and crossed_below(before, after, minimum):
        notify(
            kind="low_stock",
            role=Role.DISPATCHER.value,
            title=f"Low stock: {part.sku} at {location.name}",
            body=f"{part.name}: {after.normalize()} {part.unit} left "
            f"(minimum {minimum.normalize()})",
            ticket_id=movement.ticket_id,
            data={**data, "min_quantity": str(minimum)},
        )
