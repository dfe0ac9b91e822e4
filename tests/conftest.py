"""Test fixtures: real PostGIS, real Redis, a savepoint per test.

Each pytest session drops and re-creates its own database (``TEST_DATABASE_URL``) and
migrates it with Alembic, so the suite tests the migrations too. Every test runs inside one
outer transaction bound to the scoped session in ``create_savepoint`` mode: requests and jobs
``commit()`` as in production (releasing a savepoint) and the test rolls everything back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from redis import Redis

from backend import create_app
from backend.config import Config
from backend.db import db
from backend.migrate import create_database, upgrade

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytest_plugins = ["tests.factories"]


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
