"""Read replicas (``DATABASE_REPLICA_URLS``): which one may serve a read right now.

The heavy read paths (sync pull, ticket, map and timeline lists, service reports) may run on
a streaming replica; everything else, and every write, stays on the primary
(``backend.db.RoutedSession``). A replica whose replay lags more than ``REPLICA_MAX_LAG_S``
behind is skipped. Its lag is measured on the replica itself and remembered for a second, so a
request pays for it at most once a second per process, never per request.

Why a lagging replica is still correct for the pull: the cursor is a position in commit order
(xid8, docs/sync-protocol.md), and the replica serves only what it has replayed, so a cursor
from the primary that is ahead of it returns nothing and does not move; it never skips.
Read-your-writes is the other half: a user who wrote in the last ``REPLICA_MAX_LAG_S`` seconds
reads the primary (``backend.api.replica_routing``), and any replica chosen after that has
replayed their write.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, text

from backend.pool_ping import ping_when_idle

log = logging.getLogger(__name__)

# Lag in seconds: 0 while the receiver streams and replay has caught up with what it received;
# otherwise the age of the last replayed transaction (a paused or disconnected replica ages).
LAG_SQL = text(
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')"
    " AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END"
)
CHECK_EVERY_S = 1.0


@dataclass
class Replica:
    engine: Engine
    lag_s: float | None = None  # None: not measured yet, or unreachable
    checked_at: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


class ReplicaSet:
    """The configured replicas and their last measured lag (per process)."""

    def __init__(self) -> None:
        self.replicas: list[Replica] = []
        self.max_lag_s = 5.0
        self._turn = itertools.count()

    def init(self, urls: tuple[str, ...], *, max_lag_s: float, **engine_kw: Any) -> None:
        for old in self.replicas:
            old.engine.dispose()
        self.replicas = [Replica(create_engine(url, **engine_kw)) for url in urls]
        if not engine_kw.get("pool_pre_ping"):
            for replica in self.replicas:
                ping_when_idle(replica.engine)
        self.max_lag_s = max_lag_s

    @property
    def configured(self) -> bool:
        return bool(self.replicas)

    def pick(self) -> Engine | None:
        """A replica within the lag limit (taking turns), or None: use the primary."""
        usable = [r for r in self.replicas if self._fresh_lag(r) is not None]
        usable = [r for r in usable if (r.lag_s or 0.0) <= self.max_lag_s]
        if not usable:
            return None
        return usable[next(self._turn) % len(usable)].engine

    def _fresh_lag(self, replica: Replica) -> float | None:
        now = time.monotonic()
        if now - replica.checked_at < CHECK_EVERY_S:
            return replica.lag_s
        # One thread measures; the others use the last figure meanwhile.
        if not replica.lock.acquire(blocking=False):
            return replica.lag_s
        try:
            replica.lag_s = measure_lag(replica.engine)
            replica.checked_at = time.monotonic()
        finally:
            replica.lock.release()
        return replica.lag_s

    def mark_unreachable(self, engine: Engine) -> None:
        """A read on ``engine`` failed: skip it until the next lag check, and drop its pooled
        connections (a replica that restarts leaves them all dead)."""
        for r in self.replicas:
            if r.engine is engine:
                r.lag_s, r.checked_at = None, time.monotonic()
                engine.dispose()

    def forget(self) -> None:
        """Measure again on the next pick (tests; after a failover)."""
        for r in self.replicas:
            r.checked_at = float("-inf")


def measure_lag(engine: Engine) -> float | None:
    """Seconds the replica is behind, or None when it cannot be asked."""
    try:
        with engine.connect() as conn:
            value = conn.scalar(LAG_SQL)
    except Exception as exc:  # an unreachable replica is skipped, not an error
        log.warning("replica unreachable: %s", exc.__class__.__name__)
        return None
    return float(value) if value is not None else None


replicas = ReplicaSet()
