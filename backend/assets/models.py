from __future__ import annotations

import secrets
import uuid

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base, Timestamps, UUIDPk


def new_qr_token() -> str:
    """128+ random bits, URL-safe: printed on equipment, so it must not be guessable."""
    return secrets.token_urlsafe(18)  # 144 bits


# ``external_ref``: the id the customer's own system gives a record; a bulk import upserts by it
# (docs/imports.md). Unique where set; records made in the app have none.
class Customer(UUIDPk, Timestamps, Base):
    __tablename__ = "customers"
    __table_args__ = (Index("uq_customers_external_ref", "external_ref", unique=True),)

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    external_ref: Mapped[str | None] = mapped_column(String(100))


class Site(UUIDPk, Timestamps, Base):
    __tablename__ = "sites"
    __table_args__ = (
        Index("ix_sites_location", "location", postgresql_using="gist"),
        Index("uq_sites_external_ref", "external_ref", unique=True),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    external_ref: Mapped[str | None] = mapped_column(String(100))

    customer: Mapped[Customer] = relationship(lazy="joined")


class Asset(UUIDPk, Timestamps, Base):
    __tablename__ = "assets"
    __table_args__ = (Index("uq_assets_external_ref", "external_ref", unique=True),)

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    serial: Mapped[str | None] = mapped_column(String(200))
    qr_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_qr_token)
    external_ref: Mapped[str | None] = mapped_column(String(100))

    site: Mapped[Site] = relationship(lazy="joined")
