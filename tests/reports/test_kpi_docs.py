"""docs/kpis.md prints the reference SQL: it must be the SQL the reports run, so the written
definitions and the served numbers cannot drift apart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.reports import queries
from backend.reports.filters import _KEYS, _REGION_JOIN, GROUP_BY, ReportFilter

DOC = (Path(__file__).parents[2] / "docs" / "kpis.md").read_text()


def _lines(sql: str) -> str:
    return "\n".join(line.rstrip() for line in sql.splitlines() if line.strip())


@pytest.mark.parametrize("name", ["SLA_SQL", "TIMES_SQL", "BACKLOG_SQL"])
def test_the_documented_sql_is_the_sql_that_runs(name):
    f = ReportFilter(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    sql = getattr(queries, name).format(cohort=f.cohort_sql())
    assert f"```sql\n{_lines(sql)}\n```" in DOC


def test_every_group_key_is_documented():
    assert set(_KEYS) == set(GROUP_BY)
    for group_by, expression in _KEYS.items():
        assert f"| `{group_by}` | `{expression}` |" in DOC
    assert _REGION_JOIN in DOC


def test_every_share_of_the_rollups_is_documented():
    """The rollups' per-fact shares (backend/reports/facts.py) are printed in "Rollups"."""
    from backend.reports.facts import SHARES

    for name, expression in SHARES.items():
        assert f"| `{name}` | `{expression}` |" in DOC


def test_the_engineers_week_sql_is_documented():
    from backend.reports.week import WEEK_SQL

    assert f"```sql\n{_lines(WEEK_SQL)}\n```" in DOC
