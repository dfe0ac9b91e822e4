"""Test fixtures: real PostGIS, real Redis, a savepoint per test.

Each pytest session drops and re-creates its own database (``TEST_DATABASE_URL``) and
migrates it with Alembic, so the suite tests the migrations too. Every test runs inside one
outer transaction bound to the scoped session in ``create_savepoint`` mode: requests and jobs
``commit()`` as in production (releasing a savepoint) and the test rolls everything back.

The Redis database ``TEST_REDIS_URL`` is flushed before every test, so the suite refuses to
start (and stops) when an rq worker it did not start is registered there: that worker would
take the suite's jobs, and the flush would delete its queues. Scratch databases the suite
creates beside the test database (``<name>_e2e``, ``_bench``, ``_cli``, ``_horizon``) are
named through ``scratch_database_url`` and dropped when the session ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from redis import Redis
from sqlalchemy.engine import make_url

from backend import create_app, fastdump
from backend.config import Config
from backend.db import db
from backend.migrate import create_database, drop_database, upgrade

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Every fast dump made during the suite is checked against marshmallow's own (backend.fastdump).
fastdump.VERIFY = True

pytest_plugins = ["tests.factories"]

_SCRATCH: set[str] = set()


def scratch_database_url(suffix: str) -> str:
    """``TEST_DATABASE_URL`` with ``_<suffix>`` added to the database name, remembered so the
    session drops it at the end (the caller creates it)."""
    url = make_url(TEST_DATABASE_URL)
    scratch = url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)
    _SCRATCH.add(scratch)
    return scratch


def foreign_workers(client: Redis) -> list[str]:
    """rq workers registered on the suite's Redis database. The suite's own workers (the
    ``run_jobs`` burst worker, ``fieldops worker --burst`` in test_worker) register only
    while they drain and are gone before the next test starts, so any found here at the start
    of a session or of a test belongs to another process."""
    from rq import Worker

    return sorted(
        f"{w.name} (pid {w.pid} on {w.hostname}, queues {','.join(w.queue_names())})"
        for w in Worker.all(connection=client)
    )


def refuse_foreign_workers(client: Redis) -> None:
    found = foreign_workers(client)
    if found:
        pytest.exit(
            f"TEST_REDIS_URL={TEST_REDIS_URL} has {len(found)} rq worker(s) this test run did not "
            f"start: {'; '.join(found)}. The suite flushes that Redis database before every test "
            "(deleting their queues) and they would take its jobs. Stop them, or point "
            "TEST_REDIS_URL at a Redis database nothing else uses (e.g. redis://127.0.0.1:6379/15).",
            returncode=3,
        )


def pytest_sessionstart(session: pytest.Session) -> None:
    refuse_foreign_workers(Redis.from_url(TEST_REDIS_URL))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the scratch databases this session created (the test database itself stays
    until the next run re-creates it, for post-mortems)."""
    for url in sorted(_SCRATCH):
        try:
            drop_database(url)
        except Exception as exc:  # a teardown problem must not hide the test results
            print(f"could not drop scratch database {make_url(url).database}: {exc}")


@pytest.fixture(scope="session")
def database_url() -> str:
    create_database(TEST_DATABASE_URL, drop_first=True)
    upgrade(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def test_config(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Config:
    cfg = Config(
        DATABASE_URL=database_url,
        REDIS_URL=TEST_REDIS_URL,
        SECRET_KEY="test-secret-key-with-enough-entropy-0123456789",
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
        PUBLIC_BASE_URL="http://fieldops.test",
        TESTING=True,
        # Each test is one outer transaction held open for the whole test (rolled back at the
        # end), so the production idle-in-transaction limit would end slow tests' connections.
        DB_IDLE_IN_TRANSACTION_TIMEOUT_MS=600_000,
    )
    return cfg


@pytest.fixture(scope="session")
def app(test_config: Config):
    return create_app(test_config)


@pytest.fixture(scope="session")
def redis_client() -> Redis:
    return Redis.from_url(TEST_REDIS_URL)


@pytest.fixture()
def session(app, redis_client: Redis) -> Iterator:
    """An app context whose session rolls back at the end of the test."""
    refuse_foreign_workers(redis_client)
    redis_client.flushdb()
    assert db.engine is not None
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        db.session.remove()
        db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
            outer.rollback()
            connection.close()


@pytest.fixture()
def client(app, session):
    return app.test_client()


@pytest.fixture()
def run_jobs(app, session, redis_client: Redis):
    """Drain the rq queues with a real burst worker in this process (and this transaction)."""
    from rq import SimpleWorker

    from backend.jobs import QUEUES

    def _run() -> int:
        worker = SimpleWorker(list(QUEUES), connection=redis_client)
        worker.work(burst=True, with_scheduler=False)
        return worker.successful_job_count if hasattr(worker, "successful_job_count") else 0

    return _run
