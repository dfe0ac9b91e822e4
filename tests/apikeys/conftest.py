"""API keys made through the real operation (``create_key``), sent as ``X-API-Key``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from backend.accounts import apikeys
from backend.db import db, utcnow

# The API tests' fixtures: fresh rate limits per test, the ``api`` caller, an admin, staff.
from tests.api.conftest import _fresh_rate_limits, admin, api, staff  # noqa: F401 (fixtures)


@pytest.fixture()
def make_key(make_user) -> Callable[..., tuple[Any, str]]:
    """``make_key(["tickets:read"])`` -> (ApiKey, plain key), committed like a request."""
    creator = make_user("admin")

    def _make(scopes: list[str], **kw: Any) -> tuple[Any, str]:
        key, plain = apikeys.create_key(
            name=kw.pop("name", "ERP sync"), scopes=scopes, actor=creator, now=utcnow(), **kw
        )
        db.session.commit()
        return key, plain

    return _make


def key_headers(plain: str) -> dict[str, str]:
    return {"X-API-Key": plain}
