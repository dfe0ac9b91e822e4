"""Sync test helpers: a dispatcher, engineers, a job assigned to an engineer, HTTP push/pull."""

from __future__ import annotations

from typing import Any

import pytest

from backend.accounts.models import User
from backend.db import db
from backend.workorders import operations as ops
from backend.workorders.models import Ticket
from tests.parts.conftest import job, stock  # noqa: F401  (shared fixtures: a job in progress)


@pytest.fixture()
def dispatcher(make_user):
    return make_user("dispatcher")


@pytest.fixture()
def assign(dispatcher):
    def _assign(ticket, engineer):
        # Requests reset the session: work on an attached copy, never a detached object.
        ticket = db.session.get(Ticket, ticket.id)
        ops.assign_ticket(ticket, db.session.get(User, engineer.id), actor=dispatcher)
        db.session.commit()
        return ticket

    return _assign


@pytest.fixture()
def http(client, auth):
    """``http.push(user, envelope)`` / ``http.pull(user, cursor, limit)`` -> JSON (asserts 200)."""

    class Http:
        def push(self, user, envelope: dict[str, Any], status: int = 200) -> dict[str, Any]:
            resp = client.post("/api/v1/sync/push", json=envelope, headers=auth(user))
            assert resp.status_code == status, resp.get_json()
            return resp.get_json()

        def pull(self, user, cursor: str | None = None, limit: int = 100, **extra: Any):
            params: dict[str, Any] = {"limit": limit, **extra}
            if cursor is not None:
                params["cursor"] = cursor
            resp = client.get("/api/v1/sync/pull", query_string=params, headers=auth(user))
            assert resp.status_code == 200, resp.get_json()
            return resp.get_json()

        def fetcher(self, user):
            return lambda cursor, limit: self.pull(user, cursor, limit)

    return Http()
