"""The same records as files (``GET /data/<entity>/export``): customers, sites, assets, parts
and van stock levels with exactly the import's columns, so an exported file is a template,
and imported back unchanged changes nothing; tickets with their number, state and the
external references of what they concern. Written by ``backend.spreadsheet`` (formula-looking
text stays text; the import strips the guard it adds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

from backend.db import db
from backend.imports.entities import ENTITIES


@dataclass(frozen=True)
class Export:
    name: str
    title: str
    header: tuple[str, ...]
    sql: str


_TICKET_COLUMNS = (
    "number",
    "title",
    "status",
    "priority",
    "customer_ref",
    "site_ref",
    "asset_ref",
    "assignee_email",
    "created_at",
    "respond_by",
    "resolve_by",
    "resolved_at",
    "sla_state",
)

EXPORTS: dict[str, Export] = {
    e.name: e
    for e in (
        Export(
            "customers",
            "Customers",
            tuple(ENTITIES["customers"].names),
            "SELECT external_ref, name, email, phone FROM customers ORDER BY name, id",
        ),
        Export(
            "sites",
            "Sites",
            tuple(ENTITIES["sites"].names),
            "SELECT s.external_ref, c.external_ref, s.name, s.address,"
            " ST_Y(s.location), ST_X(s.location)"
            " FROM sites s JOIN customers c ON c.id = s.customer_id ORDER BY s.name, s.id",
        ),
        Export(
            "assets",
            "Assets",
            tuple(ENTITIES["assets"].names),
            "SELECT a.external_ref, s.external_ref, a.name, a.model, a.serial"
            " FROM assets a JOIN sites s ON s.id = a.site_id ORDER BY a.name, a.id",
        ),
        Export(
            "parts",
            "Parts",
            tuple(ENTITIES["parts"].names),
            "SELECT sku, name, unit, min_quantity FROM parts ORDER BY sku",
        ),
        Export(
            "van_stock",
            "Van stock",
            tuple(ENTITIES["van_stock"].names),
            "SELECT u.email, p.sku, l.quantity FROM stock_levels l"
            " JOIN stock_locations v ON v.id = l.location_id AND v.kind = 'van'"
            " JOIN users u ON u.id = v.engineer_id JOIN parts p ON p.id = l.part_id"
            " ORDER BY u.email, p.sku",
        ),
        Export(
            "tickets",
            "Tickets",
            _TICKET_COLUMNS,
            "SELECT t.seq, t.title, t.status, t.priority, c.external_ref, s.external_ref,"
            " a.external_ref, u.email, t.created_at, t.respond_by, t.resolve_by, t.resolved_at,"
            " t.sla_state FROM tickets t"
            " LEFT JOIN assets a ON a.id = t.asset_id"
            " LEFT JOIN sites s ON s.id = coalesce(t.site_id, a.site_id)"
            " LEFT JOIN customers c ON c.id = s.customer_id"
            " LEFT JOIN users u ON u.id = t.assignee_id ORDER BY t.seq",
        ),
    )
}


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)  # Decimal quantities, as the import reads them
    return value


def rows(name: str) -> list[list[Any]]:
    """Every row of the export, read at once: the file is written after the request's
    transaction ends (streamed), and a server-side cursor cannot outlive it."""
    result = db.session.execute(text(EXPORTS[name].sql))
    return [[_cell(v) for v in row] for row in result]


def filename(name: str, now: datetime, fmt: str) -> str:
    return f"{name}_{now:%Y-%m-%d}.{fmt}"
