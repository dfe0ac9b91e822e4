"""Factory fixtures: ``make_user(role=...)``, ``make_ticket(...)`` etc., and ``auth(user)``.

Factories commit (a savepoint release inside the test's transaction), so objects survive the
session reset that each test-client request does at its end.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from shapely.geometry import Polygon

from backend.accounts.models import User
from backend.accounts.operations import create_user
from backend.accounts.sessions import start_session
from backend.assets.models import Asset, Customer, Site
from backend.db import db, utcnow
from backend.dispatch.models import Region, Skill
from backend.workorders.geo import point
from backend.workorders.models import Ticket
from backend.workorders.operations import Location, create_ticket

_seq = itertools.count(1)

# A square around central Berlin, and a point inside it.
BERLIN = (13.40, 52.52)


def square(lon: float, lat: float, half: float = 0.05) -> dict[str, Any]:
    ring = [
        (lon - half, lat - half),
        (lon + half, lat - half),
        (lon + half, lat + half),
        (lon - half, lat + half),
        (lon - half, lat - half),
    ]
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


@pytest.fixture()
def make_user(session):
    def _make(
        role: str = "engineer",
        *,
        email: str | None = None,
        name: str | None = None,
        password: str = "correct horse battery",
    ) -> User:
        n = next(_seq)
        user = create_user(
            email=email or f"{role}{n}@example.com",
            name=name or f"{role.title()} {n}",
            role=role,
            password=password,
        )
        db.session.commit()
        return user

    return _make


@pytest.fixture()
def auth(app):
    def _auth(user: User, *, refresh: bool = False) -> dict[str, str]:
        """Headers of a fresh login session of ``user`` (tokens must belong to a session)."""
        with app.app_context():
            tokens = start_session(db.session.get(User, user.id), user_agent="tests", now=utcnow())
            db.session.commit()
        token = tokens["refresh_token" if refresh else "access_token"]
        return {"Authorization": f"Bearer {token}"}

    return _auth


@pytest.fixture()
def make_customer(session):
    def _make(name: str = "ACME Facilities") -> Customer:
        c = Customer(name=name, email="facilities@acme.example")
        db.session.add(c)
        db.session.commit()
        return c

    return _make


@pytest.fixture()
def make_site(session, make_customer):
    def _make(
        lon: float = BERLIN[0],
        lat: float = BERLIN[1],
        *,
        customer: Customer | None = None,
        name: str = "Head office",
    ) -> Site:
        site = Site(
            customer_id=(customer or make_customer()).id,
            name=name,
            address="Alexanderplatz 1",
            location=point(lon, lat),
        )
        db.session.add(site)
        db.session.commit()
        return site

    return _make


@pytest.fixture()
def make_asset(session, make_site):
    def _make(site: Site | None = None, name: str = "Chiller 3") -> Asset:
        asset = Asset(site_id=(site or make_site()).id, name=name, model="CX-900", serial="SN-1")
        db.session.add(asset)
        db.session.commit()
        return asset

    return _make


@pytest.fixture()
def make_region(session):
    def _make(area: dict[str, Any] | None = None, name: str | None = None) -> Region:
        from geoalchemy2.shape import from_shape
        from shapely.geometry import shape

        geom = shape(area or square(*BERLIN))
        region = Region(name=name or f"Region {next(_seq)}", area=from_shape(geom, srid=4326))
        db.session.add(region)
        db.session.commit()
        return region

    return _make


@pytest.fixture()
def make_skill(session):
    def _make(code: str, name: str | None = None) -> Skill:
        skill = Skill(code=code, name=name or code.title())
        db.session.add(skill)
        db.session.commit()
        return skill

    return _make


@pytest.fixture()
def make_ticket(session, app):
    def _make(
        *,
        priority: str = "P3",
        title: str = "Unit not cooling",
        lon: float = BERLIN[0],
        lat: float = BERLIN[1],
        actor: User | None = None,
        **kw: Any,
    ) -> Ticket:
        kw.setdefault("sla_policy", app.config["SLA_POLICY"])
        if not (kw.get("asset_id") or kw.get("site_id")):
            kw.setdefault("location", Location(lon, lat))
        ticket = create_ticket(actor=actor, title=title, priority=priority, **kw)
        db.session.commit()
        return ticket

    return _make


@pytest.fixture()
def no_completion_rules(app, monkeypatch):
    """Switch off the close-out completion rules (signature, photos, parts; backend/signoff)
    for tests of other features that drive a ticket to ``completed`` without evidence."""
    from backend.signoff.rules import NO_RULES

    monkeypatch.setitem(app.config, "COMPLETION_RULES", NO_RULES)


def new_id() -> str:
    return str(uuid.uuid4())


__all__ = ["BERLIN", "Polygon", "new_id", "square"]
