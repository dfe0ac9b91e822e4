"""Keeping ``ticket_facts`` and ``report_rollups`` (and workload's ``ticket_work`` and
``workload_rollups``, backend/reports/work.py, and parts' ``part_rollups``,
part_rollups.py) up to date: the watermark and the catch-up.

The source of changes is the sync change log (``sync_changes``, docs/sync-protocol.md): every
insert or update of a ticket row writes a row there in the same transaction, with the
writer's transaction id, and a ticket's audit events are written in that same transaction. So
"this ticket changed" is read from the log, and the ticket's fact is recomputed from the raw
rows (which makes a late, corrected or reopened event an ordinary change); so are its work
rows, and the days they were and are on are summed again.

The watermark is a position ``(xid, id)`` in the log, read in ``(xid, id)`` order only below
the horizon ``pg_snapshot_xmin`` as sync pull does: a sequence number is allocated at insert,
not at commit, so "every id up to N" can still grow a hole-filler later; a transaction id below
the oldest running one cannot. Everything at or before the watermark is in the facts and
rollups; what came later is read live by the report (``served.py``).

Each batch is its own short transaction (facts, rollup days, watermark commit together), so a
catch-up that stops half way leaves consistent tables and a correct watermark. The whole run
holds a session-level advisory lock: a second run at the same time returns at once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.db import utcnow
from backend.reports.facts import insert_facts, rebuild_days, refresh_facts
from backend.reports.part_rollups import ENTITY as PART_ENTITY
from backend.reports.part_rollups import rebuild_all_parts, refresh_parts
from backend.reports.work import insert_work, rebuild_all_work_days, refresh_work
from backend.sync.changelog import READABLE, horizon, purged_through

log = logging.getLogger(__name__)

STATE = "rollups"
# pg_advisory_lock key of the catch-up ("rprt").
LOCK_KEY = 0x72707274
BATCH = 20_000
REBUILD_CHUNK = timedelta(days=31)

# The change-log entities that change a fact: the ticket row (and its audit trail, written in
# the same transaction) and its sign-off (the rating given with the signature).
ENTITIES = ("tickets", "signoffs")
_ENTITIES = "(" + ", ".join(f"'{e}'" for e in ENTITIES) + ")"
# The ticket a log row changes: a ticket row's own id, a sign-off's ticket.
CHANGED_TICKET = "CASE WHEN entity = 'tickets' THEN entity_id ELSE ticket_id END"
# The catch-up also reads the uses of parts recorded (their days' ``part_rollups``).
_PENDING_ENTITIES = "(" + ", ".join(f"'{e}'" for e in (*ENTITIES, PART_ENTITY)) + ")"
_PENDING_SQL = text(
    f"SELECT xid::text, id, entity, entity_id, {CHANGED_TICKET} AS ticket FROM sync_changes"
    f" WHERE (xid, id) > (CAST(:wx AS xid8), :wi) AND entity IN {_PENDING_ENTITIES}"
    f" AND {READABLE} ORDER BY xid, id LIMIT :n"
)


@dataclass
class CatchUp:
    """What one run did: change-log rows read, tickets refreshed, rollup days rebuilt (of the
    ticket cohorts, of workload and of parts)."""

    changes: int = 0
    tickets: int = 0
    days: int = 0
    work_days: int = 0
    part_days: int = 0
    rebuilt: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def watermark(session: Session) -> tuple[int, int] | None:
    row = session.execute(
        text("SELECT wm_xid, wm_id FROM report_rollup_state WHERE name = :n"), {"n": STATE}
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))


def window_of_rollups(session: Session) -> timedelta | None:
    """The first-time-fix window the rollups' repeat faults were counted with."""
    row = session.execute(
        text("SELECT window_s FROM report_rollup_state WHERE name = :n"), {"n": STATE}
    ).first()
    return None if row is None or row[0] is None else timedelta(seconds=int(row[0]))


def configured_window() -> timedelta:
    """``FIELDOPS_FIRST_FIX_WINDOW_DAYS`` of the running app (the default outside one)."""
    from flask import current_app, has_app_context

    days = current_app.config["FIRST_FIX_WINDOW_DAYS"] if has_app_context() else 30
    return timedelta(days=int(days))


def _set_watermark(
    session: Session, position: tuple[int, int], window: timedelta | None = None
) -> None:
    session.execute(
        text(
            "INSERT INTO report_rollup_state (name, wm_xid, wm_id, updated_at, window_s)"
            " VALUES (:n, :x, :i, :at, :w) ON CONFLICT (name) DO UPDATE"
            " SET wm_xid = excluded.wm_xid, wm_id = excluded.wm_id,"
            " updated_at = excluded.updated_at,"
            " window_s = coalesce(excluded.window_s, report_rollup_state.window_s)"
        ),
        {
            "n": STATE,
            "x": position[0],
            "i": position[1],
            "at": utcnow(),
            "w": None if window is None else int(window.total_seconds()),
        },
    )


def rebuild_all(
    session: Session, *, chunk: timedelta = REBUILD_CHUNK, window: timedelta | None = None
) -> int:
    """Build facts and rollups from scratch, a month of tickets per transaction.

    The watermark is the horizon taken *before* reading anything: every transaction below it
    had ended, so each later chunk sees its writes; anything at or above it is in the log
    after the watermark and is caught up (again) afterwards, which is harmless. Until the
    rebuild ends there is no watermark and reports read the raw tables."""
    window = configured_window() if window is None else window
    session.execute(text("DELETE FROM report_rollup_state WHERE name = :n"), {"n": STATE})
    session.execute(
        text("TRUNCATE ticket_facts, report_rollups, ticket_work, workload_rollups, part_rollups")
    )
    session.commit()
    start = horizon(session)
    bounds = session.execute(text("SELECT min(created_at), max(created_at) FROM tickets")).one()
    session.commit()
    tickets = 0
    if bounds[0] is not None:
        low: datetime = bounds[0]
        while low <= bounds[1]:
            high = low + chunk
            batch_settings(session)
            insert_facts(
                session,
                "t.created_at >= :a AND t.created_at < :b",
                {"a": low, "b": high},
                now=utcnow(),
            )
            days = session.execute(
                text(
                    "SELECT DISTINCT day FROM ticket_facts"
                    " WHERE created_at >= :a AND created_at < :b AND settled"
                ),
                {"a": low, "b": high},
            ).scalars()
            # A day split between two chunks is rebuilt by both; the second sees all of it.
            rebuild_days(session, set(days), window=window)
            insert_work(session, {"a": low, "b": high})
            session.commit()
            low = high
        # A ticket works on days after the one it was created: every day once, at the end.
        batch_settings(session)
        rebuild_all_work_days(session)
        rebuild_all_parts(session)
        session.commit()
        # Fresh statistics for the new rows: with none the planner took the days' few work
        # rows for one and hashed whole tables against them.
        session.execute(
            text(
                "ANALYZE ticket_facts, report_rollups, ticket_work, workload_rollups, part_rollups"
            )
        )
        session.commit()
        tickets = int(session.execute(text("SELECT count(*) FROM ticket_facts")).scalar_one())
    _set_watermark(session, (start, 0), window)
    session.commit()
    log.info("report rollups rebuilt: %d tickets, watermark xid %d", tickets, start)
    return tickets


def catch_up(session: Session, *, batch: int = BATCH, window: timedelta | None = None) -> CatchUp:
    """Bring the facts and rollups up to the horizon, ``batch`` change-log rows per
    transaction; rebuild first when there is no watermark, the log was purged past it or the
    first-time-fix window is not the one the rollups were counted with."""
    window = configured_window() if window is None else window
    done = CatchUp()
    if not session.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar():
        session.rollback()
        return done  # another run is at it
    try:
        mark = watermark(session)
        purged = purged_through(session)
        stale = mark is not None and window_of_rollups(session) != window
        if mark is None or stale or (purged is not None and purged > mark):
            session.commit()
            done.tickets = rebuild_all(session, window=window)
            done.rebuilt = True
        while _one_batch(session, batch, done, window):
            pass
    finally:
        session.rollback()
        session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        session.commit()
    return done


def no_jit(session: Session) -> None:
    """For this transaction: no JIT compilation. The planner's cost estimates of these
    statements (a row per ticket or fact, many expressions) cross ``jit_above_cost``, and
    compiling them took longer than running them (a fifth of a second per statement)."""
    session.execute(text("SET LOCAL jit = off"))


# A batch's days fanned out to their rollup rows (~100,000 rows for 12 days at 1,370 tickets
# a day) hash-aggregate in memory with this; under the default 4 MB they were sorted on disk
# (bench/reports.py: 580 ms of a 1.3 s catch-up).
BATCH_WORK_MEM = "64MB"


# A batch's rows are found by thousands of index probes into tables the catch-up keeps
# reading (the changed tickets' work rows, facts and trails): with the default 4 the planner
# took ~2,500 probes of ix_ticket_work_ticket for dearer than a sequential scan of the whole
# of ticket_work (180 ms of a catch-up at 250,000 tickets, ~1 s at 1,000,000; EXPLAIN ANALYZE
# on bench/reports.py's database).
BATCH_RANDOM_PAGE_COST = "1.1"


def batch_settings(session: Session) -> None:
    """For this catch-up transaction: no JIT, room to aggregate a batch in memory, and index
    probes priced as the cached reads they are."""
    no_jit(session)
    session.execute(text(f"SET LOCAL work_mem = '{BATCH_WORK_MEM}'"))
    session.execute(text(f"SET LOCAL random_page_cost = {BATCH_RANDOM_PAGE_COST}"))


def _one_batch(session: Session, batch: int, done: CatchUp, window: timedelta) -> bool:
    """One transaction: read up to ``batch`` pending log rows, refresh their tickets' facts and
    days, move the watermark. True when more may be pending."""
    batch_settings(session)
    mark = watermark(session)
    assert mark is not None
    h = horizon(session)
    rows = session.execute(
        _PENDING_SQL, {"wx": str(mark[0]), "wi": mark[1], "h": str(h), "n": batch}
    ).all()
    ids = {r.ticket for r in rows if r.ticket is not None and r.entity != PART_ENTITY}
    used = {r.entity_id for r in rows if r.entity == PART_ENTITY}
    days: set[date] = refresh_facts(session, ids, now=utcnow())
    rebuild_days(session, days, window=window)
    work_days = refresh_work(session, ids)  # and their difference added to workload's rollups
    part_days = refresh_parts(session, used)
    position = (int(rows[-1][0]), int(rows[-1][1])) if rows else mark
    more = len(rows) == batch
    if not more:
        # Every readable row is read: nothing below the horizon can appear any more, so the
        # mark may skip the other entities' rows up to it (never moving back).
        position = max(position, (h, 0))
    if position != mark:
        _set_watermark(session, position)
    session.commit()
    done.changes += len(rows)
    done.tickets += len(ids)
    done.days += len(days)
    done.work_days += len(work_days)
    done.part_days += len(part_days)
    return more
