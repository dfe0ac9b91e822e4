"""Issue #20 §2 — read replicas, on a real streaming replica (tests/faults/pgcluster.py).

The heavy reads (sync pull, lists, reports) go to ``DATABASE_REPLICA_URLS``; writes, and the
session check, stay on the primary. Replay is paused to make the replica fall behind, and the
pull must neither go backwards nor skip: a change the replica has not replayed is not served
yet and is served once it has. Read-your-writes: who just wrote reads the primary. A replica
lagging past ``REPLICA_MAX_LAG_S`` is skipped.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from backend import create_app
from backend.accounts.operations import create_user
from backend.config import Config
from backend.db import db
from backend.migrate import create_database, upgrade
from backend.replicas import replicas
from tests.faults.conftest import SECRET, RedisServer
from tests.faults.pgcluster import ReplicatedCluster

SPOT = {"type": "Point", "coordinates": [13.40, 52.52]}
SHIFT = {"timezone": "UTC", "days": list(range(7)), "start": "00:00", "end": "00:00"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[ReplicatedCluster]:
    c = ReplicatedCluster()
    try:
        url = c.primary.url("fieldops")
        create_database(url)
        upgrade(url)
        yield c
    finally:
        c.close()


class Api:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def login(self, who: str, email: str, password: str) -> None:
        res = self.client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert res.status_code == 200, res.get_json()
        self.tokens[who] = res.get_json()["access_token"]

    def call(self, who: str, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        res = self.client.open(
            path, method=method, headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kw
        )
        assert res.status_code == status, (path, res.status_code, res.get_data(as_text=True))
        return res.get_json(silent=True)

    def pull(self, cursor: str | None) -> dict[str, Any]:
        query = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        return self.call("eng", "GET", "/api/v1/sync/pull", query_string=query)

    def pull_all(self, cursor: str | None) -> tuple[set[str], str]:
        """Every ticket id the pull brings from ``cursor`` on, and the cursor at the end."""
        seen: set[str] = set()
        while True:
            page = self.pull(cursor)
            seen |= {t["id"] for t in page["changes"].get("tickets", {}).get("upserts", [])}
            cursor = page["cursor"]
            if not page["has_more"]:
                return seen, cursor

    def ticket(self, title: str, engineer_id: str) -> str:
        tk = self.call("admin", "POST", "/api/v1/tickets", 201,
                       json={"title": title, "priority": "P3", "location": SPOT})  # fmt: skip
        self.call("admin", "POST", f"/api/v1/dispatch/tickets/{tk['id']}/assign",
                  json={"engineer_id": engineer_id, "reason": "replica test"})  # fmt: skip
        return str(tk["id"])


@pytest.fixture()
def api(
    cluster: ReplicatedCluster, redis_server: RedisServer, tmp_path: Any, test_config: Config
) -> Iterator[Api]:
    cfg = Config(
        DATABASE_URL=cluster.primary.url("fieldops"),
        DATABASE_REPLICA_URLS=(cluster.replica.url("fieldops"),),
        REPLICA_MAX_LAG_S=60.0,
        REDIS_URL=redis_server.url,
        SECRET_KEY=SECRET,
        MEDIA_ROOT=str(tmp_path / "media"),
        TESTING=True,
    )
    app = create_app(cfg)
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        create_user(email=f"admin-{tag}@r.test", password="replica-admin-pw", role="admin",
                    name="Replica Admin")  # fmt: skip
        db.session.commit()
    client = Api(app.test_client())
    client.login("admin", f"admin-{tag}@r.test", "replica-admin-pw")
    eng = client.call("admin", "POST", "/api/v1/users", 201, json={
        "email": f"eng-{tag}@r.test", "name": "Rhea Replica", "role": "engineer",
        "password": "replica-engineer-pw"})  # fmt: skip
    profile = {"user_id": eng["id"], "skills": [], "region_ids": [], "home": SPOT, "shift": SHIFT}
    client.call("admin", "POST", "/api/v1/engineers", 201, json=profile)
    client.login("eng", f"eng-{tag}@r.test", "replica-engineer-pw")
    client.engineer_id = eng["id"]  # type: ignore[attr-defined]
    client.redis = redis_server  # type: ignore[attr-defined]
    try:
        yield client
    finally:
        cluster.resume()
        with app.app_context():
            db.session.remove()
            if db.engine is not None:
                db.engine.dispose()
        # create_app binds process-wide holders (the engine, Redis, the replicas) to this
        # cluster: bind them back to the suite's own services for the tests that follow.
        create_app(test_config)


def _forget_writes(api: Api) -> None:
    """As if the read-your-writes window had passed (it lasts the lag limit)."""
    from redis import Redis

    Redis.from_url(api.redis.url).flushdb()  # type: ignore[attr-defined]


def test_a_lagging_replica_neither_goes_back_nor_skips(api: Api, cluster: ReplicatedCluster):
    eid = api.engineer_id  # type: ignore[attr-defined]
    _forget_writes(api)
    cluster.caught_up()
    _, start = api.pull_all(None)

    cluster.pause()
    first = api.ticket("Paused replay", eid)
    # The dispatcher wrote it: their list reads the primary and has it at once.
    listed = api.call("admin", "GET", "/api/v1/tickets", query_string={"assignee_id": eid})
    assert first in {t["id"] for t in listed}
    # The engineer's pull reads the replica, which has not replayed it: not there yet.
    seen, behind = api.pull_all(start)
    assert first not in seen

    # A write of the engineer's own: their next pull reads the primary, and has the ticket.
    api.call("eng", "POST", f"/api/v1/tickets/{first}/notes", 201, json={"body": "on my way"})
    seen, ahead = api.pull_all(behind)
    assert first in seen
    # With that (primary) cursor on the replica, still paused: nothing, and it stays put.
    _forget_writes(api)
    page = api.pull(ahead)
    assert not page["changes"].get("tickets", {}).get("upserts"), page["changes"]
    assert page["cursor"] == ahead

    cluster.resume()
    cluster.caught_up()
    # The cursor the replica handed out while behind now brings what it had not replayed:
    # nothing skipped.
    seen, _ = api.pull_all(behind)
    assert first in seen


def test_a_replica_past_the_lag_limit_is_skipped(api: Api, cluster: ReplicatedCluster):
    eid = api.engineer_id  # type: ignore[attr-defined]
    _forget_writes(api)
    cluster.caught_up()
    _, start = api.pull_all(None)
    replicas.max_lag_s = 1.0
    cluster.pause()
    late = api.ticket("Replica far behind", eid)
    _forget_writes(api)
    time.sleep(2.5)  # the replica's last replayed transaction ages past the limit
    replicas.forget()
    seen, _ = api.pull_all(start)
    assert late in seen  # from the primary


def test_a_logout_ends_access_at_once_even_on_a_paused_replica(
    api: Api, cluster: ReplicatedCluster
):
    cluster.caught_up()
    cluster.pause()
    api.call("eng", "POST", "/api/v1/auth/logout", 204)
    _forget_writes(api)
    api.call("eng", "GET", "/api/v1/sync/pull", 401, query_string={"limit": 10})


def _kill9(server: Any) -> None:
    """``kill -9`` the server's postmaster, as a crashed replica machine."""
    pid = int((server.datadir / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def _start_again(server: Any) -> None:
    """Start it again once its orphaned backends have left the shared memory."""
    deadline = time.monotonic() + 60
    while True:
        try:
            server.start()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_a_replica_that_dies_under_reads_is_replaced_by_the_primary(
    api: Api, cluster: ReplicatedCluster
):
    """Tried from outside (issue #20): a replica ``kill -9``ed under load answered 503 to the
    reads routed to it (pulls, the map) until the next lag check, and again right after it came
    back (its pooled connections were dead). A read-only operation the replica cannot serve is
    served by the primary instead; the replica is used again once it answers."""
    eid = api.engineer_id  # type: ignore[attr-defined]
    _forget_writes(api)
    cluster.caught_up()
    api.ticket("Before the crash", eid)
    _forget_writes(api)
    cluster.caught_up()
    _, cursor = api.pull_all(None)  # the replica serves it; its pool holds a connection
    try:
        _kill9(cluster.replica)
        # Each process trusts a lag it measured for up to a second: within it, reads still go
        # to the dead replica. Nothing may answer 5xx meanwhile.
        for replica in replicas.replicas:
            replica.lag_s, replica.checked_at = 0.0, time.monotonic() + 60
        api.call("eng", "GET", "/api/v1/sync/pull", query_string={"limit": 50, "cursor": cursor})
        api.call("admin", "GET", "/api/v1/tickets", query_string={"assignee_id": eid})
        _forget_writes(api)
        api.call("admin", "GET", "/api/v1/dispatch/map",
                 query_string={"bbox": "-180,-90,180,90"})  # fmt: skip
    finally:
        _start_again(cluster.replica)
    cluster.caught_up()
    # Back: its pooled connections died with it; no request may see that either.
    for replica in replicas.replicas:
        replica.lag_s, replica.checked_at = 0.0, time.monotonic() + 60
    _forget_writes(api)
    api.call("eng", "GET", "/api/v1/sync/pull", query_string={"limit": 50, "cursor": cursor})
    # And once measured again it serves reads again.
    replicas.forget()
    _forget_writes(api)
    api.call("eng", "GET", "/api/v1/sync/pull", query_string={"limit": 50, "cursor": cursor})
    assert replicas.replicas[0].lag_s is not None
