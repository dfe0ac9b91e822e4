"""HTTP tests for sync push/pull and conflicts (docs/sync-protocol.md)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from backend.db import db
from backend.sync import changelog
from backend.sync.models import SyncConflict, SyncMutation
from backend.workorders import operations as ops
from backend.workorders.models import Note, Ticket, TicketEvent
from tests.sync.phone import Phone, confirmed_view, server_view


def _job(make_ticket, assign, engineer, **kw) -> Ticket:
    return assign(make_ticket(**kw), engineer)


def test_pull_and_push_need_a_token(client):
    assert client.get("/api/v1/sync/pull").status_code == 401
    resp = client.post(
        "/api/v1/sync/push", json={"client_id": "x", "schema_version": 1, "mutations": []}
    )
    assert resp.status_code == 401


def test_initial_pull_is_a_scoped_reset_snapshot(http, make_user, make_ticket, assign):
    alice, bob = make_user(), make_user()
    mine = _job(make_ticket, assign, alice)
    other = _job(make_ticket, assign, bob)
    ops.add_note(mine, author=alice, body="mine")
    ops.add_note(other, author=bob, body="not mine")
    db.session.commit()

    page = http.pull(alice)
    assert page["reset"] is True
    phone = Phone(alice.id)
    phone.apply(page)
    phone.pull_all(http.fetcher(alice))
    assert phone.ids("tickets") == {str(mine.id)}
    assert [n["body"] for n in phone.confirmed["notes"].values()] == ["mine"]
    assert "tracking_token" not in phone.confirmed["tickets"][str(mine.id)]
    assert confirmed_view(phone) == server_view(alice.id)


def test_incremental_pull_and_any_page_size_give_the_same_state(
    http, make_user, make_ticket, assign
):
    alice = make_user()
    jobs = [_job(make_ticket, assign, alice) for _ in range(3)]
    phones = {limit: Phone(alice.id) for limit in (1, 2, 1000)}
    for limit, phone in phones.items():
        phone.pull_all(http.fetcher(alice), limit)
    for i, job in enumerate(jobs):
        job = db.session.get(Ticket, job.id)  # the pulls reset the session: re-attach
        ops.add_note(job, author=alice, body=f"n{i}")
        ops.transition(job, alice, "accept")
    db.session.commit()
    for limit, phone in phones.items():
        pages = phone.pull_all(http.fetcher(alice), limit)
        assert pages >= (2 if limit < 1000 else 1)
        assert confirmed_view(phone) == server_view(alice.id)
    first = phones[1].confirmed
    assert all(first == p.confirmed for p in phones.values())
    # Nothing new: an empty page and the same cursor semantics.
    page = http.pull(alice, phones[1000].cursor)
    assert page["has_more"] is False and page["reset"] is False
    assert all(not c["upserts"] and not c["removes"] for c in page["changes"].values())


def test_reassignment_while_offline(http, make_user, make_ticket, assign):
    alice, bob = make_user(), make_user()
    job = _job(make_ticket, assign, alice)
    old_note = ops.add_note(job, author=alice, body="old evidence")
    db.session.commit()
    pa, pb = Phone(alice.id), Phone(bob.id)
    pa.pull_all(http.fetcher(alice))
    pb.pull_all(http.fetcher(bob))
    assert pb.ids("tickets") == set()

    assign(job, bob)  # dispatcher reassigns while alice is offline
    note_id = uuid.uuid4()
    pa.queue("ticket.transition", ticket_id=job.id, action="accept", base_version=2)
    pa.queue("note.add", id=note_id, ticket_id=job.id, body="done offline")
    res = http.push(alice, pa.envelope())
    assert [r["status"] for r in res["results"]] == ["conflict", "conflict"]
    assert all(r.get("conflict_id") for r in res["results"])
    assert db.session.get(Note, note_id).body == "done offline"  # evidence kept
    assert db.session.get(Ticket, job.id).status == "assigned"  # alice's accept not applied
    kinds = set(
        db.session.scalars(select(SyncConflict.kind).where(SyncConflict.actor_id == alice.id))
    )
    assert kinds == {"reassigned", "evidence_after_reassign"}

    pa.pull_all(http.fetcher(alice))
    assert pa.ids("tickets") == set() and pa.ids("notes") == set()
    assert len(pa.ids("conflicts")) == 2  # conflicts sync back to the engineer
    pb.pull_all(http.fetcher(bob))
    assert pb.ids("tickets") == {str(job.id)}
    # The whole job, children older than bob's cursor included.
    assert pb.ids("notes") == {str(old_note.id), str(note_id)}
    assert confirmed_view(pa) == server_view(alice.id)
    assert confirmed_view(pb) == server_view(bob.id)


def test_cancel_while_offline_keeps_evidence_and_never_resurrects(
    http, make_user, make_ticket, assign, dispatcher
):
    alice = make_user()
    job = _job(make_ticket, assign, alice)
    ops.transition(job, alice, "accept")
    db.session.commit()
    phone = Phone(alice.id)
    phone.pull_all(http.fetcher(alice))

    job = db.session.get(Ticket, job.id)
    ops.transition(job, dispatcher, "cancel", reason="customer called")
    db.session.commit()
    note_id = uuid.uuid4()
    for action in ("start_travel", "arrive", "start_work", "complete"):
        phone.queue("ticket.transition", ticket_id=job.id, action=action)
    phone.queue("note.add", id=note_id, ticket_id=job.id, body="replaced the fan")
    res = http.push(alice, phone.envelope())
    assert {r["status"] for r in res["results"]} == {"conflict"}
    assert db.session.get(Ticket, job.id).status == "cancelled"
    assert db.session.get(Note, note_id) is not None
    phone.acknowledge(res)
    phone.pull_all(http.fetcher(alice))
    assert phone.confirmed["tickets"][str(job.id)]["status"] == "cancelled"
    assert str(note_id) in phone.ids("notes")
    assert confirmed_view(phone) == server_view(alice.id)


def test_replay_applies_once_and_answers_duplicate(http, make_user, make_ticket, assign):
    alice = make_user()
    job = _job(make_ticket, assign, alice)
    phone = Phone(alice.id)
    phone.queue("ticket.transition", ticket_id=job.id, action="accept")
    phone.queue("note.add", id=uuid.uuid4(), ticket_id=job.id, body="hello")
    env = phone.envelope()
    first = http.push(alice, env)
    assert [r["status"] for r in first["results"]] == ["applied", "applied"]
    for _ in range(3):
        again = http.push(alice, env)
        assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
        assert [r["original_status"] for r in again["results"]] == ["applied", "applied"]
    events = db.session.scalars(
        select(TicketEvent.action).where(TicketEvent.ticket_id == job.id, TicketEvent.via == "sync")
    ).all()
    assert sorted(events) == ["accept", "note"]
    assert first["last_mutation_id"] == env["mutations"][-1]["id"]
    page = http.pull(alice, client_id=phone.client_id)
    assert page["last_mutation_id"] == env["mutations"][-1]["id"]


def test_unknown_and_invalid_mutations_do_not_sink_the_batch(http, make_user, make_ticket, assign):
    alice = make_user()
    job = _job(make_ticket, assign, alice)
    phone = Phone(alice.id)
    phone.queue("ticket.teleport", ticket_id=job.id)
    phone.queue("note.add", ticket_id=job.id, body="no id")
    phone.queue("ticket.transition", ticket_id=uuid.uuid4(), action="accept")
    phone.queue("ticket.transition", ticket_id=job.id, action="accept")
    res = http.push(alice, phone.envelope())
    statuses = [r["status"] for r in res["results"]]
    assert statuses == ["rejected", "rejected", "rejected", "applied"]
    assert "unknown mutation 'ticket.teleport'" in res["results"][0]["error"]
    assert "id" in res["results"][1]["error"]
    stored = db.session.get(SyncMutation, uuid.UUID(phone.outbox[0]["id"]))
    assert stored.status == "rejected" and stored.args["ticket_id"] == str(job.id)


def test_malformed_envelope_is_422_and_processes_nothing(client, auth, make_user):
    alice = make_user()
    good = {"id": str(uuid.uuid4()), "name": "note.add", "args": {}}
    bad_bodies = [
        {"schema_version": 1, "mutations": [good]},
        {"client_id": "p", "schema_version": 1, "mutations": "nope"},
        {"client_id": "p", "schema_version": 1, "mutations": [{"id": "x", "name": "a"}]},
        {"client_id": "p", "schema_version": "one", "mutations": []},
    ]
    for body in bad_bodies:
        resp = client.post("/api/v1/sync/push", json=body, headers=auth(alice))
        assert resp.status_code == 422, body
        assert resp.get_json()["message"]
    resp = client.post(
        "/api/v1/sync/push",
        data="{not json",
        headers={**auth(alice), "Content-Type": "application/json"},
    )
    assert resp.status_code in (400, 422)
    assert db.session.scalar(select(func.count()).select_from(SyncMutation)) == 0


def test_newer_schema_is_409_retry_later_older_works(http, client, auth, make_user):
    alice = make_user()
    resp = client.post(
        "/api/v1/sync/push",
        json={"client_id": "p", "schema_version": 99, "mutations": []},
        headers=auth(alice),
    )
    assert resp.status_code == 409
    assert "retry later" in resp.get_json()["message"]
    resp = client.get("/api/v1/sync/pull?schema_version=99", headers=auth(alice))
    assert resp.status_code == 409
    assert http.pull(alice, schema_version=1)["reset"] is True


def test_garbage_cursor_is_422(client, auth, make_user):
    alice = make_user()
    for cursor in ("garbage", "eyJ2IjoxfQ", "!!!", "eyJ2IjoxLCJ4IjoiLTEiLCJpIjowfQ"):
        resp = client.get(f"/api/v1/sync/pull?cursor={cursor}", headers=auth(alice))
        assert resp.status_code == 422, cursor
        assert "cursor" in resp.get_json()["message"]


def test_purged_cursor_answers_reset(http, make_user, make_ticket, assign):
    alice = make_user()
    _job(make_ticket, assign, alice)
    phone = Phone(alice.id)
    phone.pull_all(http.fetcher(alice))
    old_cursor = phone.cursor
    _job(make_ticket, assign, alice)
    assert changelog.purge(db.session, timedelta(seconds=-1)) > 0
    db.session.commit()
    page = http.pull(alice, old_cursor)
    assert page["reset"] is True
    phone.apply(page)
    phone.pull_all(http.fetcher(alice))
    assert len(phone.ids("tickets")) == 2
    assert confirmed_view(phone) == server_view(alice.id)


def test_deleted_child_sends_a_tombstone(http, make_user, make_ticket, assign):
    alice = make_user()
    job = _job(make_ticket, assign, alice)
    note = ops.add_note(job, author=alice, body="typo")
    db.session.commit()
    phone = Phone(alice.id)
    phone.pull_all(http.fetcher(alice))
    assert str(note.id) in phone.ids("notes")
    db.session.delete(note)
    db.session.commit()
    page = http.pull(alice, phone.cursor)
    assert page["changes"]["notes"]["removes"] == [str(note.id)]


def test_note_edit_with_stale_base_version_keeps_both(http, make_user, make_ticket, assign):
    alice = make_user()
    job = _job(make_ticket, assign, alice)
    note = ops.add_note(job, author=alice, body="v1")
    db.session.commit()
    ops.edit_note(note, author=alice, body="v2 from the web", base_version=1)
    db.session.commit()
    phone = Phone(alice.id)
    phone.queue("note.edit", id=note.id, body="v2 from the phone", base_version=1)
    res = http.push(alice, phone.envelope())["results"][0]
    assert res["status"] == "conflict"
    conflict = db.session.get(SyncConflict, uuid.UUID(res["conflict_id"]))
    assert conflict.mine == {"body": "v2 from the phone"}
    assert conflict.theirs["body"] == "v2 from the web" and conflict.base_version == 1
    phone.queue("note.edit", id=note.id, body="v3", base_version=2)
    assert (
        http.push(alice, phone.envelope(1) | {"mutations": phone.outbox[-1:]})["results"][0][
            "status"
        ]
        == "applied"
    )


def test_engineer_edit_of_dispatcher_fields_is_a_conflict_and_resolvable(
    http, client, auth, make_user, make_ticket, assign, dispatcher
):
    alice = make_user()
    job = _job(make_ticket, assign, alice, priority="P3")
    phone = Phone(alice.id)
    phone.queue("ticket.update", ticket_id=job.id, changes={"priority": "P1"}, base_version=2)
    res = http.push(alice, phone.envelope())["results"][0]
    assert res["status"] == "conflict"
    assert db.session.get(Ticket, job.id).priority == "P3"

    assert client.get("/api/v1/conflicts", headers=auth(alice)).status_code == 403
    listed = client.get("/api/v1/conflicts", headers=auth(dispatcher))
    assert listed.status_code == 200
    assert [c["id"] for c in listed.get_json()] == [res["conflict_id"]]
    url = f"/api/v1/conflicts/{res['conflict_id']}/resolve"
    bad = client.post(url, json={"resolution": "whatever"}, headers=auth(dispatcher))
    assert bad.status_code == 422
    ok = client.post(
        url, json={"resolution": "apply_engineer", "note": "agreed"}, headers=auth(dispatcher)
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["resolution"] == "apply_engineer"
    assert db.session.get(Ticket, job.id).priority == "P1"
    again = client.post(url, json={"resolution": "keep_server"}, headers=auth(dispatcher))
    assert again.status_code == 409
    missing = client.post(
        f"/api/v1/conflicts/{uuid.uuid4()}/resolve",
        json={"resolution": "keep_server"},
        headers=auth(dispatcher),
    )
    assert missing.status_code == 404
    phone.pull_all(http.fetcher(alice))
    assert phone.confirmed["conflicts"][res["conflict_id"]]["resolution"] == "apply_engineer"


def test_transition_valid_from_current_state_is_merged(
    http, make_user, make_ticket, assign, dispatcher, app
):
    alice = make_user()
    job = _job(make_ticket, assign, alice)
    base = job.version
    ops.update_ticket(
        job,
        actor=dispatcher,
        changes={"priority": "P1"},
        version=base,
        sla_policy=app.config["SLA_POLICY"],
    )
    db.session.commit()
    phone = Phone(alice.id)
    phone.queue("ticket.transition", ticket_id=job.id, action="accept", base_version=base)
    phone.queue("ticket.transition", ticket_id=job.id, action="arrive", base_version=base)
    res = http.push(alice, phone.envelope())["results"]
    assert [r["status"] for r in res] == ["merged", "conflict"]
    assert db.session.get(Ticket, job.id).status == "accepted"


def test_other_engineers_jobs_cannot_be_probed(http, make_user, make_ticket, assign):
    alice, bob = make_user(), make_user()
    job = _job(make_ticket, assign, bob)
    phone = Phone(alice.id)
    phone.queue("note.add", id=uuid.uuid4(), ticket_id=job.id, body="spam")
    res = http.push(alice, phone.envelope())["results"][0]
    assert res["status"] == "rejected" and "not found" in res["error"]


def test_nul_characters_are_rejected_per_mutation(http, make_user, make_ticket, assign):
    alice = make_user()
    job = _job(make_ticket, assign, alice)
    phone = Phone(alice.id)
    phone.queue("note.add", id=uuid.uuid4(), ticket_id=job.id, body="bad\x00body")
    phone.queue("note.add", id=uuid.uuid4(), ticket_id=job.id, body="fine")
    res = http.push(alice, phone.envelope())["results"]
    assert [r["status"] for r in res] == ["rejected", "applied"]
    assert "NUL" in res[0]["error"]


def test_retention_job_purges_and_old_cursors_reset(http, app, make_user, make_ticket, assign):
    from backend.sync.tasks import purge_change_log

    alice = make_user()
    _job(make_ticket, assign, alice)
    phone = Phone(alice.id)
    phone.pull_all(http.fetcher(alice))
    app.config["SYNC_RETENTION_DAYS"] = "30"
    try:
        assert purge_change_log() == 0  # nothing is 30 days old
        app.config["SYNC_RETENTION_DAYS"] = "-1"  # garbage-ish: clamps to zero days
        assert purge_change_log() > 0
    finally:
        app.config.pop("SYNC_RETENTION_DAYS", None)
    _job(make_ticket, assign, alice)
    assert http.pull(alice, phone.cursor)["reset"] is False  # the cursor is at the purge mark


def test_location_report_goes_through_dispatch(http, make_user, dispatcher):
    from backend.dispatch.models import EngineerProfile
    from backend.workorders.geo import point

    alice = make_user()
    db.session.add(EngineerProfile(user_id=alice.id, home=point(13.4, 52.5)))
    db.session.commit()
    phone = Phone(alice.id)
    phone.queue("location.report", lon=13.41, lat=52.52, recorded_at="2026-01-01T10:00:00Z")
    phone.queue("location.report", lon=13.41, lat=91, recorded_at="2026-01-01T10:00:00Z")
    res = http.push(alice, phone.envelope())["results"]
    assert [r["status"] for r in res] == ["applied", "rejected"]
    assert "lat" in res[1]["error"]
    assert db.session.get(EngineerProfile, alice.id).last_location is not None


def test_note_add_carries_customer_visibility_and_defaults_to_internal(
    http, make_user, make_ticket, assign
):
    alice = make_user()
    job = _job(make_ticket, assign, alice)
    phone = Phone(alice.id)
    phone.pull_all(http.fetcher(alice))
    for_customer, old_app = uuid.uuid4(), uuid.uuid4()
    phone.queue("note.add", id=for_customer, ticket_id=job.id, body="Seal replaced",
                customer_visible=True)  # fmt: skip
    phone.queue("note.add", id=old_app, ticket_id=job.id, body="written by a 0.1 app")
    res = http.push(alice, phone.envelope())
    assert [r["status"] for r in res["results"]] == ["applied", "applied"]
    assert db.session.get(Note, for_customer).customer_visible is True
    assert db.session.get(Note, old_app).customer_visible is False


def test_purge_deletes_in_batches_each_committed_on_its_own(session):
    """One DELETE of a month of history held its locks (and the cluster-wide pull horizon)
    for as long as it ran: the purge goes in batches, one short transaction each."""
    from sqlalchemy import event, insert

    from backend.sync.models import SyncMeta, sync_changes

    old = db.session.execute(select(func.now() - timedelta(days=90))).scalar_one()
    rows = [{"entity": "notes", "entity_id": uuid.uuid4(), "op": "u", "at": old} for _ in range(25)]
    db.session.execute(insert(sync_changes), rows)
    db.session.execute(
        insert(sync_changes), [{"entity": "notes", "entity_id": uuid.uuid4(), "op": "u"}]
    )
    db.session.commit()
    commits: list[int] = []
    counter = lambda s: commits.append(1)  # noqa: E731
    target = db.session()
    event.listen(target, "after_commit", counter)
    try:
        deleted = changelog.purge(db.session, timedelta(days=30), batch_size=10)
    finally:
        event.remove(target, "after_commit", counter)
    assert deleted == 25
    assert len(commits) >= 3  # 10 + 10 + 5, each batch committed on its own
    left = db.session.execute(select(func.count()).select_from(sync_changes)).scalar_one()
    assert left == 1  # the recent row stays
    mark = db.session.get(SyncMeta, "purged_through")
    assert (
        mark is not None
        and int(mark.value["id"])
        < db.session.execute(select(func.max(sync_changes.c.id))).scalar_one()
    )
