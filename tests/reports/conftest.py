"""Helpers for the report tests: a settable clock and staff requests.

Ticket histories need controlled times, and every operation reads the time through
``backend.db.utcnow``; the clock replaces the ``datetime`` that function reads (the standard
library's clock, as a time-freezing library would), so the real operations write the real rows
at chosen instants. Requests run with the real clock (sessions and tokens are checked against
it), so histories are built in the past.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import backend.db as db_module
from backend.accounts.models import User
from backend.db import db
from backend.workorders import operations as ops
from backend.workorders.models import Ticket
from tests.factories import BERLIN, square


def walk_settings(variable: str, default: int) -> settings:
    """The report property tests' hypothesis settings: ``variable`` sets the number of
    examples; reproducible (derandomized), no deadline (an example commits real rows), every
    health check off (examples build whole histories through the real operations)."""
    return settings(
        max_examples=int(os.environ.get(variable, str(default))),
        deadline=None,
        derandomize=True,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


_real_datetime = datetime


class _SetDatetime(datetime):
    instant: datetime | None = None

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Any:
        if cls.instant is None:
            return _real_datetime.now(tz)
        return cls.instant.astimezone(tz) if tz is not None else cls.instant


class Clock:
    """``with clock.at(t): ...`` runs operations at ``t``; ``clock.advance(minutes)`` inside."""

    @contextmanager
    def at(self, instant: datetime) -> Iterator[Clock]:
        _SetDatetime.instant = instant
        try:
            yield self
        finally:
            _SetDatetime.instant = None

    @property
    def now(self) -> datetime:
        assert _SetDatetime.instant is not None
        return _SetDatetime.instant

    def advance(self, minutes: float) -> datetime:
        assert _SetDatetime.instant is not None
        _SetDatetime.instant += timedelta(minutes=minutes)
        return _SetDatetime.instant


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    monkeypatch.setattr(db_module, "datetime", _SetDatetime)
    return Clock()


@pytest.fixture()
def report(client, auth, make_user):
    """``report("sla", user=None, **query)`` -> the response, as a dispatcher by default."""
    dispatcher = make_user("dispatcher")
    headers = auth(dispatcher)

    def _get(kind: str, user: Any = None, **query: Any):
        h = headers if user is None else auth(user)
        return client.get(f"/api/v1/reports/{kind}", query_string=query, headers=h)

    return _get


def act(ticket: Ticket, user: Any, action: str, *, reason: str = "testing") -> None:
    """Take a state-machine action through the real operation, and commit."""
    ops.transition(ops.get_ticket(ticket.id), user, action, reason=reason)
    db.session.commit()


def assign(ticket: Ticket, engineer: Any, dispatcher: Any) -> None:
    ops.assign_ticket(ops.get_ticket(ticket.id), engineer, actor=dispatcher)
    db.session.commit()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class People:
    dispatcher: User
    engineers: list[User]
    regions: list[uuid.UUID]


@pytest.fixture()
def people(make_user, make_region):
    r1 = make_region(square(*BERLIN))
    r2 = make_region(square(BERLIN[0] + 0.05, BERLIN[1]))
    return People(
        make_user("dispatcher"), [make_user("engineer"), make_user("engineer")], [r1.id, r2.id]
    )
