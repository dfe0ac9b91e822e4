"""The same records as files (``GET /data/<entity>/export``, or as a job for a long one):
customers, sites, assets, parts, van stock levels and engineers with exactly the import's
columns, so an exported file is a template,
and imported back unchanged changes nothing; tickets with their number, state and the
external references of what they concern. Written by ``backend.spreadsheet`` (formula-looking
text stays text; the import strips the guard it adds)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text

from backend.db import db
from backend.dispatch.shifts import Shift, format_pattern
from backend.errors import Invalid
from backend.imports.entities import ENTITIES
from backend.imports.schemas import DataExportQuery


@dataclass(frozen=True)
class Export:
    name: str
    title: str
    header: tuple[str, ...]
    sql: str
    shape: Callable[[list[Any]], list[Any]] | None = None  # the query's row as the file's


def _engineer(row: list[Any]) -> list[Any]:
    """The four shift columns of the profile as the one cell the import reads."""
    ref, email, name, skills, regions, days, start, end, tz, lat, lon, language = row
    shift = format_pattern(Shift(tz, tuple(days), start, end)) if tz is not None else None
    return [ref, email, name, skills, regions, shift, lat, lon, language]


# A region by its name when no other region has that name (and it holds no ";", the cell's
# separator), else by its id: either way the import finds exactly that region again.
_REGION_LABEL = (
    "CASE WHEN position(';' in r.name) = 0"
    " AND (SELECT count(*) FROM regions o WHERE o.name = r.name) = 1"
    " THEN r.name ELSE r.id::text END"
)


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
            "engineers",
            "Engineers",
            tuple(ENTITIES["engineers"].names),
            "SELECT u.external_ref, u.email, u.name,"
            " (SELECT string_agg(k, '; ' ORDER BY k) FROM unnest(p.skills) k),"
            f" (SELECT string_agg({_REGION_LABEL}, '; ' ORDER BY r.name) FROM regions r"
            " WHERE r.id = ANY(p.region_ids)),"
            " p.shift_days, p.shift_start, p.shift_end, p.shift_timezone,"
            " ST_Y(p.home), ST_X(p.home), u.language"
            " FROM users u LEFT JOIN engineer_profiles p ON p.user_id = u.id"
            " WHERE u.role = 'engineer' ORDER BY u.email",
            _engineer,
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
            " LEFT JOIN users u ON u.id = t.assignee_id"
            " WHERE t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')"
            " AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity') ORDER BY t.seq",
        ),
    )
}


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)  # Decimal quantities, as the import reads them
    return value


def check_period(name: str, first: date | None, last: date | None) -> None:
    """A period selects tickets by their creation day; the registers are exported whole (a
    period there is a mistake, said rather than ignored)."""
    if name != "tickets" and (first or last):
        raise Invalid(
            "from and to select tickets by creation day; other records are exported whole",
            errors={"from": ["tickets only"]},
        )


def rows(name: str, first: date | None = None, last: date | None = None) -> list[list[Any]]:
    """Every row of the export, read at once: the file is written after the request's
    transaction ends (streamed), and a server-side cursor cannot outlive it. ``first`` and
    ``last`` (tickets only) keep the tickets created on those UTC days."""
    spec = EXPORTS[name]
    bounds = {
        "since": datetime.combine(first, time(0), tzinfo=UTC) if first else None,
        "until": datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC) if last else None,
    }
    result = db.session.execute(text(spec.sql), bounds if name == "tickets" else {})
    shape = spec.shape or list
    return [[_cell(v) for v in shape(list(row))] for row in result]


def filename(name: str, now: datetime, fmt: str) -> str:
    return f"{name}_{now:%Y-%m-%d}.{fmt}"


def job_rows(name: str, query: dict[str, Any]) -> tuple[str, list[str], list[list[Any]], str, str]:
    """(sheet title, header, rows, file name, format) of an export made by a job
    (``backend.reports.export_jobs``): the same rows and file as the streamed one."""
    parsed = DataExportQuery().load(query)
    check_period(name, parsed.get("from_"), parsed.get("to"))
    spec = EXPORTS[name]
    fmt = parsed["format"]
    data = rows(name, parsed.get("from_"), parsed.get("to"))
    return spec.title, list(spec.header), data, filename(name, datetime.now(UTC), fmt), fmt
