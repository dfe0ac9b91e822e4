"""Helpers for the REST API tests: JSON requests as a given user."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture()
def api(client, auth):
    """``api("post", "/api/v1/tickets", user, json=...)`` -> response (no user: anonymous)."""

    def _call(method: str, path: str, user: Any = None, **kw: Any):
        headers = dict(kw.pop("headers", {}) or {})
        if user is not None:
            headers.update(auth(user))
        return getattr(client, method)(path, headers=headers, **kw)

    return _call


@pytest.fixture()
def staff(make_user):
    return make_user("dispatcher")


@pytest.fixture()
def admin(make_user):
    return make_user("admin")
