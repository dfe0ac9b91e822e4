"""Helpers for the REST API tests: JSON requests as a given user."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from sqlalchemy import inspect

from backend.accounts.models import User
from backend.db import db
from backend.extensions import limiter

# The inbound email endpoint takes a raw message (``message/rfc822``): bytes, like a file.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")


@pytest.fixture(autouse=True)
def _fresh_rate_limits(session):
    """Start each test with empty rate-limit counters even if the limiter's storage is not the
    test Redis (another in-process ``create_app`` re-binds the global limiter)."""
    limiter.reset()


@pytest.fixture()
def api(client, auth):
    """``api("post", "/api/v1/tickets", user, json=...)`` -> response (no user: anonymous)."""

    def _call(method: str, path: str, user: Any = None, **kw: Any):
        headers = dict(kw.pop("headers", {}) or {})
        if user is not None:
            # A failed request rolls back and resets the session, leaving ``user`` expired and
            # detached; its identity survives, so reload it by id.
            headers.update(auth(db.session.get(User, inspect(user).identity[0])))
        return getattr(client, method)(path, headers=headers, **kw)

    return _call


@pytest.fixture()
def staff(make_user):
    return make_user("dispatcher")


@pytest.fixture()
def admin(make_user):
    return make_user("admin")
