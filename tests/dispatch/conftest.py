"""Dispatch fixtures: engineers with profiles, and switches for auto-dispatch settings."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import time
from typing import Any

import pytest

from backend.accounts.models import User
from backend.db import db
from backend.dispatch.engineers import ShiftSpec, create_profile
from backend.dispatch.models import EngineerProfile
from backend.workorders.operations import Location

ALWAYS = ShiftSpec("UTC", [0, 1, 2, 3, 4, 5, 6], time(0, 0), time(0, 0))  # 24 h, every day


@pytest.fixture()
def make_engineer(session, make_user):
    """``make_engineer(lon, lat, regions=[...], skills=[...], shift=ALWAYS, **profile)``."""
    admin = None

    def _make(
        lon: float,
        lat: float,
        *,
        regions: list[Any] = (),
        skills: list[str] = (),
        shift: ShiftSpec = ALWAYS,
        name: str | None = None,
        **kw: Any,
    ) -> User:
        nonlocal admin
        if admin is None:
            admin = make_user("admin")
        user = make_user("engineer", name=name)
        create_profile(
            actor=admin,
            user_id=user.id,
            home=Location(lon, lat),
            shift=shift,
            skills=list(skills),
            region_ids=[r.id if hasattr(r, "id") else uuid.UUID(str(r)) for r in regions],
            **kw,
        )
        db.session.commit()
        return user

    return _make


@pytest.fixture()
def profile_of():
    def _get(user: User) -> EngineerProfile:
        profile = db.session.get(EngineerProfile, user.id)
        assert profile is not None
        return profile

    return _get


@pytest.fixture()
def dispatch_config(app) -> Iterator[dict[str, Any]]:
    """Set dispatch keys in ``app.config`` for one test (restored afterwards)."""
    saved: dict[str, Any] = {}
    sentinel = object()

    class _Setter(dict):
        def __setitem__(self, key: str, value: Any) -> None:
            saved.setdefault(key, app.config.get(key, sentinel))
            app.config[key] = value
            super().__setitem__(key, value)

    yield _Setter()
    for key, value in saved.items():
        if value is sentinel:
            app.config.pop(key, None)
        else:
            app.config[key] = value
