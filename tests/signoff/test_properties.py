"""Property tests: any well-formed strokes render to a standard PNG, deterministically; any
sequence of ledger movements keeps the materialised levels equal to the ledger's sums."""

from __future__ import annotations

import io
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from backend.db import db
from backend.errors import Conflict
from backend.parts import operations as ops
from backend.parts.models import StockLevel
from backend.parts.queries import ledger_levels
from backend.signoff.signature import HEIGHT, WIDTH, render

coord = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
stroke = st.lists(st.tuples(coord, coord).map(list), min_size=1, max_size=20)


@settings(max_examples=30, deadline=None)
@given(st.lists(stroke, min_size=1, max_size=6))
def test_any_strokes_render_to_the_standard_png(strokes):
    image, _ = render({"strokes": strokes})
    assert image == render({"strokes": strokes})[0]
    with Image.open(io.BytesIO(image.png)) as im:
        assert im.size == (WIDTH, HEIGHT)
        assert sum(im.convert("L").histogram()[:200]) > 0  # something was drawn


movement = st.tuples(
    st.sampled_from(["receipt", "transfer", "transfer_back", "adjust_out"]),
    st.integers(min_value=1, max_value=9),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(movement, min_size=1, max_size=12))
def test_levels_always_equal_the_ledger(session, dispatcher, moves):
    savepoint = db.session.begin_nested()  # each example is rolled back
    try:
        part = ops.create_part(actor=dispatcher, sku="PROP-1", name="Belt")
        a = ops.create_location(actor=dispatcher, name="A", kind="warehouse")
        b = ops.create_location(actor=dispatcher, name="B", kind="warehouse")
        expected = {a.id: Decimal(0), b.id: Decimal(0)}
        for kind, qty in moves:
            src, dst = {
                "receipt": (None, a.id),
                "transfer": (a.id, b.id),
                "transfer_back": (b.id, a.id),
                "adjust_out": (a.id, None),
            }[kind]
            try:
                with db.session.begin_nested():
                    ops.post_movement(
                        actor=dispatcher,
                        part_id=part.id,
                        quantity=Decimal(qty),
                        from_location_id=src,
                        to_location_id=dst,
                        kind="adjustment" if kind == "adjust_out" else None,
                        reason="counted",
                    )
            except Conflict:  # staff may not take a location below zero
                assert src is not None and expected[src] < qty
                continue
            if src:
                expected[src] -= qty
            if dst:
                expected[dst] += qty
        rows = db.session.scalars(select(StockLevel).where(StockLevel.part_id == part.id))
        levels = {r.location_id: r.quantity for r in rows}
        assert all(q >= 0 for q in levels.values())
        assert levels == {k: v for k, v in expected.items() if k in levels}
        assert {loc: q for (_, loc), q in ledger_levels(part.id).items()} == levels
    finally:
        savepoint.rollback()
