"""The change log: one row per insert/update/delete of a ``SyncTracked`` row, written by a
flush listener in the same transaction, so a change and its log row commit (or vanish)
together. Nothing else needs to remember to write it.

Reading it follows docs/sync-protocol.md: rows are ordered by ``(xid, id)`` and only rows whose
transaction id is below the *horizon* are read. The horizon is the oldest transaction still running
at the reader's snapshot; below it no transaction can still commit, so no row can appear later
behind a cursor (a plain sequence or a clock cannot promise that)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from backend.db import SyncTracked, utcnow, within_transaction
from backend.sync.entities import Entity, engineers_of, entity_for
from backend.sync.models import SyncMeta, sync_changes

# The horizon of docs/sync-protocol.md: the oldest transaction still running for this snapshot.
# Rows below it can no longer change; rows at or above it are not read yet.
HORIZON_SQL = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")

# Which rows a reader may read: below the horizon (an index range bounded on both sides, so rows
# of still-running transactions are not even visited), plus rows written by the reader's own
# transaction (a transaction sees its own writes). A pull never writes, so in production the
# second half is empty and this is exactly docs/sync-protocol.md's ``xid < horizon``; the test
# suite runs each test in one rolled-back transaction and could otherwise never read what it just
# wrote.
BELOW_HORIZON = "(xid, id) < (CAST(:h AS xid8), 0)"
OWN_WRITES = "xid = pg_current_xact_id_if_assigned()"
READABLE = f"({BELOW_HORIZON} OR {OWN_WRITES})"


def _old_and_new(obj: Any, attr: str) -> set[uuid.UUID]:
    hist = inspect(obj).attrs[attr].history
    values = {*hist.added, *hist.deleted, *hist.unchanged}
    if not values:
        values = {getattr(obj, attr)}
    return {v for v in values if v}


def _grants(obj: Any, attr: str, is_new: bool) -> set[uuid.UUID]:
    hist = inspect(obj).attrs[attr].history
    if is_new:
        value = getattr(obj, attr)
        return {value} if value else set()
    return {v for v in hist.added if v}


def _row(entity: Entity, obj: Any, op: str, is_new: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "entity": entity.name,
        "entity_id": obj.id,
        "op": op,
        "ticket_id": None,
        "engineers": [],
        "grants": [],
        "is_global": entity.scope == "global",
    }
    if entity.scope == "assignee":
        row["ticket_id"] = obj.id
        row["engineers"] = sorted(_old_and_new(obj, "assignee_id"))
        row["grants"] = sorted(_grants(obj, "assignee_id", is_new))
    elif entity.scope == "ticket":
        row["ticket_id"] = obj.ticket_id
    elif entity.scope == "engineer" and entity.attr:
        row["engineers"] = sorted(_old_and_new(obj, entity.attr))
        row["grants"] = sorted(_grants(obj, entity.attr, is_new))
        row["ticket_id"] = getattr(obj, "ticket_id", None)
    elif entity.scope == "custom":
        row["engineers"] = sorted(engineers_of(entity, obj))
    return row


def rows_for_flush(session: Session) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for objs, op, is_new in (
        (session.new, "u", True),
        (session.dirty, "u", False),
        (session.deleted, "d", False),
    ):
        for obj in objs:
            if not isinstance(obj, SyncTracked):
                continue
            if op == "u" and not is_new and not session.is_modified(obj):
                continue
            entity = entity_for(obj)
            if entity is not None:
                rows.append(_row(entity, obj, op, is_new))
    return rows


_PENDING = "fieldops_sync_changes"


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: Any) -> None:
    """Compute the rows now (attribute history, e.g. the old assignee, exists only during the
    flush) and remember in which (sub)transaction they were made; they are written just
    before the commit, in one statement, in the same transaction."""
    _queue(session, rows_for_flush(session))


def _queue(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        tx = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(_PENDING, []).extend((tx, r) for r in rows)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is released, the transaction goes on: write at the real commit
    write_pending(session)


def write_pending(session: Session) -> None:
    """Flush, then write the log rows gathered so far (normally called by the commit)."""
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if pending:
        write_rows(session, [r for _tx, r in pending])


@event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    """A rolled-back savepoint takes its changes with it: forget their log rows too."""
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [
            (tx, r) for tx, r in pending if not within_transaction(tx, previous_transaction)
        ]


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the whole transaction is over: nothing may linger
        session.info.pop(_PENDING, None)


def write_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    conn = session.connection()
    # Ticket children concern the ticket's assignee (tombstones included). A ticket's own row
    # already names its assignees (none: unassigned), so only children need a look-up, and
    # a ticket loaded in this session answers from memory instead of another round trip.
    from backend.workorders.models import Ticket

    wanted = {
        r["ticket_id"]
        for r in rows
        if r["ticket_id"] and not r["engineers"] and r["entity"] != Ticket.__sync_entity__
    }
    owners: dict[Any, Any] = {}
    mapper = inspect(Ticket)
    for ticket_id in list(wanted):
        loaded = session.identity_map.get(mapper.identity_key_from_primary_key((ticket_id,)))
        if loaded is not None and "assignee_id" in loaded.__dict__:
            owners[ticket_id] = loaded.assignee_id
            wanted.discard(ticket_id)
    if wanted:
        table = Ticket.__table__
        query = select(table.c.id, table.c.assignee_id).where(table.c.id.in_(wanted))
        owners.update((tid, owner) for tid, owner in conn.execute(query))
    for r in rows:
        owner = owners.get(r["ticket_id"]) if r["ticket_id"] else None
        if owner and not r["engineers"] and r["entity"] != Ticket.__sync_entity__:
            r["engineers"] = [owner]
    conn.execute(sync_changes.insert(), rows)


def record(
    entity: str,
    entity_ids: list[uuid.UUID],
    *,
    session: Session,
    engineers: list[uuid.UUID] | None = None,
    ticket_id: uuid.UUID | None = None,
    deleted: bool = False,
    is_global: bool = False,
) -> None:
    """For writers that bypass the ORM unit of work (bulk UPDATE/INSERT, an upsert on a
    synced table): log the rows by hand. They join the flush listener's rows, in order, in
    the same transaction: written in the one INSERT before the commit, and forgotten with
    the savepoint they were recorded in if it rolls back."""
    if not entity_ids:
        return
    _queue(
        session,
        [
            {
                "entity": entity,
                "entity_id": eid,
                "op": "d" if deleted else "u",
                "ticket_id": ticket_id,
                "engineers": engineers or [],
                "grants": [],
                "is_global": is_global,
            }
            for eid in entity_ids
        ],
    )


def horizon(session: Session) -> int:
    return int(session.execute(HORIZON_SQL).scalar_one())


def purged_through(session: Session) -> tuple[int, int] | None:
    meta = session.get(SyncMeta, "purged_through")
    if meta is None or not meta.value:
        return None
    return int(meta.value["xid"]), int(meta.value["id"])


PURGE_BATCH = 5_000


def purge(session: Session, retention: timedelta, *, batch_size: int = PURGE_BATCH) -> int:
    """Delete change-log rows (tombstones included) older than ``retention``. A prefix in
    ``(xid, id)`` order is removed and remembered, so a cursor inside it answers ``reset``.

    In batches of ``batch_size`` old rows, each deleted and committed in its own short
    transaction: one DELETE of a month of history held its locks, and the cluster-wide sync
    horizon, for as long as it ran, so every engineer's pull stood still meanwhile. The
    remembered mark moves with each batch, so stopping half way leaves a consistent log."""
    cutoff = utcnow() - retention
    total = 0
    while True:
        h = horizon(session)
        last = session.execute(
            text(
                "SELECT xid::text, id, count(*) OVER () FROM (SELECT xid, id FROM sync_changes"
                f" WHERE at < :cutoff AND {READABLE} ORDER BY xid, id LIMIT :n) AS batch"
                " ORDER BY xid DESC, id DESC LIMIT 1"
            ),
            {"cutoff": cutoff, "h": str(h), "n": batch_size},
        ).first()
        if last is None:
            session.commit()
            return total
        x, i, found = int(last[0]), int(last[1]), int(last[2])
        deleted = (
            session.connection()
            .execute(
                text("DELETE FROM sync_changes WHERE (xid, id) <= (CAST(:x AS xid8), :i)"),
                {"x": str(x), "i": i},
            )
            .rowcount
        )
        meta = session.get(SyncMeta, "purged_through") or SyncMeta(key="purged_through")
        meta.value = {"xid": str(x), "id": i}
        session.add(meta)
        session.commit()
        total += int(deleted or 0)
        if found < batch_size:
            return total
