"""docs/kpis.md prints the SQL of first-time fix, customers, workload and parts: it must be the
SQL that runs (ungrouped, no filter), and every extra group must be documented."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.reports import consumption, customers, first_fix, workload
from backend.reports.scope import KPI_GROUPS, KpiFilter

DOC = (Path(__file__).parents[2] / "docs" / "kpis.md").read_text()


def _lines(sql: str) -> str:
    return "\n".join(line.rstrip() for line in sql.splitlines() if line.strip())


@pytest.mark.parametrize("module", [first_fix, customers, workload, consumption])
def test_the_documented_sql_is_the_sql_that_runs(module):
    f = KpiFilter(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    assert f"```sql\n{_lines(module.sql(f))}\n```" in DOC


def test_every_group_is_documented():
    for module in (first_fix, customers, workload, consumption):
        assert set(module.GROUPS) <= set(KPI_GROUPS)
    for group in ("customer", "asset_model", "asset", "part"):
        assert f"| `{group}` |" in DOC


def test_the_window_setting_is_documented():
    config = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    assert "FIELDOPS_FIRST_FIX_WINDOW_DAYS" in config and "FIELDOPS_FIRST_FIX_WINDOW_DAYS" in DOC
