"""The real commands in real processes: ``fieldops seed-demo``, ``fieldops sla-scan`` and
``fieldops worker --burst`` draining an SLA scan job, against a scratch database (these
commands commit, so they cannot share the savepoint-per-test database)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.migrate import create_database, upgrade
from backend.workorders.tasks import SLA_SCAN_QUEUE, sla_scan, start_periodic_scan
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL


@pytest.fixture(scope="module")
def cli_db() -> str:
    url = make_url(TEST_DATABASE_URL)
    scratch = url.set(database=f"{url.database}_cli").render_as_string(hide_password=False)
    create_database(scratch, drop_first=True)
    upgrade(scratch)
    return scratch


def _fieldops(db_url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": TEST_REDIS_URL,
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdef",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _scalar(db_url: str, sql: str):
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def test_seed_demo_command_is_idempotent(cli_db, redis_client):
    redis_client.flushdb()
    first = _fieldops(cli_db, "seed-demo")
    assert "tickets_created=30" in first and "admin@fieldops.test / fieldops-admin" in first
    tickets = _scalar(cli_db, "SELECT count(*) FROM tickets")
    second = _fieldops(cli_db, "seed-demo")
    assert "tickets_created=0" in second and "public_reports_created=0" in second
    assert _scalar(cli_db, "SELECT count(*) FROM tickets") == tickets == 33
    assert _scalar(cli_db, "SELECT count(DISTINCT status) FROM tickets") == 10


def test_sla_scan_command(cli_db):
    out = _fieldops(cli_db, "sla-scan")
    assert out.startswith("scanned ") and "at risk" in out and "breached" in out


def test_worker_burst_drains_sla_scan(cli_db, redis_client):
    redis_client.flushdb()
    # A ticket whose respond window is long gone: the worker's scan must mark it breached.
    _scalar(
        cli_db,
        "UPDATE tickets SET created_at = now() - interval '3 days', "
        "respond_by = now() - interval '2 days', sla_state = 'ok' "
        "WHERE id = (SELECT id FROM tickets WHERE status = 'new' ORDER BY seq LIMIT 1) "
        "RETURNING id",
    )
    job = Queue(SLA_SCAN_QUEUE, connection=redis_client).enqueue(sla_scan)
    _fieldops(cli_db, "worker", "--burst")
    job = Job.fetch(job.id, connection=redis_client)
    assert job.get_status() == "finished"
    assert job.return_value()["scanned"] >= 1
    assert _scalar(cli_db, "SELECT count(*) FROM ticket_events WHERE action = 'sla_breached'") >= 1
    assert _scalar(cli_db, "SELECT count(*) FROM notifications WHERE role = 'dispatcher'") >= 1


def test_start_periodic_scan_queues_first_run(app, session, redis_client):
    job_id = start_periodic_scan()
    assert job_id is not None
    queued = Queue(SLA_SCAN_QUEUE, connection=redis_client).get_job_ids()
    assert queued == [job_id]
    # Two workers starting in the same interval do not start two chains.
    assert start_periodic_scan() == job_id
    assert Queue(SLA_SCAN_QUEUE, connection=redis_client).count == 1
