"""Two customers cannot book the last place of a slot: concurrent HTTP requests against a
live server (its own process, threaded, committed scratch database), released together by a
barrier. Each round one engineer gives each slot exactly one place; of the customers racing
for it exactly one gets 200 and every other a 409 ``slot_taken``, and the database holds one
booking of the slot."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import scratch_database_url
from tests.e2e.conftest import World, serve

RACERS = 4
ROUNDS = 3


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str]]:
    url = scratch_database_url("booking_live")
    limits = ["--config", "PUBLIC_BOOKING_LIMIT_PER_IP=1000 per hour",
              "--config", "PUBLIC_READ_LIMIT_PER_IP=1000 per minute"]  # fmt: skip
    with serve(tmp_path_factory.mktemp("booking-live"), url, *limits) as base:
        yield World(base), url


def _book(base: str, token: str, start: str, gate: threading.Barrier) -> requests.Response:
    gate.wait(timeout=30)
    return requests.post(f"{base}/api/v1/public/tracking/{token}/booking",
                         json={"start": start}, timeout=60)  # fmt: skip


@pytest.mark.slow
def test_the_last_place_is_booked_once(live):
    world, db_url = live
    world.engineer("Only One")  # 24/7, one region: one place in every slot
    tokens = []
    for n in range(RACERS * ROUNDS):
        r = world.report(f"Fault number {n}", f"Customer {n}", "+49 30 555")
        assert r.status_code == 201, r.text
        tokens.append(r.json()["tracking_token"])
    slots = requests.get(f"{world.base}/api/v1/public/tracking/{tokens[0]}/slots", timeout=30)
    assert slots.status_code == 200, slots.text
    for rnd in range(ROUNDS):
        start = slots.json()["slots"][rnd]["start"]
        racers = tokens[rnd * RACERS : (rnd + 1) * RACERS]
        gate = threading.Barrier(RACERS)
        with ThreadPoolExecutor(RACERS) as pool:
            answers = list(pool.map(lambda t: _book(world.base, t, start, gate), racers))  # noqa: B023
        codes = sorted(a.status_code for a in answers)
        assert codes == [200] + [409] * (RACERS - 1), [a.text for a in answers]
        for lost in (a for a in answers if a.status_code == 409):
            assert lost.json()["reason"] == "slot_taken"
            assert "taken" in lost.json()["message"]
        engine = create_engine(db_url)
        try:
            with engine.connect() as conn:
                held = conn.execute(
                    text("SELECT count(*) FROM tickets WHERE window_start = :s"), {"s": start}
                ).scalar()
        finally:
            engine.dispose()
        assert held == 1
