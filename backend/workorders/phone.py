"""What an engineer's phone shows beside a job: who the customer is and how to reach them,
which site and asset, how the job got to its status, and what other features add through
``hooks.phone_context`` (sign-off: the completion requirements).

The synced ticket row carries only ``site_id`` and ``asset_id``, and engineers may not read the
customer, site and asset endpoints (staff data), so the context travels with the ticket on
pull. It is loaded for a whole page of tickets at once: three queries per page, never one per
ticket (an initial pull of 10,000 jobs would otherwise pay 30,000 round trips). It is computed
from current state, like every upsert, and the history holds status changes only: each of
those updates the ticket row too, so the change log re-delivers the ticket whenever its
history grows and the copy on the phone is never behind.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from marshmallow import Schema
from sqlalchemy import select

from backend.assets.models import Asset, Customer, Site
from backend.db import db
from backend.workorders import hooks
from backend.workorders.models import Ticket, TicketEvent


def context(tickets: Sequence[Ticket]) -> dict[uuid.UUID, dict[str, Any]]:
    """Per ticket id: ``customer`` (name, phone), ``site`` (name, address), ``asset`` (name,
    model, serial) — each None when the ticket has none — and ``history``."""
    if not tickets:
        return {}
    assets = _assets({t.asset_id for t in tickets if t.asset_id})
    site_ids = {t.site_id for t in tickets if t.site_id}
    site_ids |= {a["site_id"] for a in assets.values()}
    sites = _sites(site_ids)
    history = _history([t.id for t in tickets])
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for t in tickets:
        asset = assets.get(t.asset_id) if t.asset_id else None
        site_id = t.site_id or (asset["site_id"] if asset else None)
        site = sites.get(site_id) if site_id else None
        out[t.id] = {
            "customer": site["customer"] if site else None,
            "site": {"name": site["name"], "address": site["address"]} if site else None,
            "asset": (
                {k: asset[k] for k in ("name", "model", "serial")} if asset is not None else None
            ),
            "history": history.get(t.id, []),
        }
    for contribute in list(hooks.phone_context):
        for ticket_id, extra in contribute(tickets).items():
            out[ticket_id].update(extra)
    return out


def _assets(ids: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Asset.id, Asset.site_id, Asset.name, Asset.model, Asset.serial).where(
            Asset.id.in_(ids)
        )
    )
    return {r.id: r._asdict() for r in rows}


def _sites(ids: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    if not ids:
        return {}
    customer_name = Customer.name.label("customer_name")
    rows = db.session.execute(
        select(Site.id, Site.name, Site.address, customer_name, Customer.phone)
        .join(Customer, Customer.id == Site.customer_id)
        .where(Site.id.in_(ids))
    )
    return {
        r.id: {
            "name": r.name,
            "address": r.address,
            "customer": {"name": r.customer_name, "phone": r.phone},
        }
        for r in rows
    }


def _history(ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Status changes, oldest first (activities that keep the status are left out: notes,
    parts and sign-offs sync as records of their own)."""
    e = TicketEvent
    rows = db.session.execute(
        select(e.ticket_id, e.action, e.from_status, e.to_status, e.at, e.via, e.reason)
        .where(e.ticket_id.in_(ticket_ids), e.from_status.is_distinct_from(e.to_status))
        .order_by(e.ticket_id, e.at, e.id)
    )
    out: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r.ticket_id].append(
            {
                "action": r.action,
                "from_status": r.from_status,
                "to_status": r.to_status,
                "at": r.at.isoformat(),
                "via": r.via,
                "reason": r.reason,
            }
        )
    return out


def context_schemas() -> list[type[Schema]]:
    """The schemas of the keys ``context`` adds: its own and every contributor's."""
    from backend.workorders.schemas import PhoneContextOut

    return [PhoneContextOut, *hooks.phone_context_schemas]
