"""A ticket's facts as the rules' conditions see them (the catalog's field names), read once
per ticket. The live run reads the ticket as it is when the rule runs (just after the event
committed); the dry run reads today's ticket with the status and the time of the past event
(the ticket's earlier fields are not kept, so they are not reconstructed)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from backend.assets.models import Asset, Site
from backend.db import db
from backend.workorders.models import Ticket


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def facts_of(ticket: Ticket, *, at: datetime, status: str | None = None) -> dict[str, Any]:
    asset = db.session.get(Asset, ticket.asset_id) if ticket.asset_id else None
    site_id = ticket.site_id or (asset.site_id if asset else None)
    site = db.session.get(Site, site_id) if site_id else None
    return {
        "ticket.priority": str(ticket.priority),
        "ticket.status": str(status or ticket.status),
        "ticket.sla_state": ticket.sla_state,
        "ticket.source": ticket.source,
        "ticket.title": ticket.title,
        "ticket.required_skills": list(ticket.required_skills or []),
        "ticket.assignee_id": _text(ticket.assignee_id),
        "ticket.job_type_id": _text(ticket.job_type_id),
        "ticket.rating": ticket.rating,
        "asset.id": _text(ticket.asset_id),
        "asset.model": asset.model if asset else None,
        "site.id": _text(site_id),
        "customer.id": _text(site.customer_id) if site else None,
        "region.id": [str(r) for r in ticket.region_ids or []],
        "time_of_day": at,
    }
