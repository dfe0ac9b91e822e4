"""A pooled connection is checked before use only after resting in the pool
(``backend.pool_ping``): one that died while resting is replaced before the request sees it;
one that died within the resting time is met by the request's first statement (answered 503
by the API), and the pool recovers for the next request either way."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from backend.db import engine_options
from backend.pool_ping import ping_when_idle


def _engine(url: str, idle_s: float) -> Engine:
    kw = engine_options(url, statement_timeout_ms=0, idle_in_transaction_timeout_ms=0)
    assert kw["pool_pre_ping"] is False  # the app's engines: no ping on every checkout
    engine = create_engine(url, **{**kw, "pool_size": 1, "max_overflow": 0})
    ping_when_idle(engine, idle_s)
    return engine


def _pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
            for _ in range(100):
                gone = not conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
                ).scalar()
                if gone:
                    return
                time.sleep(0.05)
        raise AssertionError(f"backend {pid} still there")
    finally:
        admin.dispose()


def test_a_connection_that_died_while_resting_is_replaced_before_use(database_url):
    engine = _engine(database_url, idle_s=0.2)
    try:
        first = _pid(engine)
        _terminate(database_url, first)
        time.sleep(0.3)
        assert _pid(engine) != first  # pinged, found dead, replaced: no error reached us
    finally:
        engine.dispose()


def test_a_connection_just_returned_is_not_pinged_and_the_pool_recovers(database_url):
    engine = _engine(database_url, idle_s=60)
    try:
        first = _pid(engine)
        _terminate(database_url, first)
        # Not pinged (it rested less than 60 s): the first statement meets the dead connection.
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        # The disconnect invalidated the pool: the next use gets a new connection.
        assert _pid(engine) != first
    finally:
        engine.dispose()
