"""Faults with real processes: a worker killed mid-job, a database connection killed
mid-push, and a worker (with its scheduler) started before the migrations."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import text

from backend.migrate import create_database, drop_database
from tests.faults.conftest import (
    ADMIN,
    RedisServer,
    Stack,
    scratch_url,
    wait_for,
)
from tests.faults.test_redis_outage import _renditions_done, _ticket, _upload


def test_worker_killed_mid_rendition_is_rendered_by_the_next_worker(stack: Stack):
    stack.serve(workers=1)
    admin = stack.login(*ADMIN)
    ticket_id = _ticket(stack, admin)
    res = _upload(stack, admin, ticket_id)
    assert res.status_code == 201, res.text
    photo_id = res.json()["id"]
    # Hold the photo's row, so the job renders and stores, then waits to record the result:
    # it is provably mid-job when its worker dies.
    holder = stack.engine.connect()
    tx = holder.begin()
    holder.execute(text("SELECT 1 FROM photos WHERE id = :id FOR UPDATE"), {"id": photo_id})
    first = stack.worker("worker-1")
    wait_for(
        lambda: stack.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        ),
        60,
        "the rendition job to wait on the photo row",
    )
    first.kill9()  # the worker, its work-horse and its scheduler, mid-job
    tx.rollback()
    holder.close()
    assert not _renditions_done(stack, photo_id)
    killed_at = time.monotonic()
    second = stack.worker("worker-2")
    try:
        wait_for(lambda: _renditions_done(stack, photo_id), 60, "the re-run of the rendition")
    except AssertionError:
        raise AssertionError(second.tail()) from None
    assert time.monotonic() - killed_at < 60
    assert stack.sql("SELECT count(*) FROM job_outbox") == 0


def test_connection_killed_mid_push_answers_503_and_the_retry_applies_once(stack: Stack):
    stack.cli("seed-demo")
    stack.serve(workers=1)
    engineer = stack.login("engineer1@fieldops.test", "fieldops-engineer")
    ticket_id = str(
        stack.sql(
            "SELECT t.id FROM tickets t JOIN users u ON u.id = t.assignee_id "
            "WHERE u.email = 'engineer1@fieldops.test' "
            "AND t.status IN ('assigned', 'accepted', 'travelling', 'on_site', 'in_progress') "
            "ORDER BY t.seq LIMIT 1"
        )
    )
    note_id = str(uuid.uuid4())
    envelope = {
        "client_id": "fault-phone",
        "schema_version": 1,
        "mutations": [
            {"id": str(uuid.uuid4()), "name": "note.add",
             "args": {"id": note_id, "ticket_id": ticket_id, "body": "fan replaced"}},
        ],
    }  # fmt: skip
    holder = stack.engine.connect()
    tx = holder.begin()
    holder.execute(text("SELECT 1 FROM tickets WHERE id = :id FOR UPDATE"), {"id": ticket_id})
    answer: dict[str, requests.Response] = {}

    def push() -> None:
        answer["first"] = requests.post(
            stack.base + "/api/v1/sync/push", json=envelope, headers=engineer, timeout=60
        )

    thread = threading.Thread(target=push)
    thread.start()
    pid = wait_for(
        lambda: stack.sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' LIMIT 1"
        ),
        30,
        "the push to wait on the ticket row",
    )
    stack.sql("SELECT pg_terminate_backend(:pid)", pid=pid)
    thread.join(timeout=60)
    tx.rollback()
    holder.close()
    first = answer["first"]
    assert first.status_code == 503, first.text
    assert first.headers["Retry-After"] and first.json()["kind"] == "database_unavailable"
    # The phone retries the same batch: applied once; again: a duplicate.
    for expected in ("applied", "duplicate"):
        res = requests.post(
            stack.base + "/api/v1/sync/push", json=envelope, headers=engineer, timeout=60
        )
        assert res.status_code == 200, res.text
        assert [r["status"] for r in res.json()["results"]] == [expected]
    assert stack.sql("SELECT count(*) FROM notes WHERE id = :id", id=note_id) == 1


def test_periodic_jobs_run_when_migrations_come_after_the_worker(
    tmp_path: Path, redis_server: RedisServer
):
    url = scratch_url("faults_late")
    create_database(url, drop_first=True)  # an empty database: no tables yet
    stack = Stack(tmp_path, url, redis_server, FIELDOPS_SLA_SCAN_INTERVAL_S="1")
    try:
        worker = stack.worker()
        # The scheduler enqueues scans that fail (no tables) for a few seconds.
        wait_for(lambda: "sla_scan" in worker.log.read_text(errors="replace"), 60, "a scan")
        time.sleep(2)
        stack.cli("db", "upgrade", "--no-create")
        stack.cli("seed-demo")
        ticket_id = stack.sql(
            "UPDATE tickets SET created_at = now() - interval '3 days', "
            "respond_by = now() - interval '2 days', sla_state = 'ok' "
            "WHERE id = (SELECT id FROM tickets WHERE status = 'new' ORDER BY seq LIMIT 1) "
            "RETURNING id"
        )
        try:
            wait_for(
                lambda: stack.sql(
                    "SELECT sla_state = 'breached' FROM tickets WHERE id = :id", id=ticket_id
                ),
                60,
                "a scan after the migrations",
            )
        except AssertionError:
            raise AssertionError(worker.tail()) from None
    finally:
        stack.close()
        drop_database(url)
