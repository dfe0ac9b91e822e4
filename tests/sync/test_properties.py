"""Property-based tests of docs/sync-protocol.md's invariants: several offline phones, a dispatcher
editing concurrently, dropped responses and retries, crashed pushes, interrupted pulls, random page
sizes and device clocks skewed by days. Push and pull run in-process (the same functions the HTTP
views call) so hundreds of examples stay fast.

Each example runs inside its own savepoint of the test's transaction (rolled back afterwards).
``derandomize=True`` makes every run draw the same examples; a failure prints its blob.
``SYNC_PROPERTY_EXAMPLES`` raises the example count for a longer local run.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from backend.accounts.models import User
from backend.db import db, utcnow
from backend.errors import DomainError
from backend.sync.models import SyncConflict, SyncMutation
from backend.sync.pull import pull
from backend.sync.push import push
from backend.sync.registry import MUTATIONS
from backend.sync.schemas import PushIn
from backend.workorders import operations as ops
from backend.workorders.models import Note, Ticket, TicketEvent
from backend.workorders.states import TRANSITIONS, Actor
from tests.sync.phone import Phone, confirmed_view, server_view

SETTINGS = settings(
    max_examples=int(os.environ.get("SYNC_PROPERTY_EXAMPLES", "200")),
    stateful_step_count=12,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
ENGINEER_ACTIONS = sorted(a for a, t in TRANSITIONS.items() if Actor.ENGINEER in t.actors)
N_PHONES = 3


class SyncMachine(RuleBasedStateMachine):
    engineer_ids: list[uuid.UUID]
    dispatcher_id: uuid.UUID
    connection: Any
    sla: dict[str, tuple[float, float]]
    part_id: uuid.UUID | None = None  # set when the parts feature registers part.consume
    vans: list[uuid.UUID] = []

    def __init__(self) -> None:
        super().__init__()
        db.session.remove()
        self.savepoint = self.connection.begin_nested()
        self.phones = [Phone(uid) for uid in self.engineer_ids]
        self.online = [True] * N_PHONES
        self.skew = [timedelta(0)] * N_PHONES
        self.tickets: list[uuid.UUID] = []
        self.cancelled: set[uuid.UUID] = set()
        self.acked: dict[str, str] = {}  # mutation id -> the status the phone was told
        self.sent: dict[str, dict[str, Any]] = {}

    def teardown(self) -> None:
        try:
            self.quiesce()
            self.check_status_paths()
        finally:
            db.session.remove()
            self.savepoint.rollback()

    # --- helpers --------------------------------------------------------------------------
    def user(self, uid: uuid.UUID) -> User:
        return db.session.get(User, uid)

    def server(self, fn, *args: Any, **kw: Any) -> Any:
        """One server transaction: commit on success, roll back a refused dispatcher edit."""
        try:
            out = fn(*args, **kw)
        except DomainError:
            db.session.rollback()
            return None
        db.session.commit()
        return out

    def fetch(self, i: int):
        def _fetch(cursor: str | None, limit: int) -> dict[str, Any]:
            page = pull(self.user(self.engineer_ids[i]), cursor, limit, self.phones[i].client_id)
            db.session.commit()
            return page

        return _fetch

    def occurred(self, i: int) -> str:
        return (utcnow() + self.skew[i]).isoformat()

    def queue(self, i: int, name: str, **args: Any) -> None:
        mid = self.phones[i].queue(name, **args)
        self.sent[mid] = self.phones[i].outbox[-1]

    # --- setup ----------------------------------------------------------------------------
    @initialize(
        owners=st.lists(st.sampled_from([0, 1, 2, None]), min_size=2, max_size=4),
        skews=st.lists(st.integers(-5 * 24, 5 * 24), min_size=N_PHONES, max_size=N_PHONES),
    )
    def setup(self, owners: list[int | None], skews: list[int]) -> None:
        self.skew = [timedelta(hours=h) for h in skews]
        dispatcher = self.user(self.dispatcher_id)
        for n, owner in enumerate(owners):
            ticket = ops.create_ticket(
                actor=dispatcher,
                title=f"job {n}",
                priority="P3",
                location=ops.Location(13.4, 52.52),
                sla_policy=self.sla,
            )
            if owner is not None:
                engineer = self.user(self.engineer_ids[owner])
                ops.assign_ticket(ticket, engineer, actor=dispatcher)
                # Existing evidence: a reassignment must deliver it to the new engineer.
                ops.add_note(ticket, author=engineer, body=f"survey of job {n}")
            self.tickets.append(ticket.id)
        db.session.commit()
        for i in range(N_PHONES):
            self.phones[i].pull_all(self.fetch(i), 50)

    # --- phones ---------------------------------------------------------------------------
    @rule(i=st.integers(0, N_PHONES - 1))
    def toggle_network(self, i: int) -> None:
        self.online[i] = not self.online[i]

    @precondition(lambda self: any(p.ids("tickets") for p in self.phones))
    @rule(data=st.data(), action=st.sampled_from(ENGINEER_ACTIONS))
    def engineer_transition(self, data: st.DataObject, action: str) -> None:
        i = data.draw(st.sampled_from([n for n, p in enumerate(self.phones) if p.ids("tickets")]))
        tid = data.draw(st.sampled_from(self.in_order(self.phones[i].ids("tickets"))))
        version = self.phones[i].confirmed["tickets"][tid]["version"]
        self.queue(
            i,
            "ticket.transition",
            ticket_id=tid,
            action=action,
            base_version=version,
            occurred_at=self.occurred(i),
            reason="from the field",
        )

    @precondition(lambda self: any(p.ids("tickets") for p in self.phones))
    @rule(data=st.data(), body=st.text(min_size=1, max_size=20).filter(str.strip))
    def engineer_note(self, data: st.DataObject, body: str) -> None:
        i = data.draw(st.sampled_from([n for n, p in enumerate(self.phones) if p.ids("tickets")]))
        tid = data.draw(st.sampled_from(self.in_order(self.phones[i].ids("tickets"))))
        self.queue(
            i, "note.add", id=uuid.uuid4(), ticket_id=tid, body=body, occurred_at=self.occurred(i)
        )

    def rank(self, ticket_id: str | uuid.UUID) -> int:
        return self.tickets.index(uuid.UUID(str(ticket_id)))

    def in_order(self, ticket_ids: Any) -> list[str]:
        """Ticket ids in creation order. Sorting random UUIDs would make the same drawn index
        pick a different ticket on Hypothesis' replay (FlakyStrategyDefinition)."""
        return sorted(ticket_ids, key=self.rank)

    def own_notes(self, i: int) -> list[str]:
        """Notes this engineer wrote (the app offers editing only for those)."""
        uid = str(self.engineer_ids[i])
        notes = self.phones[i].confirmed.get("notes", {})
        mine = [(k, v) for k, v in notes.items() if v["author_id"] == uid]
        # Creation order, not UUID order: draws must map to the same note on a replay.
        mine.sort(
            key=lambda kv: (
                self.rank(kv[1]["ticket_id"]),
                kv[1].get("created_at") or "",
                kv[1]["body"],
            )
        )
        return [k for k, _ in mine]

    @precondition(lambda self: any(self.own_notes(i) for i in range(N_PHONES)))
    @rule(data=st.data())
    def engineer_edit_note(self, data: st.DataObject) -> None:
        i = data.draw(st.sampled_from([n for n in range(N_PHONES) if self.own_notes(n)]))
        note = self.phones[i].confirmed["notes"][data.draw(st.sampled_from(self.own_notes(i)))]
        self.queue(
            i,
            "note.edit",
            id=note["id"],
            body=note["body"] + " (edited)",
            base_version=note["version"],
            occurred_at=self.occurred(i),
        )

    @precondition(lambda self: any(p.ids("tickets") for p in self.phones))
    @rule(data=st.data(), priority=st.sampled_from(["P1", "P2", "P4"]))
    def engineer_edits_priority(self, data: st.DataObject, priority: str) -> None:
        i = data.draw(st.sampled_from([n for n, p in enumerate(self.phones) if p.ids("tickets")]))
        tid = data.draw(st.sampled_from(self.in_order(self.phones[i].ids("tickets"))))
        self.queue(i, "ticket.update", ticket_id=tid, changes={"priority": priority})

    @precondition(lambda self: bool(self.part_id) and any(p.ids("tickets") for p in self.phones))
    @rule(data=st.data(), quantity=st.integers(1, 3))
    def engineer_uses_part(self, data: st.DataObject, quantity: int) -> None:
        i = data.draw(st.sampled_from([n for n, p in enumerate(self.phones) if p.ids("tickets")]))
        tid = data.draw(st.sampled_from(self.in_order(self.phones[i].ids("tickets"))))
        self.queue(
            i,
            "part.consume",
            id=uuid.uuid4(),
            ticket_id=tid,
            part_id=self.part_id,
            quantity=str(quantity),
            location_id=self.vans[i],
            occurred_at=self.occurred(i),
        )

    @rule(
        i=st.integers(0, N_PHONES - 1),
        n=st.integers(1, 6),
        outcome=st.sampled_from(["ok", "ok", "response_lost", "server_crash"]),
    )
    def push_outbox(self, i: int, n: int, outcome: str) -> None:
        phone = self.phones[i]
        if not self.online[i] or not phone.outbox:
            return
        envelope = PushIn().load(phone.envelope(n))
        user = self.user(self.engineer_ids[i])
        response = push(
            user, envelope["client_id"], envelope["schema_version"], envelope["mutations"]
        )
        if outcome == "server_crash":  # died before commit: nothing processed
            db.session.rollback()
            return
        db.session.commit()
        if outcome == "response_lost":  # committed, but the phone never heard: it retries
            return
        for r in response["results"]:
            status = r["original_status"] if r["status"] == "duplicate" else r["status"]
            assert self.acked.setdefault(r["id"], status) == status, "a retry changed the answer"
        phone.acknowledge(response)
        self.check_exactly_once()

    @rule(
        i=st.integers(0, N_PHONES - 1),
        limit=st.integers(1, 7),
        stop_after=st.one_of(st.none(), st.integers(0, 3)),
    )
    def pull_changes(self, i: int, limit: int, stop_after: int | None) -> None:
        if not self.online[i]:
            return
        phone, fetch = self.phones[i], self.fetch(i)
        pages = 0
        while stop_after is None or pages < stop_after:
            page = fetch(phone.cursor, limit)
            phone.apply(page)
            pages += 1
            if not page["has_more"]:
                break

    # --- dispatcher -----------------------------------------------------------------------
    @rule(t=st.integers(0, 3), e=st.sampled_from([0, 1, 2, None]))
    def dispatcher_reassigns(self, t: int, e: int | None) -> None:
        if t >= len(self.tickets):
            return
        ticket = db.session.get(Ticket, self.tickets[t])
        engineer = self.user(self.engineer_ids[e]) if e is not None else None
        self.server(ops.assign_ticket, ticket, engineer, actor=self.user(self.dispatcher_id))

    @rule(t=st.integers(0, 3))
    def dispatcher_cancels(self, t: int) -> None:
        if t >= len(self.tickets):
            return
        ticket = db.session.get(Ticket, self.tickets[t])
        done = self.server(
            ops.transition, ticket, self.user(self.dispatcher_id), "cancel", reason="customer"
        )
        if done is not None:
            self.cancelled.add(ticket.id)

    @rule(t=st.integers(0, 3), priority=st.sampled_from(["P1", "P2", "P3", "P4"]))
    def dispatcher_reprioritises(self, t: int, priority: str) -> None:
        if t >= len(self.tickets):
            return
        ticket = db.session.get(Ticket, self.tickets[t])
        self.server(
            ops.update_ticket,
            ticket,
            actor=self.user(self.dispatcher_id),
            changes={"priority": priority},
            version=ticket.version,
            sla_policy=self.sla,
        )

    @rule()
    def everyone_syncs(self) -> None:
        self.quiesce()

    # --- invariants -----------------------------------------------------------------------
    @invariant()
    def no_resurrection(self) -> None:
        """7: a job cancelled by the dispatcher stays cancelled (nobody here reopens)."""
        for tid in self.cancelled:
            assert db.session.get(Ticket, tid).status == "cancelled"

    def check_exactly_once(self) -> None:
        """1 and 2: each mutation applied at most once; every acknowledged one is visible in
        server state or kept as a conflict; phones' stored answers match the server's."""
        stored = {str(m.id): m for m in db.session.scalars(select(SyncMutation))}
        applied_transitions = sum(
            1
            for m in stored.values()
            if m.name == "ticket.transition" and m.status in ("applied", "merged")
        )
        sync_transitions = db.session.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .where(TicketEvent.via == "sync", TicketEvent.action.in_(list(TRANSITIONS)))
        )
        assert sync_transitions == applied_transitions
        note_events = Counter(
            e.data["note_id"]
            for e in db.session.scalars(
                select(TicketEvent).where(TicketEvent.via == "sync", TicketEvent.action == "note")
            )
        )
        assert all(c == 1 for c in note_events.values()), "a note was added twice"
        conflicts = {str(c.mutation_id) for c in db.session.scalars(select(SyncConflict))}
        for mid, status in self.acked.items():
            assert mid in stored and stored[mid].status == status
            mutation = self.sent[mid]
            texts = [v for v in mutation["args"].values() if isinstance(v, str)]
            if any("\x00" in v for v in texts):  # PostgreSQL text cannot hold NUL
                assert status == "rejected" and "NUL" in stored[mid].result["error"]
                continue
            assert status != "rejected", stored[mid].result
            if status == "conflict":
                assert mid in conflicts, "conflict answered without a conflict record"
            if mutation["name"] == "note.add":
                note = db.session.get(Note, uuid.UUID(mutation["args"]["id"]))
                assert note is not None, "an acknowledged note vanished"
                assert note_events[mutation["args"]["id"]] == 1
        if self.part_id:
            self.check_parts_ledger(stored)

    def check_parts_ledger(self, stored: dict[str, Any]) -> None:
        """8: the ledger holds exactly the accepted consumption mutations, once each, and each
        van's level is minus what was used from it (stock may go negative, never refused)."""
        from backend.parts.models import PartUsage, StockLevel

        usages = {str(u.id): u for u in db.session.scalars(select(PartUsage))}
        accepted = {
            m.args["id"]: Decimal(m.args["quantity"])
            for m in stored.values()
            if m.name == "part.consume" and m.status != "rejected"
        }
        assert set(usages) == set(accepted)
        assert all(usages[k].quantity == q for k, q in accepted.items())
        for van in self.vans:
            used = sum((u.quantity for u in usages.values() if u.location_id == van), Decimal(0))
            level = db.session.scalar(
                select(StockLevel.quantity).where(StockLevel.location_id == van)
            )
            assert (level or Decimal(0)) == -used

    def quiesce(self) -> None:
        """3 and 5: with every queue drained and every phone pulled (with its own page
        size), each phone holds exactly the server's view of its scope."""
        for i, phone in enumerate(self.phones):
            self.online[i] = True
            while phone.outbox:
                self.push_outbox(i, 50, "ok")
        for i, phone in enumerate(self.phones):
            phone.pull_all(self.fetch(i), (3, 5, 50)[i])
        for i, phone in enumerate(self.phones):
            assert confirmed_view(phone) == server_view(self.engineer_ids[i]), f"phone {i}"

    def check_status_paths(self) -> None:
        """9: each job's status history is a valid path of the state machine."""
        for tid in self.tickets:
            events = db.session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == tid, TicketEvent.to_status.is_not(None))
                .order_by(TicketEvent.at, TicketEvent.id)
            ).all()
            status = None
            for e in events:
                assert e.from_status == status, (e.action, e.from_status, status)
                if e.action in TRANSITIONS:
                    assert e.from_status in TRANSITIONS[e.action].sources
                status = e.to_status
            assert status == db.session.get(Ticket, tid).status


def test_sync_invariants_hold_under_random_interleavings(app, session, make_user):
    dispatcher = make_user("dispatcher")
    engineers = [make_user() for _ in range(N_PHONES)]

    part_id, vans = None, []
    if "part.consume" in MUTATIONS:
        from backend.parts import operations as parts

        part_id = parts.create_part(actor=dispatcher, sku="PROP-1", name="Fuse").id
        vans = [
            parts.create_location(
                actor=dispatcher, name=f"Van {n}", kind="van", engineer_id=e.id
            ).id
            for n, e in enumerate(engineers)
        ]
        db.session.commit()

    class Machine(SyncMachine):
        engineer_ids = [e.id for e in engineers]
        dispatcher_id = dispatcher.id
        connection = db.session.get_bind()
        sla = app.config["SLA_POLICY"]

    Machine.part_id, Machine.vans = part_id, vans
    run_state_machine_as_test(Machine, settings=SETTINGS)
