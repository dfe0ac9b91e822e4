"""Issue #19 — a day plan running on a real worker can be cancelled: DELETE stops it within
seconds, its forked searches go with it (nothing keeps burning the worker's CPU), the region
is free for a new plan at once, and the worker lives on."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import requests

from tests.faults.conftest import ADMIN, Stack
from tests.procs import children, plan_settled, wait_for

URL = "/api/v1/dispatch/optimize"
SHIFT = {"timezone": "UTC", "days": list(range(7)), "start": "00:00", "end": "00:00"}


def _scene(base: str, headers: dict[str, str]) -> str:
    def post(path: str, body: dict[str, Any]) -> Any:
        res = requests.post(base + path, json=body, headers=headers, timeout=30)
        assert res.status_code == 201, (path, res.text)
        return res.json()

    square = [[[13.2, 52.4], [13.6, 52.4], [13.6, 52.6], [13.2, 52.6], [13.2, 52.4]]]
    region = post("/api/v1/regions", {"name": "Cancel test", "area": {
        "type": "Polygon", "coordinates": square}})  # fmt: skip
    r = random.Random(19)
    for i in range(8):
        account = {"email": f"planner{i}@faults.test", "name": f"Eng {i}", "role": "engineer"}
        user = post("/api/v1/users", {**account, "password": "faults-pass-123"})
        home = {"type": "Point", "coordinates": [r.uniform(13.25, 13.55), r.uniform(52.42, 52.58)]}
        profile = {"user_id": user["id"], "skills": [], "region_ids": [region["id"]]}
        post("/api/v1/engineers", {**profile, "home": home, "shift": SHIFT})
    for i in range(80):
        spot = {"type": "Point", "coordinates": [r.uniform(13.25, 13.55), r.uniform(52.42, 52.58)]}
        post("/api/v1/tickets", {"title": f"Job {i}", "priority": r.choice(["P2", "P3", "P4"]),
                                 "location": spot})  # fmt: skip
    return str(region["id"])


def test_a_running_plan_is_cancelled_with_its_searches(tmp_path: Path, migrated_db: str,
                                                       redis_server: Any) -> None:  # fmt: skip
    stack = Stack(tmp_path, migrated_db, redis_server, FIELDOPS_OPTIMIZE_BUDGET_S="40",
                  FIELDOPS_OPTIMIZE_SYNC_MAX_TICKETS="0")  # fmt: skip
    try:
        stack.cli("create-user", "--email", ADMIN[0], "--password", ADMIN[1], "--role", "admin",
                  "--name", "Planner")  # fmt: skip
        base = stack.serve(workers=1)
        headers = stack.login(*ADMIN)
        region = _scene(base, headers)
        worker = stack.worker(listening=60)
        idle = set(children(worker.proc.pid))  # its scheduler: not the plan's

        started = requests.post(base + URL, json={"region_id": region, "async": True},
                                headers=headers, timeout=30)  # fmt: skip
        assert started.status_code == 202, started.text
        job = started.json()["job_id"]

        def state() -> dict[str, Any]:
            return dict(requests.get(f"{base}{URL}/{job}", headers=headers, timeout=30).json())

        # Well into its search (past the first passes): the horse and its searches are running.
        wait_for(lambda: (state().get("progress") or {}).get("phase") not in (None, "pass1"),
                 90, "the plan to reach its search")  # fmt: skip
        assert state()["status"] == "started"
        busy = set(children(worker.proc.pid)) - idle
        assert busy, "no work horse under the worker while a plan runs"

        stopped_at = time.monotonic()
        answer = requests.delete(f"{base}{URL}/{job}", headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        wait_for(lambda: state()["status"] == "stopped", 15, "the plan to stop")

        # The plan's processes are gone, not just moved, and nothing burns the worker's CPU.
        gone = wait_for(lambda: plan_settled(worker.proc.pid, busy), 20,
                        "the horse and its searches to end")  # fmt: skip
        assert gone and time.monotonic() - stopped_at < 30
        assert state()["error"] == "cancelled"

        # The region is free at once, and the worker lives on for the next plan.
        again = requests.post(base + URL, json={"region_id": region, "async": True},
                              headers=headers, timeout=30)  # fmt: skip
        assert again.status_code == 202, again.text
        assert worker.proc.poll() is None, worker.tail()
    finally:
        stack.close()
