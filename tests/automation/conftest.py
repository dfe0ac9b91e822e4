"""Automation fixtures: ``rule(**body)`` saves a rule as an admin (the actor its actions use)."""

from __future__ import annotations

from typing import Any

import pytest

from backend.automation.operations import create_rule
from backend.db import db
from tests.api.conftest import _fresh_rate_limits, admin, api  # noqa: F401 (fixtures)


@pytest.fixture()
def rule(make_user):
    owner = None

    def _make(**body: Any):
        nonlocal owner
        if owner is None:
            owner = make_user("admin")
        saved = create_rule(owner, {"name": "rule", "event": "ticket.created", **body})
        db.session.commit()
        return saved

    return _make
