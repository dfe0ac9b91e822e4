"""The cheap paths of a push keep its guarantees: mutations run in chunks under one savepoint
and are replayed one by one when any fails; audit events and change-log rows are written in
batches. A failing mutation must leave nothing of its own, the others exactly one of each of
their rows, in order."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy import select

from backend.db import db
from backend.sync import apply
from backend.sync.models import sync_changes
from backend.workorders import operations as ops
from backend.workorders.models import Note, Ticket, TicketEvent
from tests.sync.phone import Phone


def _changes(entity_id: uuid.UUID) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(sync_changes.c.entity, sync_changes.c.op)
        .where(sync_changes.c.entity_id == entity_id)
        .order_by(sync_changes.c.id)
    )
    return [tuple(r) for r in rows]


def _events(ticket_id: uuid.UUID) -> list[TicketEvent]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.via == "sync")
    return list(db.session.scalars(stmt.order_by(TicketEvent.at, TicketEvent.id)))


def test_a_mutation_failing_after_its_writes_leaves_nothing_and_the_others_apply_once(
    http, make_ticket, dispatcher
):
    job = make_ticket(title="before")
    changes_before = _changes(job.id)
    note_id = uuid.uuid4()
    phone = Phone(dispatcher.id)
    phone.queue("ticket.update", ticket_id=job.id, base_version=job.version, changes={"title": "a"})
    phone.queue("note.add", id=note_id, ticket_id=job.id, body="seen on site")
    # update_ticket sets the title, then refuses the unknown priority: a change already made
    # in the session when the mutation raises, which must not survive it.
    phone.queue(
        "ticket.update",
        ticket_id=job.id,
        base_version=job.version + 1,
        changes={"title": "must not stay", "priority": "P9"},
    )
    phone.queue("note.add", id=uuid.uuid4(), ticket_id=job.id, body="after the failure")
    out = http.push(dispatcher, phone.envelope())

    assert [r["status"] for r in out["results"]] == ["applied", "applied", "rejected", "applied"]
    ticket = db.session.get(Ticket, job.id)
    db.session.refresh(ticket)
    assert ticket.title == "a" and ticket.priority == "P3"
    assert [
        (e.action, e.data.get("changes", {}).get("title", {}).get("to")) for e in _events(job.id)
    ] == [
        ("update", "a"),
        ("note", None),
        ("note", None),
    ]
    assert db.session.scalar(select(Note.body).where(Note.id == note_id)) == "seen on site"
    assert len(db.session.scalars(select(Note).where(Note.ticket_id == job.id)).all()) == 2
    # One change-log row for the one applied ticket update, none for the rejected one.
    assert _changes(job.id) == [*changes_before, ("tickets", "u")]
    assert _changes(note_id) == [("notes", "u")]


def test_a_chunk_with_a_failure_is_replayed_and_the_next_chunks_still_run(
    http, make_user, make_ticket, assign
):
    alice = make_user()
    jobs = [assign(make_ticket(), alice) for _ in range(apply.CHUNK + 3)]
    phone = Phone(alice.id)
    for i, job in enumerate(jobs):
        # The second job's first action is unknown: ``transition`` raises, so the whole first
        # chunk is rolled back and replayed one mutation at a time.
        actions = ("fly", "accept") if i == 1 else ("accept", "start_travel")
        for action in actions:
            phone.queue("ticket.transition", ticket_id=job.id, action=action)
    out = http.push(alice, phone.envelope())

    statuses = [r["status"] for r in out["results"]]
    assert statuses[2] == "rejected"
    assert statuses.count("applied") == len(statuses) - 1
    for i, job in enumerate(jobs):
        expected = ["accept"] if i == 1 else ["accept", "start_travel"]
        assert [e.action for e in _events(job.id)] == expected
        # The batched events keep each job's status history a chained path.
        events = _events(job.id)
        assert all(a.to_status == b.from_status for a, b in itertools.pairwise(events))
        expected_status = "accepted" if i == 1 else "en_route"
        assert db.session.get(Ticket, job.id).status == expected_status


def test_change_log_rows_of_a_push_follow_the_mutations(http, make_user, make_ticket, assign):
    alice = make_user()
    job = assign(make_ticket(), alice)
    first, second = uuid.uuid4(), uuid.uuid4()
    phone = Phone(alice.id)
    phone.queue("note.add", id=first, ticket_id=job.id, body="one")
    phone.queue("ticket.transition", ticket_id=job.id, action="accept")
    phone.queue("note.add", id=second, ticket_id=job.id, body="two")
    http.push(alice, phone.envelope())
    ids = [first, job.id, second]
    rows = db.session.execute(
        select(sync_changes.c.entity_id)
        .where(sync_changes.c.entity_id.in_(ids))
        .order_by(sync_changes.c.xid, sync_changes.c.id)
    ).scalars()
    assert list(rows)[-3:] == ids


def test_audit_rows_follow_savepoints(session, make_user, make_ticket, assign):
    alice = make_user()
    job = assign(make_ticket(), alice)
    ops.record_activity(job, actor=alice, action="kept_before")
    savepoint = db.session.begin_nested()
    # Reading the trail inside the savepoint writes the queued row there...
    assert "kept_before" in [e.action for e in ops.list_events(job)]
    ops.record_activity(job, actor=alice, action="rolled_back")
    ops.list_events(job)
    savepoint.rollback()
    # ...and the rollback, which undid it in the database, queues it again; its own row goes.
    ops.record_activity(job, actor=alice, action="kept_after")
    db.session.commit()
    actions = [e.action for e in ops.list_events(job)]
    assert "rolled_back" not in actions
    assert actions[-2:] == ["kept_before", "kept_after"]


def test_jobs_queued_in_a_rolled_back_savepoint_do_not_run(session, redis_client):
    from rq import Queue

    from backend.jobs import enqueue_after_commit

    queue = Queue("low", connection=redis_client)
    before = queue.count
    savepoint = db.session.begin_nested()
    enqueue_after_commit(print, "from the rolled-back savepoint", queue="low")
    savepoint.rollback()
    enqueue_after_commit(print, "from the transaction", queue="low")
    db.session.commit()
    assert [job.args for job in queue.jobs][before:] == [("from the transaction",)]


def _count_selects(table: str, verb: str = "SELECT", clause: str = "FROM"):
    """Count the statements reading (or, e.g. ``"INSERT", "INTO"``, writing) ``table`` while
    the block runs (observed, not replaced)."""
    from sqlalchemy import event

    seen: list[str] = []

    def listen(conn, cursor, statement, *rest):
        flat = " ".join(statement.split())
        if flat.startswith(verb) and f" {clause} {table} " in f"{flat} ":
            seen.append(flat)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    return seen, lambda: event.remove(engine, "before_cursor_execute", listen)


def test_notes_on_many_jobs_read_their_jobs_and_note_ids_once_per_chunk(
    http, make_user, make_ticket, assign
):
    alice = make_user()
    jobs = [assign(make_ticket(), alice) for _ in range(6)]
    db.session.expire_all()  # nothing of the jobs cached in the test's session
    phone = Phone(alice.id)
    for job in jobs:
        phone.queue("note.add", id=uuid.uuid4(), ticket_id=job.id, body=f"on {job.number}")
    tickets, stop_tickets = _count_selects("tickets")
    notes, stop_notes = _count_selects("notes")
    try:
        out = http.push(alice, phone.envelope())
    finally:
        stop_tickets()
        stop_notes()
    assert [r["status"] for r in out["results"]] == ["applied"] * 6
    assert len(notes) == 1, notes  # which note ids are taken: one query, not one per note
    # one read of the six jobs, not one per note; the change log's rows (written at the
    # commit) find their assignees in the jobs that read loaded, without selecting them again
    assert len(tickets) == 1, tickets


def test_a_note_id_taken_inside_the_same_chunk_is_still_answered_exactly_once(
    http, make_user, make_ticket, assign
):
    alice = make_user()
    job = assign(make_ticket(), alice)
    note_id = uuid.uuid4()
    phone = Phone(alice.id)
    # Both look new when the chunk reads its note ids: the second insert fails, the chunk is
    # replayed one by one, and the repeat is the idempotent answer, the other body a conflict.
    phone.queue("note.add", id=note_id, ticket_id=job.id, body="first")
    phone.queue("note.add", id=note_id, ticket_id=job.id, body="first")
    phone.queue("note.add", id=note_id, ticket_id=job.id, body="other")
    phone.queue("note.add", id=uuid.uuid4(), ticket_id=job.id, body="unrelated")
    out = http.push(alice, phone.envelope())
    statuses = [r["status"] for r in out["results"]]
    assert statuses[:2] == ["applied", "applied"] and statuses[3] == "applied", out
    assert statuses[2] in ("conflict", "rejected"), out
    assert db.session.scalar(select(Note.body).where(Note.id == note_id)) == "first"
    assert len(db.session.scalars(select(Note).where(Note.ticket_id == job.id)).all()) == 2


def test_a_pushes_new_notes_are_inserted_together_and_answered_with_their_version(
    http, make_user, make_ticket, assign
):
    alice = make_user()
    jobs = [assign(make_ticket(), alice) for _ in range(3)]
    phone = Phone(alice.id)
    ids = [uuid.uuid4() for _ in range(6)]
    for i, note_id in enumerate(ids):
        phone.queue("note.add", id=note_id, ticket_id=jobs[i % 3].id, body=f"step {i}")
    inserts, stop = _count_selects("notes", "INSERT", "INTO")
    try:
        out = http.push(alice, phone.envelope())
    finally:
        stop()
    assert [(r["status"], r["entity_version"]) for r in out["results"]] == [("applied", 1)] * 6
    assert len(inserts) == 1, inserts  # one statement for the chunk's notes, not one each
    stored = db.session.scalars(select(Note).where(Note.id.in_(ids))).all()
    assert sorted((n.body, n.version) for n in stored) == [(f"step {i}", 1) for i in range(6)]
    again = http.push(alice, phone.envelope())  # the same batch again: duplicates, same answer
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 6
