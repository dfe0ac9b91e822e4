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

Van stock is not written at all: the stock ledger is the truth (``backend.parts.ledger``), so
each row whose quantity differs from the van's level becomes one ``adjustment`` movement with
reason ``import`` through ``post_movement`` (the level, its change-log row for the engineer's
phone and the low-stock notices come with it). The level is locked before it is compared, so a
part used on a job while the import runs is not overwritten by a stale difference.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from backend.accounts.models import Role, User
from backend.db import db, utcnow
from backend.errors import Invalid
from backend.imports import engineers
from backend.imports.entities import Entity
from backend.parts import operations as parts
from backend.parts.models import Part, StockLevel, StockLocation

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


def write_chunk(
    entity: Entity, rows: list[Row], actor_id: uuid.UUID | None = None
) -> dict[str, int]:
    """Upsert one chunk in the session's transaction (the caller commits); what it did.
    ``actor_id``: who started the import (the van stock movements are theirs)."""
    if entity.name == "parts":
        return _write_parts(rows)
    if entity.name == "van_stock":
        return _write_van_stock(rows, actor_id)
    if entity.name == "engineers":
        return engineers.write(rows, actor_id)
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


def _write_van_stock(rows: list[Row], actor_id: uuid.UUID | None) -> dict[str, int]:
    session = db.session()
    actor = session.get(User, actor_id) if actor_id else None
    if actor is None:
        raise Invalid("the user who started this import no longer exists; import again")
    emails = {r[0] for r in rows if r[0] is not None}  # required: all are, the dry run checked
    skus = {r[1] for r in rows if r[1] is not None}
    engineers = {
        u.email: u
        for u in session.scalars(
            select(User).where(User.email.in_(emails), User.role == Role.ENGINEER)
        )
    }
    part_ids = dict(session.execute(select(Part.sku, Part.id).where(Part.sku.in_(skus))).all())
    gone = sorted(e for e in emails if e not in engineers) + sorted(
        s for s in skus if s not in part_ids
    )
    if gone:
        raise Invalid(
            "rows refer to records that no longer exist: "
            + ", ".join(repr(g) for g in gone[:5])
            + "; upload the file again for a new dry run"
        )
    vans = {
        v.engineer_id: v
        for v in session.scalars(
            select(StockLocation).where(
                StockLocation.kind == "van",
                StockLocation.engineer_id.in_([u.id for u in engineers.values()]),
            )
        )
    }
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    for email, sku, quantity in rows:
        assert email is not None and sku is not None and quantity is not None  # the dry run
        engineer = engineers[email]
        van = vans.get(engineer.id)
        if van is None:  # an engineer without a van gets one, as the app makes them
            van = parts.create_location(
                actor=actor, name=f"Van {engineer.name}", kind="van", engineer_id=engineer.id
            )
            vans[engineer.id] = van
        part_id = part_ids[sku]
        level = session.execute(
            select(StockLevel.quantity)
            .where(StockLevel.part_id == part_id, StockLevel.location_id == van.id)
            .with_for_update()
        ).scalar()
        delta = Decimal(quantity) - (level if level is not None else Decimal(0))
        if delta == 0:
            counts["unchanged"] += 1
            continue
        parts.post_movement(
            actor=actor,
            part_id=part_id,
            quantity=abs(delta),
            from_location_id=van.id if delta < 0 else None,
            to_location_id=van.id if delta > 0 else None,
            kind="adjustment",
            reason="import",
        )
        counts["inserted" if level is None else "updated"] += 1
    return counts


_KNOWN = {
    "customers": "SELECT external_ref FROM customers WHERE external_ref = ANY(:refs)",
    "sites": "SELECT external_ref FROM sites WHERE external_ref = ANY(:refs)",
    "parts": "SELECT sku FROM parts WHERE sku = ANY(:refs)",
    # logins are stored lower-cased; the dry run lower-cases the file's
    "users": "SELECT email FROM users WHERE role = 'engineer' AND email = ANY(:refs)",
    "skills": "SELECT code FROM skills WHERE code = ANY(:refs)",
    "regions": engineers.REGION_REFS,
}


def known_refs(table: str, refs: set[str]) -> set[str]:
    """Which of ``refs`` name a row of ``table`` by the column the entity refers to it by
    (``external_ref``, a part's ``sku``, an engineer's e-mail, a skill's code, a region's name
    or id): the dry run's look-up."""
    if table not in _KNOWN:
        raise ValueError(table)
    found = db.session.execute(text(_KNOWN[table]), {"refs": list(refs)})
    return {r for (r,) in found}
