"""reports: parts rollups (part_rollups)

The parts report read every use of its period with its ticket per request; it now reads
per-day sums kept by the catch-up (docs/kpis.md, "Rollups"). The watermark is dropped so the
next catch-up rebuilds everything, this table included (until then the endpoints answer from
the raw tables).

Revision ID: 0029_insight_rollups
Revises: 0028_arrival_windows
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0029_insight_rollups"
down_revision = "0028_arrival_windows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM report_rollup_state")
    op.execute("TRUNCATE ticket_facts, report_rollups, ticket_work, workload_rollups")
    op.create_table(
        "part_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("part_id", sa.UUID(), nullable=False),
        sa.Column("usages", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("stockouts", sa.Integer(), nullable=False),
        sa.Column("tickets", postgresql.ARRAY(sa.UUID()), nullable=False),
    )
    op.create_index("ix_part_rollups_dim_day", "part_rollups", ["dim", "day"])
    op.create_index("ix_part_rollups_dim_value_day", "part_rollups", ["dim", "value", "day"])


def downgrade() -> None:
    op.drop_table("part_rollups")
    op.execute("DELETE FROM report_rollup_state")
    op.execute("TRUNCATE ticket_facts, report_rollups, ticket_work, workload_rollups")
