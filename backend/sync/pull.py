"""Scoped pull (docs/sync-protocol.md): the engineer's changes since a cursor, below the horizon, in
pages.

A change-log row only says "this entity changed"; what the phone receives is decided from the
entity's *current* state: visible to this engineer -> upsert, otherwise -> remove. Evaluating
the current state makes any page size and any interrupted pull converge on the same final
state, and a row that concerns a grant (a job newly assigned to this engineer) brings the job
with all of its children, however old they are.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select, text

from backend.accounts.models import User
from backend.db import db
from backend.sync import changelog
from backend.sync.cursor import Cursor, decode, encode
from backend.sync.entities import children, entities, scope_clause, serialize_many

# One round trip per incremental page: the horizon is read once (an InitPlan, so it bounds
# the index range), and the same horizon serves the page, the tail (the last readable row,
# where the cursor may jump when the page is not full) and the purge mark (reset check).
_HZ = "((SELECT pg_snapshot_xmin(pg_current_snapshot()) FROM (SELECT 1) AS one), 0)"
_AFTER = "(xid, id) > (CAST(:x AS xid8), :i)"
_BELOW = f"(xid, id) < {_HZ}"
_OWN = "xid = pg_current_xact_id_if_assigned()"
_SCOPE = "(is_global OR engineers @> ARRAY[CAST(:u AS uuid)])"
_COLS = "xid, id, entity, entity_id, grants"
INCREMENTAL_SQL = text(
    "SELECT 'p' AS kind, xid::text, id, entity, entity_id, grants FROM ("
    f"(SELECT {_COLS} FROM sync_changes WHERE {_AFTER} AND {_BELOW} AND {_SCOPE}"
    " ORDER BY xid, id LIMIT :n) UNION ALL"
    f" (SELECT {_COLS} FROM sync_changes WHERE {_OWN} AND {_AFTER} AND {_SCOPE}"
    " ORDER BY xid, id LIMIT :n) ORDER BY xid, id LIMIT :n) AS page"
    " UNION ALL SELECT 't', xid::text, id, NULL, NULL, NULL FROM ("
    # No lower bound here: in a backward scan PostgreSQL does not stop on a row comparison,
    # so ``(xid, id) > cursor`` made it walk every row of a large transaction. The caller
    # keeps the cursor when this tail is not past it.
    f"(SELECT xid, id FROM sync_changes WHERE {_BELOW}"
    " ORDER BY xid DESC, id DESC LIMIT 1) UNION ALL"
    f" (SELECT xid, id FROM sync_changes WHERE {_OWN} AND {_AFTER}"
    " ORDER BY xid DESC, id DESC LIMIT 1) ORDER BY xid DESC, id DESC LIMIT 1) AS tail"
    " UNION ALL SELECT 'm', value->>'xid', CAST(value->>'id' AS bigint), NULL, NULL, NULL"
    " FROM sync_meta WHERE key = 'purged_through'"
)
# Where a snapshot's incremental pulling resumes: the last readable row now.
RESUME_SQL = text(
    "SELECT xid::text, id FROM ("
    f"(SELECT xid, id FROM sync_changes WHERE {_BELOW} ORDER BY xid DESC, id DESC LIMIT 1)"
    f" UNION ALL (SELECT xid, id FROM sync_changes WHERE {_OWN}"
    " ORDER BY xid DESC, id DESC LIMIT 1)) AS tail ORDER BY xid DESC, id DESC LIMIT 1"
)


class Changes:
    """Per collection: id -> the entity (upsert) or None (remove). Entities are serialized
    together at the end, so a collection's context is loaded once per page."""

    def __init__(self) -> None:
        self.items: dict[str, dict[uuid.UUID, Any | None]] = defaultdict(dict)

    def upsert(self, name: str, obj: Any) -> None:
        self.items[name][obj.id] = obj

    def remove(self, name: str, entity_id: uuid.UUID) -> None:
        self.items[name][entity_id] = None

    def count(self) -> int:
        return sum(len(v) for v in self.items.values())

    def to_wire(self) -> dict[str, dict[str, list[Any]]]:
        out: dict[str, dict[str, list[Any]]] = {}
        for name in entities():
            got = self.items.get(name, {})
            out[name] = {
                "upserts": serialize_many([v for v in got.values() if v is not None]),
                "removes": [str(k) for k, v in got.items() if v is None],
            }
        return out


def _resume_point() -> Cursor:
    """Where incremental pulling resumes after a snapshot taken from now on."""
    last = db.session.execute(RESUME_SQL).first()
    resume = Cursor(int(last[0]), int(last[1])) if last else Cursor(0, 0)
    purged = changelog.purged_through(db.session())
    if purged is not None and resume.position < purged:
        resume = Cursor(*purged)  # everything up to there is gone: the snapshot covers it
    return resume


def _needs_reset(c: Cursor) -> bool:
    purged = changelog.purged_through(db.session())
    return purged is not None and c.position < purged


def pull(
    user: User, cursor: str | None, limit: int, client_id: str | None = None
) -> dict[str, Any]:
    reset = False
    page: tuple[Changes, Cursor, bool] | None = None
    if cursor is None:
        c, reset = _start_snapshot(), True
    else:
        c = decode(cursor)
        if c.in_snapshot:
            if _needs_reset(c):
                c, reset = _start_snapshot(), True
        else:
            page = _incremental_page(user, c, limit)
            if page is None:  # the cursor points into purged history
                c, reset = _start_snapshot(), True
    if page is None:
        page = _snapshot_page(user, c, limit)
    changes, next_cursor, has_more = page
    last_mutation_id = _settled_mutation(user, client_id) if client_id else None
    return {
        "cursor": encode(next_cursor),
        "has_more": has_more,
        "reset": reset,
        "last_mutation_id": last_mutation_id,
        "changes": changes.to_wire(),
        # Collections whose records belong to a ticket: removing a ticket drops them too.
        "ticket_scoped": [e.name for e in children()],
    }


# The client's last mutation, once its push transaction lies below the horizon: this pull
# then holds its effect (or the reader's own transaction wrote it, in tests). Earlier, the
# answer is null and the app keeps its acknowledged mutations drawn over the pulled state.
SETTLED_SQL = text(
    "SELECT last_mutation_id FROM sync_clients WHERE user_id = :u AND client_id = :c"
    " AND (last_mutation_xid IS NULL"
    " OR last_mutation_xid < pg_snapshot_xmin(pg_current_snapshot())"
    " OR last_mutation_xid = pg_current_xact_id_if_assigned())"
)


def _settled_mutation(user: User, client_id: str) -> str | None:
    """``last_mutation_id`` as the app may act on it: dropping every acknowledged mutation up
    to it from its queue. Too early (the push committed but the horizon still holds its rows
    back) the job would be drawn as it was before, under the engineer's finger."""
    found = db.session.execute(SETTLED_SQL, {"u": user.id, "c": client_id}).scalar()
    return str(found) if found else None


def _start_snapshot() -> Cursor:
    resume = _resume_point()
    return Cursor(resume.xid, resume.id, collection=0, after=None)


def _snapshot_page(user: User, c: Cursor, limit: int) -> tuple[Changes, Cursor, bool]:
    """Every in-scope row, collection by collection in id order. Rows changed meanwhile have
    log rows after the resume point, so the incremental pull that follows fixes them up."""
    changes = Changes()
    names = list(entities())
    k, after = c.collection or 0, c.after
    remaining = limit
    while k < len(names) and remaining > 0:
        ent = entities()[names[k]]
        cls: Any = ent.cls
        stmt = select(cls).where(scope_clause(ent, user.id))
        if after is not None:
            stmt = stmt.where(cls.id > after)
        objs = list(db.session.scalars(stmt.order_by(cls.id).limit(remaining + 1)))
        if len(objs) > remaining:
            objs = objs[:remaining]
            for obj in objs:
                changes.upsert(ent.name, obj)
            return changes, Cursor(c.xid, c.id, k, objs[-1].id), True
        for obj in objs:
            changes.upsert(ent.name, obj)
        remaining -= len(objs)
        k, after = k + 1, None
    if k < len(names):
        return changes, Cursor(c.xid, c.id, k, None), True
    # Snapshot done: one more (incremental) pull picks up what changed while paging.
    return changes, Cursor(c.xid, c.id), True


def _incremental_page(user: User, c: Cursor, limit: int) -> tuple[Changes, Cursor, bool] | None:
    """One page of changes after ``c``; None when ``c`` lies in purged history (reset)."""
    params = {"x": str(c.xid), "i": c.id, "u": str(user.id), "n": limit + 1}
    result = db.session.execute(INCREMENTAL_SQL, params).all()
    mark = next(((int(r[1]), int(r[2])) for r in result if r[0] == "m"), None)
    if mark is not None and c.position < mark:
        return None
    rows = [r for r in result if r[0] == "p"]
    tail = next((r for r in result if r[0] == "t"), None)
    has_more = len(rows) > limit
    rows = rows[:limit]
    touched: dict[str, set[uuid.UUID]] = defaultdict(set)
    granted: set[uuid.UUID] = set()
    for _kind, _xid, _id, entity, entity_id, grants in rows:
        touched[entity].add(entity_id)
        if entity == "tickets" and user.id in (grants or ()):
            granted.add(entity_id)
    changes = _resolve(user, touched, granted) if touched else Changes()
    if has_more:
        return changes, Cursor(int(rows[-1][1]), int(rows[-1][2])), True
    # Everything readable has been seen: jump past rows outside this scope too, so the next
    # pull does not scan them again.
    nxt = Cursor(int(tail[1]), int(tail[2])) if tail else c
    if nxt.position < c.position:
        nxt = c
    return changes, nxt, False


def _resolve(user: User, touched: dict[str, set[uuid.UUID]], granted: set[uuid.UUID]) -> Changes:
    """Turn "these entities changed" into upserts/removes from their current state."""
    from backend.workorders.models import Ticket

    changes = Changes()
    registry = entities()
    loaded: dict[str, list[Any]] = {}
    for name, entity_ids in touched.items():
        ent = registry.get(name)
        if ent is None:
            continue
        cls: Any = ent.cls
        loaded[name] = list(db.session.scalars(select(cls).where(cls.id.in_(entity_ids))))
        for missing in entity_ids - {o.id for o in loaded[name]}:
            changes.remove(name, missing)  # deleted: tombstone
    parent_ids = {
        o.ticket_id for name, objs in loaded.items() if registry[name].ticket_child for o in objs
    }
    owners: dict[uuid.UUID, uuid.UUID | None] = {}
    if parent_ids:
        owners = dict(
            db.session.execute(
                select(Ticket.id, Ticket.assignee_id).where(Ticket.id.in_(parent_ids))
            ).all()
        )
    removed_tickets: set[uuid.UUID] = set(changes.items.get("tickets", {}))
    delivered: set[uuid.UUID] = set()
    for name, objs in loaded.items():
        ent = registry[name]
        for obj in objs:
            if _visible(ent, obj, user.id, owners):
                changes.upsert(name, obj)
                if ent.scope == "assignee" and obj.id in granted:
                    delivered.add(obj.id)
            else:
                changes.remove(name, obj.id)
                if ent.scope == "assignee":
                    removed_tickets.add(obj.id)
    for child in children():
        child_cls: Any = child.cls
        if delivered:
            stmt = select(child_cls).where(child_cls.ticket_id.in_(delivered))
            for obj in db.session.scalars(stmt):
                changes.upsert(child.name, obj)
        if removed_tickets:
            ids_stmt = select(child_cls.id).where(child_cls.ticket_id.in_(removed_tickets))
            for cid in db.session.scalars(ids_stmt):
                changes.remove(child.name, cid)
    return changes


def _visible(ent: Any, obj: Any, user_id: uuid.UUID, owners: dict[uuid.UUID, Any]) -> bool:
    if ent.scope == "assignee":
        return bool(obj.assignee_id == user_id)
    if ent.scope == "ticket":
        return owners.get(obj.ticket_id) == user_id
    if ent.scope == "global":
        return True
    if ent.scope == "engineer":
        return bool(getattr(obj, ent.attr) == user_id)
    return user_id in set(obj.sync_engineers())
