"""The migrations and the models agree: one Alembic head, and ``alembic check`` (autogenerate
against the migrated test database) finds nothing to add. A model change without its migration
fails here rather than on a deployment's ``fieldops db upgrade``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parents[1]


def test_one_head():
    heads = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_heads()
    assert len(heads) == 1, heads


def test_models_match_the_migrated_schema(database_url):
    run = subprocess.run(
        [sys.executable, "-m", "alembic", "-x", f"url={database_url}", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No new upgrade operations detected" in run.stdout + run.stderr


def test_open_location_index_names_the_open_statuses():
    """Migration 0010 keeps a literal copy of the open statuses (migrations are frozen
    history); it must still name exactly the statuses the application calls open."""
    import importlib.util

    from backend.workorders.states import OPEN_STATUSES

    path = next((ROOT / "migrations" / "versions").glob("*_0010_ticket_open_location.py"))
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert ",".join(f"'{s.value}'" for s in OPEN_STATUSES) == module.OPEN
