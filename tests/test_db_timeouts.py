"""Every connection the app opens carries server-side time limits (issue #13 item 4): a
transaction left open holds row locks and the cluster-wide sync pull horizon, so PostgreSQL
ends it instead of letting it last."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from backend.config import Config
from backend.db import extend_timeouts


def _show(conn, name: str) -> str:
    return str(conn.execute(text(f"SHOW {name}")).scalar_one())


def test_engine_connections_have_statement_and_idle_timeouts(app, session):
    conn = session.connection()
    assert _show(conn, "statement_timeout") == "30s"
    # The test config raises the idle limit: each test is one long rolled-back transaction.
    assert _show(conn, "idle_in_transaction_session_timeout") == "10min"


def test_defaults_and_env_override():
    cfg = Config()
    assert (cfg.DB_STATEMENT_TIMEOUT_MS, cfg.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS) == (30_000, 60_000)
    env = Config.from_env(
        {
            "FIELDOPS_DB_STATEMENT_TIMEOUT_MS": "5000",
            "FIELDOPS_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": "0",
        }
    )
    assert (env.DB_STATEMENT_TIMEOUT_MS, env.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS) == (5000, 0)
    with pytest.raises(ValueError, match="FIELDOPS_DB_STATEMENT_TIMEOUT_MS"):
        Config.from_env({"FIELDOPS_DB_STATEMENT_TIMEOUT_MS": "30s"})


def test_a_statement_over_the_limit_is_cancelled(app, session):
    conn = session.connection()
    with conn.begin_nested() as sp:
        conn.execute(text("SET LOCAL statement_timeout = 200"))
        with pytest.raises(Exception, match="statement timeout"):
            conn.execute(text("SELECT pg_sleep(2)"))
        sp.rollback()


def test_extend_timeouts_is_local_to_the_transaction(app, session):
    extend_timeouts(120)
    conn = session.connection()
    assert _show(conn, "statement_timeout") == "2min"
    assert _show(conn, "idle_in_transaction_session_timeout") == "2min"


def test_release_read_ends_a_read_and_the_next_locking_read_sees_fresh_rows(app):
    """Outside the suite's savepoint (real transactions, as in production): the read-only
    transaction is ended before slow work, and a row changed meanwhile by someone else is
    seen as it is now by the ``SELECT ... FOR UPDATE`` that follows, not as first loaded."""
    import uuid

    from backend.db import db, release_read
    from backend.sync.models import SyncMeta

    key = f"test-{uuid.uuid4().hex[:8]}"
    assert db.engine is not None
    with app.app_context():
        db.session.remove()
        other = db.engine.connect()
        try:
            other.execute(text("INSERT INTO sync_meta VALUES (:k, '{\"n\": 1}')"), {"k": key})
            other.commit()
            loaded = db.session.get(SyncMeta, key)
            assert loaded is not None and loaded.value == {"n": 1}
            release_read()
            assert not db.session().in_transaction()  # the read is over
            other.execute(
                text("UPDATE sync_meta SET value = '{\"n\": 2}' WHERE key = :k"), {"k": key}
            )
            other.commit()
            locked = db.session.get(SyncMeta, key, with_for_update=True)
            assert locked is loaded and locked.value == {"n": 2}
            db.session.rollback()
        finally:
            db.session.remove()  # release our row lock before cleaning up
            other.execute(text("DELETE FROM sync_meta WHERE key = :k"), {"k": key})
            other.commit()
            other.close()
