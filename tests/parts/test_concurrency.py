"""Concurrent ledger writes from threads, each with its own real database connection and
real commits (no test savepoint): no update may be lost and no two opposite transfers may
deadlock. The rows are removed afterwards (the ledger's explicit purge switch)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from decimal import Decimal

from sqlalchemy import select, text

from backend.db import db
from backend.parts import operations as ops
from backend.parts.models import Part, StockLevel, StockLocation
from backend.parts.queries import ledger_levels

THREADS = 8
MOVES = 15


def _purge(part_id: uuid.UUID, location_ids: list[uuid.UUID]) -> None:
    assert db.engine is not None
    with db.engine.begin() as conn:
        # The sync change log recorded these commits too: leave no trace for later tests.
        if conn.execute(text("SELECT to_regclass('sync_changes') IS NOT NULL")).scalar():
            conn.execute(
                text(
                    "DELETE FROM sync_changes WHERE entity_id = :p OR entity_id IN "
                    "(SELECT id FROM stock_levels WHERE part_id = :p)"
                ),
                {"p": part_id},
            )
        conn.execute(text("SET LOCAL fieldops.ledger_purge = 'on'"))
        conn.execute(text("DELETE FROM stock_movements WHERE part_id = :p"), {"p": part_id})
        conn.execute(text("DELETE FROM stock_levels WHERE part_id = :p"), {"p": part_id})
        conn.execute(
            text("DELETE FROM notifications WHERE data->>'part_id' = :p"), {"p": str(part_id)}
        )
        conn.execute(text("DELETE FROM parts WHERE id = :p"), {"p": part_id})
        conn.execute(
            text("DELETE FROM stock_locations WHERE id = ANY(:ids)"), {"ids": location_ids}
        )


def test_concurrent_movements_never_lose_an_update(app):
    with app.app_context():
        db.session.remove()
        part = Part(sku=f"CONC-{uuid.uuid4().hex[:8]}", name="Fuse", unit="pcs")
        a = StockLocation(name="Concurrent A", kind="warehouse")
        b = StockLocation(name="Concurrent B", kind="warehouse")
        db.session.add_all([part, a, b])
        db.session.commit()
        part_id, a_id, b_id = part.id, a.id, b.id
        db.session.remove()
    try:
        start = threading.Barrier(THREADS)
        errors: list[BaseException] = []
        done: Counter[str] = Counter()
        lock = threading.Lock()

        def worker(n: int) -> None:
            with app.app_context():
                try:
                    start.wait()
                    for i in range(MOVES):
                        # Receipts into A, transfers both ways between A and B: every
                        # movement touches a level row other threads touch at the same time.
                        kind = ("receipt", "a_to_b", "b_to_a")[(n + i) % 3]
                        src, dst = {
                            "receipt": (None, a_id),
                            "a_to_b": (a_id, b_id),
                            "b_to_a": (b_id, a_id),
                        }[kind]
                        ops.post_movement(
                            actor=None,
                            part_id=part_id,
                            quantity=Decimal(1),
                            from_location_id=src,
                            to_location_id=dst,
                            allow_negative=True,
                        )
                        db.session.commit()
                        with lock:
                            done[kind] += 1
                except BaseException as exc:  # surfaced below
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        assert sum(done.values()) == THREADS * MOVES

        expected_a = done["receipt"] - done["a_to_b"] + done["b_to_a"]
        expected_b = done["a_to_b"] - done["b_to_a"]
        with app.app_context():
            rows = db.session.scalars(select(StockLevel).where(StockLevel.part_id == part_id))
            levels = {lv.location_id: lv.quantity for lv in rows}
            assert levels == {a_id: expected_a, b_id: expected_b}
            derived = ledger_levels(part_id)
            assert derived == {(part_id, a_id): expected_a, (part_id, b_id): expected_b}
            db.session.remove()
    finally:
        _purge(part_id, [a_id, b_id])
