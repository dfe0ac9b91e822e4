"""Browser tests: a live fieldops server (its own process and committed database) and real
Chromium through Playwright.

Skipped, with the reason, only when ``/usr/bin/chromium`` or the built PWA
(``mobile_pwa/dist``) is missing; ``make test`` builds the PWA first. The database is
``E2E_DATABASE_URL`` (default: the test database's name + ``_e2e``, dropped again when the
session ends), dropped and migrated at the start of the run; the data each test needs is
created through the public HTTP API, so the tests exercise the same contract the front end
relies on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from redis import Redis

from tests.e2e.server import SECRET_KEY
from tests.procs import Proc, start_worker

ROOT = Path(__file__).resolve().parents[2]
DIST = Path(os.environ.get("PWA_DIST", ROOT / "mobile_pwa" / "dist"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
CONSOLE = {"width": 1440, "height": 900}
ADMIN = ("admin@e2e.test", "e2e-admin-password")
PASSWORD = "e2e-password-123"


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not (DIST / "app" / "index.html").is_file():
        return f"PWA not built ({DIST} missing): run `npm ci && npm run build` in mobile_pwa/"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            if reason and item.get_closest_marker("needs_browser") is None:
                item.add_marker(pytest.mark.skip(reason=reason))


def _e2e_database_url() -> str:
    if os.environ.get("E2E_DATABASE_URL"):
        return os.environ["E2E_DATABASE_URL"]
    from tests.conftest import scratch_database_url

    return scratch_database_url("e2e")  # dropped when the session ends


@contextmanager
def serve(tmp: Path, database_url: str, *args: str, env: dict[str, str] | None = None
          ) -> Iterator[str]:  # fmt: skip
    """``tests.e2e.server`` on a free port of 127.0.0.1 (``args``: its further options), on a
    database it drops and migrates first; yields its base URL and stops it at the end."""
    port_file = tmp / "port"
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "tests.e2e.server",
            "--database-url", database_url,
            "--media", str(tmp / "media"),
            "--port-file", str(port_file),
            "--dist", str(DIST),
            *args,
        ],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not port_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    "e2e server did not start:\n" + (tmp / "server.log").read_text()[-3000:]
                )
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port_file.read_text().strip()}"
        requests.get(f"{base}/healthz", timeout=10).raise_for_status()
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("e2e-server"), _e2e_database_url()) as base:
        yield base


@dataclass
class JobServer:
    """An e2e server whose jobs go through Redis to a real ``fieldops worker``."""

    base: str
    worker: Proc
    redis: Redis


@pytest.fixture(scope="module")
def job_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[JobServer]:  # fmt: skip
    """The e2e server with a real queue, as deployed: jobs (a plan above
    ``OPTIMIZE_SYNC_MAX_TICKETS``) are queued in the suite's Redis database
    (``TEST_REDIS_URL``) and run by ``fieldops worker`` (with its scheduler), on a database of
    its own (``<test database>_e2e_jobs``). A test module sets the settings both read with a
    ``JOB_SERVER_CONFIG`` dict (``{"OPTIMIZE_BUDGET_S": "12"}``).

    Module-scoped: the worker is registered in the suite's Redis database, which every other
    test flushes first (and the suite refuses to flush while a worker it did not start is
    registered there), so it stops, and the database is flushed, before the next module."""
    from tests.conftest import TEST_REDIS_URL, refuse_foreign_workers, scratch_database_url

    settings: dict[str, str] = getattr(request.module, "JOB_SERVER_CONFIG", {})
    tmp = tmp_path_factory.mktemp("e2e-jobs")
    database_url = scratch_database_url("e2e_jobs")  # dropped when the session ends
    redis = Redis.from_url(TEST_REDIS_URL)
    refuse_foreign_workers(redis)
    redis.flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "SECRET_KEY": SECRET_KEY,
        "MEDIA_ROOT": str(tmp / "media"),
        "PYTHONUNBUFFERED": "1",
        **{f"FIELDOPS_{key}": value for key, value in settings.items()},
    }
    config = [f"--config={key}={value}" for key, value in settings.items()]
    worker: Proc | None = None
    try:
        with serve(tmp, database_url, "--redis-url", TEST_REDIS_URL, *config) as base:
            # The server has migrated the database: the worker starts on a ready schema.
            worker = start_worker(env, tmp / "worker.log", listening=60)
            yield JobServer(base, worker, redis)
    finally:
        if worker is not None:
            worker.stop()
        redis.flushdb()  # its queues and its worker's registration


class Api:
    """A logged-in HTTP client for seeding and checking server state."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base = base
        self.http = requests.Session()
        body = self.call("POST", "/api/v1/auth/login", json={"email": email, "password": password})
        self.user = body["user"]
        self.http.headers["Authorization"] = f"Bearer {body['access_token']}"

    def call(self, method: str, path: str, expect: int | tuple[int, ...] = (200, 201), **kw: Any):
        res = self.http.request(method, self.base + path, timeout=30, **kw)
        codes = (expect,) if isinstance(expect, int) else expect
        assert res.status_code in codes, f"{method} {path}: {res.status_code} {res.text[:500]}"
        return res.json() if res.content else None

    def get(self, path: str, **kw: Any):
        return self.call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any):
        return self.call("POST", path, json=json, **kw)


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _square(lon: float, lat: float, d: float = 0.2) -> dict[str, Any]:
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


class World:
    """A small city: one region, a customer site with an asset, a part in a warehouse, and
    helpers that add engineers (with a stocked van) and tickets assigned to them."""

    CENTER = (13.40, 52.52)

    def __init__(self, base: str) -> None:
        self.base = base
        self.admin = Api(base, *ADMIN)
        tag = uuid.uuid4().hex[:6]
        self.region = self.admin.post(
            "/api/v1/regions", {"name": f"Mitte {tag}", "area": _square(*self.CENTER)}
        )
        self.admin.post("/api/v1/skills", {"code": f"hvac{tag}", "name": "HVAC"})
        customer = self.admin.post(
            "/api/v1/customers", {"name": "Acme Bakery", "phone": "+49 30 1234567"}
        )
        self.site = self.admin.post(
            "/api/v1/sites",
            {
                "customer_id": customer["id"],
                "name": "Acme Bakery Mitte",
                "address": "Torstr. 1, Berlin",
                "location": _point(13.41, 52.53),
            },
        )
        self.asset = self.admin.post(
            "/api/v1/assets", {"site_id": self.site["id"], "name": "Oven 3", "model": "HX-200"}
        )
        self.part = self.admin.post(
            "/api/v1/parts", {"sku": f"FLT-{tag}", "name": "Air filter", "unit": "pcs"}
        )
        self.dispatcher_email = f"dispatcher-{tag}@e2e.test"
        self.admin.post(
            "/api/v1/users",
            {"email": self.dispatcher_email, "name": "Dana Dispatcher", "role": "dispatcher",
             "password": PASSWORD},
        )  # fmt: skip
        self.dispatcher = Api(base, self.dispatcher_email, PASSWORD)

    def engineer(self, name: str = "Eli Engineer", lon: float = 13.40, lat: float = 52.52):
        email = f"eng-{uuid.uuid4().hex[:8]}@e2e.test"
        user = self.admin.post(
            "/api/v1/users",
            {"email": email, "name": name, "role": "engineer", "password": PASSWORD},
        )
        self.admin.post(
            "/api/v1/engineers",
            {
                "user_id": user["id"],
                "skills": [],
                "region_ids": [self.region["id"]],
                "home": _point(lon, lat),
                # 24/7 (start == end): eligible at any hour the suite runs. 00:00-23:59 ended
                # each day at 23:59, and a job that could not finish by then was off_shift.
                "shift": {"timezone": "UTC", "days": list(range(7)), "start": "00:00",
                          "end": "00:00"},
                "max_open_jobs": 20,
            },
        )  # fmt: skip
        van = self.admin.post(
            "/api/v1/stock-locations",
            {"name": f"Van {name}", "kind": "van", "engineer_id": user["id"]},
        )
        self.admin.post(
            "/api/v1/stock/movements",
            {"part_id": self.part["id"], "quantity": 10, "to_location_id": van["id"],
             "reason": "initial van stock"},
        )  # fmt: skip
        return {"id": user["id"], "email": email, "password": PASSWORD, "name": name,
                "van_id": van["id"]}  # fmt: skip

    def ticket(self, title: str, priority: str = "P3", assign_to: dict | None = None) -> dict:
        tk = self.admin.post(
            "/api/v1/tickets", {"title": title, "priority": priority, "asset_id": self.asset["id"]}
        )
        if assign_to:
            self.assign(tk["id"], assign_to["id"])
        return self.admin.get(f"/api/v1/tickets/{tk['id']}")

    def report(self, description: str, contact_name: str, contact_phone: str) -> requests.Response:
        """A customer's fault report on the asset's label (the public JSON API, no login)."""
        return requests.post(
            f"{self.base}/api/v1/public/assets/{self.asset['qr_token']}/reports",
            json={"description": description, "contact_name": contact_name,
                  "contact_phone": contact_phone},
            timeout=30,
        )  # fmt: skip

    def assign(self, ticket_id: str, engineer_id: str, reason: str = "e2e setup") -> dict:
        return self.dispatcher.post(
            f"/api/v1/dispatch/tickets/{ticket_id}/assign",
            {"engineer_id": engineer_id, "reason": reason},
        )


@pytest.fixture(scope="session")
def world(live_server: str) -> World:
    return World(live_server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _context(browser: Any, base: str, viewport: dict[str, int], locale: str = "en-US",
             **kw: Any):  # fmt: skip
    ctx = browser.new_context(
        base_url=base, viewport=viewport, service_workers="allow", locale=locale, **kw
    )
    ctx.set_default_timeout(15_000)
    return ctx


@pytest.fixture()
def phone(browser: Any, live_server: str) -> Iterator[Any]:
    ctx = _context(browser, live_server, PHONE, has_touch=True, is_mobile=True,
                   device_scale_factor=2)  # fmt: skip
    yield ctx
    ctx.close()


@pytest.fixture()
def desk(browser: Any, live_server: str) -> Iterator[Any]:
    ctx = _context(browser, live_server, CONSOLE)
    yield ctx
    ctx.close()


def screenshot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
