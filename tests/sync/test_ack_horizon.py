"""A pull may say "your last mutation is done" only once it has brought that mutation's effect.

Tried from outside (issue #12): an engineer tapped Accept, then Start travel, while another
transaction on the server held the xid horizon back (the rq worker, another user's request).
The push was applied, but the pull right after it was held back and still said
``last_mutation_id`` = the pushed mutation, so the app dropped its acknowledged mutations and
drew the job as it was before ("Assigned", with Accept under the engineer's finger): the second
tap became an Accept the server refused as a conflict.

Like ``test_concurrency.py``, this commits for real (the horizon only exists across
transactions) and deletes what it made afterwards.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from backend.accounts.models import User
from backend.db import db
from backend.sync.pull import pull
from backend.sync.push import push
from tests.sync.test_concurrency import _cleanup, _held_by_other_databases, committed_job


def _hold_horizon(app, holding: threading.Event, release: threading.Event) -> None:
    """An unrelated write transaction that stays open: the horizon stops below its xid."""
    with app.app_context():
        try:
            db.session.execute(text("SELECT pg_current_xact_id()"))
            holding.set()
            assert release.wait(30)
            db.session.rollback()
        finally:
            db.session.remove()


def _status_in(page: dict, ticket_id: uuid.UUID) -> str | None:
    rows = page["changes"].get("tickets", {}).get("upserts", [])
    return next((r["status"] for r in rows if r["id"] == str(ticket_id)), None)


def test_pull_does_not_acknowledge_a_mutation_whose_effect_it_held_back(app):
    with app.app_context():
        engineer, ticket, ids = committed_job(app, "held back")
        tag = uuid.uuid4().hex[:8]
        client = f"phone-{tag}"

        def fetch_all(cursor):
            page = None
            for _ in range(100):
                page = pull(db.session.get(User, engineer.id), cursor, 500, client_id=client)
                db.session.commit()
                cursor = page["cursor"]
                if not page["has_more"]:
                    break
            return page

        holding, release = threading.Event(), threading.Event()
        holder = threading.Thread(target=_hold_horizon, args=(app, holding, release))
        try:
            # The phone is up to date: its cursor is past the ticket's own change rows (other
            # databases' transactions on this server may hold the cluster-wide horizon: wait).
            cursor, seen, deadline = None, None, time.monotonic() + 60
            while seen != "assigned" and time.monotonic() < deadline:
                page = fetch_all(cursor)
                cursor, seen = page["cursor"], _status_in(page, ticket.id) or seen
                time.sleep(0.1 if seen != "assigned" else 0)
            if seen != "assigned":
                pytest.skip("a long transaction in another database holds the xid horizon")
            holder.start()
            assert holding.wait(30)

            accept = str(uuid.uuid4())
            version = ticket.version
            answer = push(
                db.session.get(User, engineer.id),
                client,
                1,
                [
                    {
                        "id": accept,
                        "name": "ticket.transition",
                        "args": {
                            "ticket_id": str(ticket.id),
                            "action": "accept",
                            "base_version": version,
                            "occurred_at": datetime.now(UTC).isoformat(),
                        },
                    }
                ],
            )
            db.session.commit()
            assert answer["results"][0]["status"] == "applied", answer

            held = fetch_all(cursor)
            assert _status_in(held, ticket.id) is None  # the horizon held it back
            # ... so the pull must not tell the phone its Accept is settled.
            assert held["last_mutation_id"] != accept

            release.set()
            holder.join(30)
            # Once it names the Accept, the phone holds its effect. (Delay, never loss: other
            # databases' transactions may hold the horizon a while; poll.)
            cursor, status, named = held["cursor"], None, None
            deadline = time.monotonic() + 60
            while named != accept and time.monotonic() < deadline:
                page = fetch_all(cursor)
                cursor, status = page["cursor"], _status_in(page, ticket.id) or status
                named = page["last_mutation_id"]
                time.sleep(0 if named == accept else 0.2)
            if named != accept and _held_by_other_databases():
                pytest.skip("a long transaction in another database holds the xid horizon")
            assert named == accept
            assert status == "accepted"
        finally:
            release.set()
            if holder.ident is not None:
                holder.join(30)
            db.session.rollback()
            _cleanup(ids)
            for table in ("sync_mutations", "sync_clients"):
                db.session.execute(text(f"DELETE FROM {table} WHERE client_id = :c"), {"c": client})
            db.session.commit()
            db.session.remove()
