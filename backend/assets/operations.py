"""Customer, site and asset operations: plain values in, flush only, DomainError out."""

from __future__ import annotations

import uuid

from sqlalchemy import Select

from backend.accounts.models import User
from backend.assets.models import Asset, Customer, Site
from backend.db import added, by_name, get_or_404
from backend.errors import NotAllowed
from backend.geo import Location, location_to_wkb


def _staff(actor: User) -> None:
    if not actor.is_staff:
        raise NotAllowed("only a dispatcher or admin may manage customers, sites and assets")


def create_customer(
    *, actor: User, name: str, email: str | None = None, phone: str | None = None
) -> Customer:
    _staff(actor)
    customer = Customer(name=name.strip(), email=email, phone=phone)
    return added(customer)


def get_customer(customer_id: uuid.UUID) -> Customer:
    return get_or_404(Customer, customer_id, label="customer", field="customer_id")


def create_site(
    *,
    actor: User,
    customer_id: uuid.UUID,
    name: str,
    location: Location,
    address: str | None = None,
) -> Site:
    _staff(actor)
    customer = get_customer(customer_id)
    site = Site(
        customer_id=customer.id,
        name=name.strip(),
        address=address,
        location=location_to_wkb(location),
    )
    return added(site)


def get_site(site_id: uuid.UUID) -> Site:
    return get_or_404(Site, site_id, label="site", field="site_id")


def create_asset(
    *,
    actor: User,
    site_id: uuid.UUID,
    name: str,
    model: str | None = None,
    serial: str | None = None,
) -> Asset:
    _staff(actor)
    site = get_site(site_id)
    asset = Asset(site_id=site.id, name=name.strip(), model=model, serial=serial)
    return added(asset)


def get_asset(asset_id: uuid.UUID) -> Asset:
    return get_or_404(Asset, asset_id, label="asset", field="asset_id")


def customers_query() -> Select[Customer]:
    return by_name(Customer)


def sites_query(customer_id: uuid.UUID | None = None) -> Select[Site]:
    stmt = by_name(Site)
    if customer_id is not None:
        stmt = stmt.where(Site.customer_id == customer_id)
    return stmt


def assets_query(site_id: uuid.UUID | None = None) -> Select[Asset]:
    stmt = by_name(Asset)
    if site_id is not None:
        stmt = stmt.where(Asset.site_id == site_id)
    return stmt
