"""docs/kpis.md prints the rollups' SQL for first-time fix and customers: the per-fact shares,
the day rebuild and the asset-neighbour lookups must be the ones that run."""

from __future__ import annotations

from pathlib import Path

from backend.reports import facts

DOC = (Path(__file__).parents[2] / "docs" / "kpis.md").read_text()


def _lines(sql: str) -> str:
    return "\n".join(line.rstrip() for line in sql.splitlines() if line.strip())


def test_every_first_fix_and_customers_share_is_documented():
    for name, expression in facts.KPI_SHARES.items():
        assert f"| `{name}` | `{expression}` |" in DOC


def test_the_day_rebuild_and_the_neighbour_lookups_are_documented():
    for sql in (
        facts.REBUILD_DAYS_SQL,
        facts._NEIGHBOURS_OF_SQL,
        facts.asset_neighbours_sql("{t}.id IN (SELECT id FROM ch)"),
    ):
        assert f"```sql\n{_lines(sql)}\n```" in DOC
    assert facts.DELETE_DAYS_SQL.split("WHERE ")[1].split(" AND")[0] in DOC.replace("\n", " ")
