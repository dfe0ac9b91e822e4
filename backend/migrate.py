"""Run Alembic migrations programmatically (used by the CLI and the test suite)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def set_timeouts(
    url: str, *, statement_timeout_ms: int, idle_in_transaction_timeout_ms: int
) -> None:
    """Make the limits every connection must have the database's own defaults. Connections
    made directly send them in the startup packet as well (``backend.db``); connections
    through a transaction pooler cannot, and get them only from here."""
    target = make_url(url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            name = conn.dialect.identifier_preparer.quote(target.database or "")
            for setting, value in (
                ("statement_timeout", int(statement_timeout_ms)),
                ("idle_in_transaction_session_timeout", int(idle_in_transaction_timeout_ms)),
            ):
                conn.execute(text(f"ALTER DATABASE {name} SET {setting} = {value}"))
    finally:
        engine.dispose()


def create_database(url: str, *, drop_first: bool = False) -> None:
    """Create the database in ``url`` (and PostGIS in it) if it does not exist."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = target.database
        if drop_first:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()


def drop_database(url: str) -> None:
    """Drop the database in ``url`` if it exists (closing its connections). Only for
    databases the caller created: test and benchmark scratch databases."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()
