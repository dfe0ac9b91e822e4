"""Issue #20 §4 — more than one process against more than one database, end to end.

What an operator tried by hand, as a test: a PostgreSQL primary with a streaming replica of the
test's own (tests/faults/pgcluster.py), PgBouncer in transaction mode in front of the primary,
two API instances (gunicorn, two workers each) behind HAProxy, one rq worker and Redis. The
offline day, the conflict on reassignment and the close-out run through the balancer; the
engineer's first pull is served by the replica; both instances answer. Everything it starts,
it stops and removes.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from redis import Redis
from sqlalchemy import create_engine

from tests.faults.conftest import ADMIN, Proc, RedisServer, Stack, free_port, wait_for
from tests.faults.pgcluster import ReplicatedCluster
from tests.faults.test_pgbouncer import PgBouncer

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
PASSWORD = "cluster-pass-123"
SPOT = {"type": "Point", "coordinates": [13.40, 52.52]}
SHIFT = {"timezone": "UTC", "days": list(range(7)), "start": "00:00", "end": "00:00"}


class Deployment:
    def __init__(self, stack: Stack, cluster: ReplicatedCluster, apis: list[str], base: str):
        self.stack, self.cluster, self.apis, self.base = stack, cluster, apis, base

    def call(self, token: str, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        res = requests.request(method, self.base + path, timeout=30,
                               headers={"Authorization": f"Bearer {token}"}, **kw)  # fmt: skip
        assert res.status_code == status, (method, path, res.status_code, res.text[:500])
        return res.json() if res.content and "json" in res.headers.get("Content-Type", "") else res

    def login(self, email: str, password: str) -> str:
        res = requests.post(self.base + "/api/v1/auth/login", timeout=30,
                            json={"email": email, "password": password})  # fmt: skip
        assert res.status_code == 200, res.text
        return str(res.json()["access_token"])


def _serve(stack: Stack, name: str) -> str:
    port = free_port()
    proc = Proc(
        [sys.executable, "-m", "gunicorn", "-c", "python:backend.observe.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "backend.wsgi:app"],
        {k: v for k, v in stack.env.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        stack.tmp / f"{name}.log",
    )  # fmt: skip
    stack.procs.append(proc)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.proc.poll() is None, f"{name} exited:\n{proc.tail()}"
        try:
            return requests.get(base + "/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for(up, 60, f"{name} to be ready")
    return base


def _balancer(stack: Stack, apis: list[str]) -> str:
    assert Path(HAPROXY).exists(), "haproxy is not installed (infra/setup.sh installs it)"
    port = free_port()
    servers = "".join(
        f"  server api{i} {api.removeprefix('http://')} check inter 1s\n"
        for i, api in enumerate(apis)
    )
    cfg = stack.tmp / "haproxy.cfg"
    cfg.write_text(
        "global\n  maxconn 256\n"
        "defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n"
        "  timeout server 60s\n"
        f"frontend api\n  bind 127.0.0.1:{port}\n  default_backend apis\n"
        "backend apis\n  balance roundrobin\n  option httpchk GET /readyz\n" + servers
    )
    proc = Proc([HAPROXY, "-f", str(cfg), "-db"], dict(os.environ), stack.tmp / "haproxy.log")
    stack.procs.append(proc)
    base = f"http://127.0.0.1:{port}"

    def both_up() -> bool:
        assert proc.proc.poll() is None, "haproxy exited:\n" + proc.tail()
        try:
            return requests.get(base + "/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for(both_up, 30, "haproxy to answer")
    return base


@pytest.fixture()
def deployment(tmp_path: Path, redis_server: RedisServer) -> Iterator[Deployment]:
    cluster = ReplicatedCluster()
    bouncer = PgBouncer(cluster.primary.port)
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    primary = cluster.primary.url("fieldops")
    stack = Stack(
        tmp_path, bouncer.url(primary), redis_server,
        DATABASE_DIRECT_URL=primary,
        DATABASE_REPLICA_URLS=cluster.replica.url("fieldops"),
    )  # fmt: skip
    stack.engine = create_engine(primary)
    try:
        stack.cli("db", "upgrade")
        stack.cli("create-user", "--email", ADMIN[0], "--password", ADMIN[1], "--role", "admin",
                  "--name", "Cluster Admin")  # fmt: skip
        cluster.caught_up()
        apis = [_serve(stack, "api-a"), _serve(stack, "api-b")]
        base = _balancer(stack, apis)
        stack.worker()
        yield Deployment(stack, cluster, apis, base)
    finally:
        stack.close()
        bouncer.stop()
        cluster.close()


def _m(name: str, **args: Any) -> dict[str, Any]:
    when = datetime.now(UTC).isoformat()
    return {"id": str(uuid.uuid4()), "name": name, "args": {"occurred_at": when, **args}}


def _pulled(dep: Deployment, token: str, cursor: str | None) -> tuple[dict[str, dict], str]:
    """Tickets the engineer's phone holds after pulling to the end from ``cursor``."""
    tickets: dict[str, dict] = {}
    while True:
        query = {
            "limit": 200,
            "client_id": "cluster-phone",
            **({"cursor": cursor} if cursor else {}),
        }
        page = dep.call(token, "GET", "/api/v1/sync/pull", params=query)
        change = page["changes"].get("tickets", {})
        tickets.update({t["id"]: t for t in change.get("upserts", [])})
        for gone in change.get("removes", []):
            tickets.pop(gone, None)
        cursor = page["cursor"]
        if not page["has_more"]:
            return tickets, str(cursor)


def test_offline_day_conflict_and_close_out_through_the_balancer(deployment: Deployment):
    dep = deployment
    admin = dep.login(*ADMIN)
    engineers = []
    for name in ("Cleo Cluster", "Bo Balancer"):
        email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@cluster.test"
        account = {"email": email, "name": name, "role": "engineer", "password": PASSWORD}
        user = dep.call(admin, "POST", "/api/v1/users", 201, json=account)
        profile = {"user_id": user["id"], "skills": [], "region_ids": [], "home": SPOT}
        dep.call(admin, "POST", "/api/v1/engineers", 201, json={**profile, "shift": SHIFT})
        engineers.append((user["id"], email))
    (cleo, cleo_email), (bo, _) = engineers

    def ticket(title: str) -> str:
        tk = dep.call(admin, "POST", "/api/v1/tickets", 201,
                      json={"title": title, "priority": "P3", "location": SPOT})  # fmt: skip
        dep.call(admin, "POST", f"/api/v1/dispatch/tickets/{tk['id']}/assign",
                 json={"engineer_id": cleo, "reason": "cluster test"})  # fmt: skip
        return str(tk["id"])

    job, moved = ticket("Boiler service"), ticket("Door closer")
    dep.cluster.caught_up()
    # The replica stops replaying: a job assigned now is on the primary only, so the first pull
    # (the engineer wrote nothing yet) shows which database served it.
    dep.cluster.pause()
    late = ticket("Assigned while the replica is paused")
    token = dep.login(cleo_email, PASSWORD)
    held, cursor = _pulled(dep, token, None)
    assert {job, moved} <= set(held)
    assert late not in held, "the first pull did not read the replica"
    dep.cluster.resume()

    # The day, offline: the whole job to completion, and an accept for the other one...
    strokes = [[[10, 10], [60, 40], [120, 15]]]
    queue = [
        *[_m("ticket.transition", ticket_id=job, action=a)
          for a in ("accept", "start_travel", "arrive", "start_work")],
        _m("note.add", id=str(uuid.uuid4()), ticket_id=job, body="Replaced the pump seal"),
        _m("part.none_used", id=str(uuid.uuid4()), ticket_id=job),
        _m("signoff.submit", id=str(uuid.uuid4()), ticket_id=job, signer_name="Site Manager",
           signature={"strokes": strokes}),  # the last requirement met: signing completes
        _m("ticket.transition", ticket_id=moved, action="accept"),
    ]  # fmt: skip
    # ... while the dispatcher gives that other job to someone else.
    dep.call(admin, "POST", f"/api/v1/dispatch/tickets/{moved}/assign",
             json={"engineer_id": bo, "reason": "customer asked for Bo"})  # fmt: skip

    envelope = {"client_id": "cluster-phone", "schema_version": 1, "mutations": queue}
    results = dep.call(token, "POST", "/api/v1/sync/push", json=envelope)["results"]
    statuses = {r["id"]: r["status"] for r in results}
    assert [statuses[m["id"]] for m in queue[:-1]] == ["applied"] * (len(queue) - 1), [
        r for r in results if r["status"] != "applied"
    ]
    assert statuses[queue[-1]["id"]] == "conflict", results
    # Exactly once: the same batch again (a lost answer) changes nothing.
    again = dep.call(token, "POST", "/api/v1/sync/push", json=envelope)["results"]
    assert {r["status"] for r in again} == {"duplicate"}, again

    held, _ = _pulled(dep, token, cursor)  # right after the push: the primary
    assert held[job]["status"] == "completed"
    assert late in held  # nothing skipped: what the paused replica lacked arrives now
    assert moved not in held  # reassigned: it left the phone
    conflicts = dep.call(admin, "GET", "/api/v1/conflicts", params={"ticket_id": moved})
    assert any(c["ticket_id"] == moved for c in conflicts), conflicts

    # Close-out: the service report renders, and the worker drains what the day queued.
    report = dep.call(admin, "GET", f"/api/v1/tickets/{job}/report.pdf")
    assert report.content.startswith(b"%PDF")
    redis = Redis.from_url(dep.stack.redis.url)
    wait_for(
        lambda: sum(redis.llen(f"rq:queue:{q}") for q in ("high", "default", "low")) == 0
        and dep.stack.sql("SELECT count(*) FROM job_outbox WHERE relayed_at IS NULL") == 0,
        60, "the worker to drain the queues",
    )  # fmt: skip
    assert dep.stack.sql("SELECT count(*) FROM job_outbox WHERE dead_at IS NOT NULL") == 0

    # Both API instances served the day.
    for api in dep.apis:
        metrics = requests.get(api + "/metrics", timeout=10).text
        served = [line for line in metrics.splitlines()
                  if line.startswith("fieldops_http_request_duration_seconds_count")]  # fmt: skip
        assert sum(float(line.rsplit(" ", 1)[1]) for line in served) > 0, api
