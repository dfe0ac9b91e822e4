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

from backend.migrate import create_database, upgrade
from backend.workorders.tasks import SLA_SCAN_QUEUE, sla_scan
from tests.conftest import TEST_REDIS_URL, scratch_database_url


@pytest.fixture(scope="module")
def cli_db() -> str:
    scratch = scratch_database_url("cli")  # dropped when the session ends
    create_database(scratch, drop_first=True)
    upgrade(scratch)
    return scratch


def _fieldops(db_url: str, *args: str, env: dict[str, str] | None = None) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": TEST_REDIS_URL,
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdef",
        **(env or {}),
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
    assert _scalar(cli_db, "SELECT count(*) FROM tickets") == tickets == 35  # 30 + 3 QR + 2 planned
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


def test_ensure_admin_creates_the_first_admin_once(cli_db):
    env = {"FIELDOPS_ADMIN_EMAIL": "First@Example.test", "FIELDOPS_ADMIN_PASSWORD": "a-long-pass-1"}
    assert "created admin" in _fieldops(cli_db, "ensure-admin", env=env)
    again = _fieldops(cli_db, "ensure-admin", env={**env, "FIELDOPS_ADMIN_PASSWORD": "changed-9"})
    assert "left as it is" in again
    assert _scalar(cli_db, "SELECT role FROM users WHERE lower(email) = 'first@example.test'") == (
        "admin"
    )
    assert "not set" in _fieldops(cli_db, "ensure-admin")
