"""The user mix of ``bench/load.py`` (run by it; not on its own: it needs the seeded data).

Customers 40 % (QR asset look-up, QR fault report), dispatchers 30 % (ticket lists by status,
by status + bbox), engineers 30 % (sync pull and push 2:1, six mutations per push), each with
1-3 s of think time. Every user stops after ``FIELDOPS_LOAD_MAX_TASKS`` tasks, so the request
count is bounded as well as the time. Requests are named by route (``[qr]``), so the stats
have one line per endpoint, like the server's metrics.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, task
from locust.exception import StopUser

DATA: dict[str, Any] = json.loads(Path(os.environ["FIELDOPS_LOAD_DATA"]).read_text())
MAX_TASKS = int(os.environ.get("FIELDOPS_LOAD_MAX_TASKS", "1000"))
SEED = int(DATA["seed"])
random.seed(SEED)  # locust picks each new user's class with the module's random
_serial = itertools.count()
STATUSES = ("new", "assigned", "new,assigned", "in_progress", "on_hold,accepted")


class _Bounded(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.n_tasks = 0
        self.index = next(_serial)
        self.rng = random.Random(SEED * 1000 + self.index)

    def _tick(self) -> None:
        self.n_tasks += 1
        if self.n_tasks > MAX_TASKS:
            raise StopUser()


class Customer(_Bounded):
    """Scans a label: sees the asset; sometimes reports a fault on it."""

    weight = 40

    def _qr(self) -> str:
        return self.rng.choice(DATA["qr_tokens"])

    @task(2)
    def look_up_asset(self) -> None:
        self._tick()
        self.client.get(f"/api/v1/public/assets/{self._qr()}", name="/api/v1/public/assets/[qr]")

    @task(1)
    def report_fault(self) -> None:
        self._tick()
        body = {
            "description": "Unit is making a grinding noise and not cooling",
            "contact_name": f"Load Customer {self.index}",
            "contact_phone": "+49 30 555 0100",
            "client_report_id": uuid.UUID(int=self.rng.getrandbits(128), version=4).hex,
        }
        self.client.post(
            f"/api/v1/public/assets/{self._qr()}/reports",
            json=body,
            name="/api/v1/public/assets/[qr]/reports",
        )


class Dispatcher(_Bounded):
    """Watches the board: tickets by status, and by status inside the map's viewport."""

    weight = 30

    def on_start(self) -> None:
        super().on_start()
        self.headers = {"Authorization": f"Bearer {DATA['dispatcher_token']}"}

    @task
    def list_by_status(self) -> None:
        self._tick()
        status = self.rng.choice(STATUSES)
        self.client.get(
            f"/api/v1/tickets?status={status}&page_size=50",
            headers=self.headers,
            name="/api/v1/tickets?status",
        )

    @task
    def list_by_bbox(self) -> None:
        self._tick()
        x0, y0, x1, y1 = DATA["area"]
        w, h = self.rng.uniform(0.02, 0.08), self.rng.uniform(0.01, 0.05)
        lon, lat = self.rng.uniform(x0, x1 - w), self.rng.uniform(y0, y1 - h)
        bbox = f"{lon:.4f},{lat:.4f},{lon + w:.4f},{lat + h:.4f}"
        self.client.get(
            f"/api/v1/tickets?status={self.rng.choice(STATUSES)}&bbox={bbox}&page_size=50",
            headers=self.headers,
            name="/api/v1/tickets?status&bbox",
        )


class Engineer(_Bounded):
    """A phone syncing: pulls (paging on while ``has_more``), pushes six notes at a time."""

    weight = 30

    def on_start(self) -> None:
        super().on_start()
        me = DATA["engineers"][self.index % len(DATA["engineers"])]
        self.headers = {"Authorization": f"Bearer {me['token']}"}
        self.tickets: list[str] = me["tickets"]
        self.client_id = f"load-{self.index}"
        self.cursor: str | None = None

    @task(2)
    def pull(self) -> None:
        self._tick()
        params = f"limit=100&client_id={self.client_id}"
        if self.cursor:
            params += f"&cursor={self.cursor}"
        with self.client.get(
            f"/api/v1/sync/pull?{params}",
            headers=self.headers,
            name="/api/v1/sync/pull",
            catch_response=True,
        ) as res:
            if res.status_code == 200:
                self.cursor = res.json()["cursor"]
                res.success()
            else:
                res.failure(f"pull answered {res.status_code}")

    @task(1)
    def push(self) -> None:
        self._tick()
        mutations = [
            {
                "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                "name": "note.add",
                "args": {
                    "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                    "ticket_id": self.rng.choice(self.tickets),
                    "body": f"checked compressor, step {i}",
                },
            }
            for i in range(6)
        ]
        with self.client.post(
            "/api/v1/sync/push",
            json={"client_id": self.client_id, "schema_version": 1, "mutations": mutations},
            headers=self.headers,
            name="/api/v1/sync/push",
            catch_response=True,
        ) as res:
            if res.status_code != 200:
                res.failure(f"push answered {res.status_code}")
                return
            statuses = {r["status"] for r in res.json()["results"]}
            if statuses != {"applied"}:
                res.failure(f"push results {sorted(statuses)}")
            else:
                res.success()
