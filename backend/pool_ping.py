"""Check a pooled connection before use only when it has been idle long enough to have died.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` every time a request takes a connection from
the pool: a round trip (two system calls and the driver's work) on every request, which was
about 3 % of the server's CPU under load (issue #13: CPU per request). Under load a connection
comes back to the pool and leaves it again within milliseconds; a ping then proves nothing
that the request's own first statement would not.

So a connection is pinged on checkout only when it has rested in the pool for at least
``IDLE_S`` seconds (the case where a database restart, a failover or an idle timeout on the
way has most likely killed it). A connection that died within that second is found by the
request's first statement instead: the request answers 503 with ``Retry-After``
(``backend.api``), SQLAlchemy sees the disconnect and invalidates every connection of the pool
older than that moment, so the next requests reconnect. Nothing committed is lost either way.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event, exc

IDLE_S = 1.0
_RESTED_SINCE = "fieldops_rested_since"


def ping_when_idle(engine: Engine, idle_s: float = IDLE_S) -> None:
    """Install the check on ``engine``'s pool (created without ``pool_pre_ping``)."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _rested(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_RESTED_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(_RESTED_SINCE)
        if since is None or time.monotonic() - since < idle_s:
            return  # new (just connected) or just used: its first statement is the test
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as err:
            # The pool replaces this connection and every older one, then retries checkout.
            raise exc.InvalidatePoolError(
                f"connection idle {time.monotonic() - since:.0f} s died"
            ) from err
