"""Apply: the dry run's checked rows written set-based, a chunk at a time.

Each chunk is copied (``COPY``) into a temporary table and upserted by its key in one
statement: ``INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE (columns) IS DISTINCT FROM
(the new ones)``, so a row that already holds the file's values is not written at all (no new
row version, no ``updated_at`` bump: a re-import of the same file changes nothing), and
``RETURNING (xmax = 0)`` tells inserts from updates. Rows are validated per row in Python by
the dry run; nothing here loops over rows in SQL.

Every chunk is its own transaction (``CHUNK_ROWS`` rows): a long import does not hold one
transaction open for minutes (the sync pull's horizon is cluster-wide, docs/architecture.md),
and a row is written whole or not at all. If a chunk fails the job stops; applying again
finds the rows already written by their key and leaves them as they are.

The parts catalog is synced to every phone (``parts`` is ``SyncTracked``), so its rows go
through the ORM and the change log's flush listener instead: a catalog is thousands of rows,
not hundreds of thousands.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from backend.db import db, utcnow
from backend.errors import Invalid
from backend.imports.entities import Entity
from backend.parts.models import Part

CHUNK_ROWS = 10_000
Row = list[str | None]


@dataclass(frozen=True)
class Upsert:
    """The SQL of one entity: ``source`` selects the target's columns from ``import_rows``
    (joins resolve references); ``compare`` are the columns a re-import may change."""

    table: str
    key: str
    source: str
    insert: tuple[str, ...]
    compare: tuple[str, ...]
    missing: str | None = None  # counts rows whose reference is gone
    extra: Callable[[], str] | None = None  # a value per row for a column only the writer has


_UPSERTS: dict[str, Upsert] = {
    "customers": Upsert(
        "customers",
        "external_ref",
        "SELECT r.external_ref, r.name, r.email, r.phone FROM import_rows r",
        ("external_ref", "name", "email", "phone"),
        ("name", "email", "phone"),
    ),
    "sites": Upsert(
        "sites",
        "external_ref",
        "SELECT r.external_ref, c.id, r.name, r.address,"
        " ST_SetSRID(ST_MakePoint(r.longitude::float8, r.latitude::float8), 4326)"
        " FROM import_rows r JOIN customers c ON c.external_ref = r.customer_ref",
        ("external_ref", "customer_id", "name", "address", "location"),
        ("customer_id", "name", "address", "location"),
        missing="SELECT r.customer_ref FROM import_rows r"
        " LEFT JOIN customers c ON c.external_ref = r.customer_ref WHERE c.id IS NULL",
    ),
    "assets": Upsert(
        "assets",
        "external_ref",
        "SELECT r.external_ref, s.id, r.name, r.model, r.serial, r.qr_token"
        " FROM import_rows r JOIN sites s ON s.external_ref = r.site_ref",
        ("external_ref", "site_id", "name", "model", "serial", "qr_token"),
        ("site_id", "name", "model", "serial"),
        missing="SELECT r.site_ref FROM import_rows r"
        " LEFT JOIN sites s ON s.external_ref = r.site_ref WHERE s.id IS NULL",
        extra=lambda: secrets.token_urlsafe(18),  # a new asset's QR token, as new_qr_token
    ),
}


def upsert_sql(spec: Upsert) -> str:
    cols = ", ".join(spec.insert)
    new = ", ".join(f"EXCLUDED.{c}" for c in spec.compare)
    old = ", ".join(f"t.{c}" for c in spec.compare)
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in spec.compare)
    return (
        f"WITH up AS (INSERT INTO {spec.table} AS t (id, {cols}, created_at, updated_at)"
        f" SELECT gen_random_uuid(), src.*, :now, :now FROM ({spec.source}) AS src"
        f" ON CONFLICT ({spec.key}) DO UPDATE SET {sets}, updated_at = EXCLUDED.updated_at"
        f" WHERE ({old}) IS DISTINCT FROM ({new})"
        " RETURNING (xmax = 0) AS inserted)"
        " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
    )


def chunked(rows: list[Row], size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def write_chunk(entity: Entity, rows: list[Row]) -> dict[str, int]:
    """Upsert one chunk in the session's transaction (the caller commits); what it did."""
    if entity.name == "parts":
        return _write_parts(rows)
    spec = _UPSERTS[entity.name]
    columns = list(entity.names) + (["qr_token"] if spec.extra else [])
    session = db.session()
    session.execute(text("DROP TABLE IF EXISTS pg_temp.import_rows"))
    session.execute(
        text(
            "CREATE TEMP TABLE import_rows ("
            + ", ".join(f"{c} text" for c in columns)
            + ") ON COMMIT DROP"
        )
    )
    raw: Any = session.connection().connection.driver_connection
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY import_rows ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([*row, spec.extra()] if spec.extra else row)
    if spec.missing:
        gone = session.execute(text(spec.missing + " LIMIT 5")).scalars().all()
        if gone:
            raise Invalid(
                "rows refer to records that no longer exist: "
                + ", ".join(repr(g) for g in gone)
                + "; upload the file again for a new dry run"
            )
    inserted, updated = session.execute(text(upsert_sql(spec)), {"now": utcnow()}).one()
    session.execute(text("DROP TABLE IF EXISTS pg_temp.import_rows"))
    return {"inserted": inserted, "updated": updated, "unchanged": len(rows) - inserted - updated}


def _write_parts(rows: list[Row]) -> dict[str, int]:
    session = db.session()
    skus = [r[0] for r in rows]
    existing = {p.sku: p for p in session.scalars(select(Part).where(Part.sku.in_(skus)))}
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    for sku, name, unit, min_qty in rows:
        assert sku is not None and name is not None  # required: the dry run checked
        values = {
            "name": name,
            "unit": unit or "pcs",
            "min_quantity": Decimal(min_qty) if min_qty is not None else None,
        }
        part = existing.get(sku)
        if part is None:
            session.add(Part(sku=sku, **values))
            counts["inserted"] += 1
        elif any(getattr(part, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(part, k, v)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    session.flush()
    return counts


def known_refs(table: str, refs: set[str]) -> set[str]:
    """Which of ``refs`` are the ``external_ref`` of a row of ``table`` (the dry run's look-up)."""
    if table not in ("customers", "sites"):
        raise ValueError(table)
    found = db.session.execute(
        text(f"SELECT external_ref FROM {table} WHERE external_ref = ANY(:refs)"),
        {"refs": list(refs)},
    )
    return {r for (r,) in found}
