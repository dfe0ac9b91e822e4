"""Redis killed and restarted under a running gunicorn: requests keep working (rate limits
fall back to per-process ones, job intents wait in the outbox), nothing answers HTML or 500,
and once Redis and a worker are back the job that was due during the outage runs."""

from __future__ import annotations

import io
import threading
import time
import uuid

import requests
from PIL import Image

from tests.faults.conftest import ADMIN, Stack, wait_for


def _jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    buf = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _ticket(stack: Stack, headers: dict[str, str]) -> str:
    res = requests.post(
        stack.base + "/api/v1/tickets",
        json={"title": "Chiller leaking", "priority": "P2",
              "location": {"type": "Point", "coordinates": [13.4, 52.52]}},
        headers=headers, timeout=10,
    )  # fmt: skip
    assert res.status_code == 201, res.text
    return res.json()["id"]


def _upload(stack: Stack, headers: dict[str, str], ticket_id: str) -> requests.Response:
    return requests.post(
        f"{stack.base}/api/v1/tickets/{ticket_id}/photos",
        data={"id": str(uuid.uuid4())},
        files={"file": ("fault.jpg", _jpeg(), "image/jpeg")},
        headers=headers, timeout=30,
    )  # fmt: skip


def _renditions_done(stack: Stack, photo_id: str) -> bool:
    return bool(
        stack.sql("SELECT renditions <> '{}'::jsonb FROM photos WHERE id = :id", id=photo_id)
    )


def test_redis_restart_mid_traffic(stack: Stack):
    stack.serve(workers=2)
    admin = stack.login(*ADMIN)
    ticket_id = _ticket(stack, admin)

    stack.redis.kill()
    res = _upload(stack, admin, ticket_id)  # the rendition job's relay fails after commit
    assert res.status_code == 201, res.text
    photo_id = res.json()["id"]
    assert stack.sql("SELECT count(*) FROM job_outbox") == 1  # the intent is kept
    # During the outage: logins (rate limited through Redis), a public endpoint, the probe.
    for _ in range(4):
        login = requests.post(
            stack.base + "/api/v1/auth/login",
            json={"email": ADMIN[0], "password": ADMIN[1]}, timeout=10,
        )  # fmt: skip
        assert login.status_code == 200, login.text
    public = requests.get(stack.base + "/api/v1/public/assets/no-such-token", timeout=10)
    assert public.status_code == 404 and public.headers["Content-Type"].startswith(
        "application/json"
    )
    ready = requests.get(stack.base + "/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"

    stack.redis.start()  # back, empty
    session = requests.Session()
    codes = []
    for i in range(200):
        path = ("/healthz", "/readyz", "/api/v1/tickets", "/api/v1/me")[i % 4]
        codes.append(session.get(stack.base + path, headers=admin, timeout=10).status_code)
    assert codes == [200] * 200, {c: codes.count(c) for c in set(codes)}
    assert requests.get(stack.base + "/readyz", timeout=10).json()["status"] == "ok"

    # The relay sweep hands the kept intent to rq; a worker renders the photo.
    worker = stack.worker()
    try:
        wait_for(lambda: _renditions_done(stack, photo_id), 60, "the rendition after the outage")
    except AssertionError:
        raise AssertionError(worker.tail()) from None
    assert stack.sql("SELECT count(*) FROM job_outbox") == 0


def test_the_schedule_resumes_after_a_redis_restart(redis_server):
    from redis import Redis
    from rq import Queue

    from backend.jobs.scheduler import Scheduler

    client = Redis.from_url(redis_server.url, socket_connect_timeout=0.5, socket_timeout=1)
    scheduler = Scheduler(client, {"SLA_SCAN_INTERVAL_S": 1, "JOB_TIMEOUT_S": 60})
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
    thread.start()

    def scans() -> int:
        try:
            low = Queue("low", connection=client).jobs
        except Exception:
            return 0
        return sum(j.func_name == "backend.workorders.tasks.sla_scan" for j in low)

    try:
        wait_for(scans, 10, "the first scheduled scan")
        redis_server.kill()
        time.sleep(2)
        redis_server.start()  # empty: any scan queued now was scheduled after the restart
        wait_for(scans, 10, "a scan scheduled after Redis came back")
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
