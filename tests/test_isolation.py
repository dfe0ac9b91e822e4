"""Test isolation (issue #14): the suite flushes its Redis database before every test, so it
refuses to run while an rq worker it did not start is registered there (a new user's run
failed 18 tests that way); benchmarks derive their database names from ``DATABASE_URL`` and
never drop a database they did not create."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Worker
from sqlalchemy import create_engine, text

from backend.migrate import create_database, drop_database
from bench.common import BENCH_MARK, bench_database_url, database_mark, recreate_database
from tests.conftest import TEST_REDIS_URL, foreign_workers, scratch_database_url

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def stranger(redis_client: Redis):
    """A real rq worker registration on the suite's Redis database, as another process's
    ``rq worker`` makes it (removed again at the end of the test)."""
    worker = Worker(["default"], connection=redis_client, name=f"stranger-{uuid.uuid4().hex[:8]}")
    worker.register_birth()
    try:
        yield worker
    finally:
        worker.register_death()


def test_a_registered_worker_is_found(redis_client, stranger):
    assert any(stranger.name in w for w in foreign_workers(redis_client))


def test_the_suite_refuses_to_start_beside_a_foreign_worker(stranger):
    # A run that needs no database: the refusal comes before any fixture, flush or drop.
    env = {**os.environ, "TEST_REDIS_URL": TEST_REDIS_URL}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_db_timeouts.py::test_defaults_and_env_override"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 3, out[-2000:]
    assert stranger.name in out and "did not start" in out and "TEST_REDIS_URL" in out


def test_bench_database_names_derive_from_database_url():
    dev = "postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_dev_x"
    assert bench_database_url("api", {"DATABASE_URL": dev}).endswith("/fieldops_dev_x_bench_api")
    override = {"DATABASE_URL": dev, "BENCH_DATABASE_URL": "postgresql://u@h:5433/mine"}
    assert bench_database_url("sync", override) == "postgresql+psycopg://u@h:5433/mine_bench_sync"
    assert bench_database_url("pwa", {}).endswith("/fieldops_bench_pwa")


def test_a_benchmark_never_drops_a_database_it_did_not_create():
    url = scratch_database_url(f"foreign_{uuid.uuid4().hex[:6]}")
    create_database(url)  # someone else's database, no benchmark mark
    try:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE precious (id int)"))
        with pytest.raises(SystemExit, match="was not created by a fieldops benchmark"):
            recreate_database(url)
        with engine.connect() as conn:  # still there, untouched
            assert conn.execute(text("SELECT count(*) FROM precious")).scalar() == 0
        engine.dispose()

        drop_database(url)
        recreate_database(url)  # created by a benchmark: marked, and re-creatable
        assert database_mark(url) == BENCH_MARK
        recreate_database(url)
    finally:
        drop_database(url)
