"""Invariant 4 with real PostgreSQL transactions in threads: a transaction that started (and
wrote its change-log row) before a pull but commits after it is not skipped by the cursor.

This test commits for real (the xid horizon only exists across transactions), so it builds
its own rows and deletes them afterwards instead of using the rolled-back ``session`` fixture.
"""

from __future__ import annotations

import threading
import time
import uuid
from inspect import signature

import pytest
from sqlalchemy import Table, delete, select, text, update
from sqlalchemy.orm import Session

from backend.accounts.models import User
from backend.accounts.operations import create_user
from backend.db import Base, db
from backend.sync import changelog
from backend.sync.cursor import decode
from backend.sync.models import sync_changes
from backend.workorders import operations as ops
from backend.workorders.models import Note, Ticket
from tests.sync.phone import Phone, confirmed_view, server_view


def _writer(app, ticket_id, author_id, body, wrote, may_commit, out):
    """Add a note in this thread's own connection; commit only when told to."""
    with app.app_context():
        try:
            ticket = db.session.get(Ticket, ticket_id)
            note = ops.add_note(ticket, author=db.session.get(User, author_id), body=body)
            # Write the change-log row now (its id is taken now), then hold the transaction.
            changelog.write_pending(db.session)
            out[body] = note.id
            wrote.set()
            assert may_commit.wait(30)
            db.session.commit()
        finally:
            db.session.remove()


# The shared ``session`` fixture restores a join mode SQLAlchemy 2.1 no longer accepts; this
# test needs ordinary sessions on the engine, so it restores the library default itself.
DEFAULT_JOIN_MODE = signature(Session.__init__).parameters["join_transaction_mode"].default


def committed_job(app, title: str) -> tuple[User, Ticket, dict]:
    """A dispatcher, an engineer and a ticket assigned to them, committed for real (on
    ordinary sessions); ``ids`` is what ``_cleanup`` deletes afterwards."""
    db.session.remove()
    db.session.configure(bind=db.engine, join_transaction_mode=DEFAULT_JOIN_MODE)
    tag = uuid.uuid4().hex[:8]
    dispatcher = create_user(
        email=f"d{tag}@example.com", name="D", role="dispatcher", password="pw-123456789"
    )
    engineer = create_user(
        email=f"e{tag}@example.com", name="E", role="engineer", password="pw-123456789"
    )
    ticket = ops.create_ticket(
        actor=dispatcher,
        title=title,
        priority="P3",
        location=ops.Location(13.4, 52.52),
        sla_policy=app.config["SLA_POLICY"],
    )
    ops.assign_ticket(ticket, engineer, actor=dispatcher)
    db.session.commit()
    return engineer, ticket, {"users": [dispatcher.id, engineer.id], "ticket": ticket.id}


def test_late_committing_transaction_is_not_skipped(app):
    with app.app_context():
        engineer, ticket, ids = committed_job(app, "race")
        from backend.sync.pull import pull

        def fetch(cursor, limit):
            page = pull(db.session.get(User, engineer.id), cursor, limit)
            db.session.commit()
            return page

        try:
            phone = Phone(engineer.id)
            phone.pull_all(fetch)
            assert phone.ids("tickets") == {str(ticket.id)}

            out: dict[str, uuid.UUID] = {}
            early_wrote, early_go = threading.Event(), threading.Event()
            late_wrote, late_go = threading.Event(), threading.Event()
            late_go.set()
            early = threading.Thread(
                target=_writer,
                args=(app, ticket.id, engineer.id, "early", early_wrote, early_go, out),
            )
            early.start()
            assert early_wrote.wait(30)  # started first, holds its transaction open
            late = threading.Thread(
                target=_writer,
                args=(app, ticket.id, engineer.id, "late", late_wrote, late_go, out),
            )
            late.start()
            late.join(30)
            assert not late.is_alive()

            # The late transaction committed; the early one is still running.
            newest_visible = db.session.scalar(select(text("max(id)")).select_from(sync_changes))
            phone.pull_all(fetch)
            db.session.commit()
            assert str(out["early"]) not in phone.ids("notes")

            early_go.set()
            early.join(30)
            assert not early.is_alive()
            early_row = db.session.scalar(
                select(sync_changes.c.id).where(sync_changes.c.entity_id == out["early"])
            )
            # A cursor over the sequence alone would now skip the early row for good.
            assert early_row < newest_visible
            early_pos = db.session.execute(
                select(text("xid::text"), sync_changes.c.id).where(sync_changes.c.id == early_row)
            ).one()
            # Ours never moved past it while it was running.
            assert decode(phone.cursor).position < (int(early_pos[0]), int(early_pos[1]))

            # Delay, never loss: the horizon is cluster-wide, so write transactions of other
            # databases on this server (parallel test runs) may hold it back; poll.
            wanted = {str(out["early"]), str(out["late"])}
            deadline = time.monotonic() + 60
            while True:
                phone.pull_all(fetch)
                if wanted <= phone.ids("notes") or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            if not wanted <= phone.ids("notes") and _held_by_other_databases():
                pytest.skip("a long transaction in another database holds the xid horizon")
            assert wanted <= phone.ids("notes")
            assert confirmed_view(phone) == server_view(engineer.id)
        finally:
            db.session.rollback()
            _cleanup(ids)
            db.session.commit()
            db.session.remove()


def _held_by_other_databases() -> bool:
    return bool(
        db.session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL"
                " AND datname <> current_database()"
            )
        )
    )


def _cleanup(ids) -> None:
    """Delete what this test committed, and whatever other features' hooks attached to it
    (notifications, dispatch decisions...), found through the foreign keys in the metadata."""
    tid = ids["ticket"]
    notes = list(db.session.scalars(select(Note.id).where(Note.ticket_id == tid)))
    db.session.execute(
        delete(sync_changes).where(sync_changes.c.entity_id.in_([tid, *notes, *ids["users"]]))
    )
    _delete_cascade(Ticket.__table__, [tid])
    _delete_cascade(User.__table__, ids["users"])


def _delete_cascade(table: Table, keys: list) -> None:
    if not keys:
        return
    for child in Base.metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is table and child is not table:
                col = fk.parent
                if "id" in child.c and child.primary_key.columns.keys() == ["id"]:
                    rows = list(db.session.scalars(select(child.c.id).where(col.in_(keys))))
                    _delete_cascade(child, rows)
                elif col.nullable:
                    db.session.execute(update(child).where(col.in_(keys)).values({col.name: None}))
                    continue
                db.session.execute(delete(child).where(col.in_(keys)))
    db.session.execute(delete(table).where(table.c.id.in_(keys)))
