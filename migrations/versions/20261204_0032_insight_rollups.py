"""reports: parts rollups (part_rollups), workload per day (workload_day_rollups), work spans

The parts report read every use of its period with its ticket per request; it now reads
per-day sums kept by the catch-up (docs/kpis.md, "Rollups"). A work row keeps the first and
last instant it covers, so a period that cuts its day uses it whole when it lies inside, and
workload's per-engineer rollups are summed per day and dimension value (the engineers kept as
an array) so a long report reads a row per day and group. The watermark is dropped so the
next catch-up rebuilds everything, this table included (until then the endpoints answer from
the raw tables).

Revision ID: 0032_insight_rollups
Revises: 0031_automation_rules
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0032_insight_rollups"
down_revision = "0031_automation_rules"
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
    op.create_table(
        "workload_day_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("engineers", postgresql.ARRAY(sa.UUID()), nullable=False),
        *(
            sa.Column(n, sa.Numeric(), nullable=False, server_default="0")
            for n in ("travel_s", "on_site_s", "work_s", "paused_s")
        ),
        sa.Column("completed", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_workload_day_rollups_dim_day", "workload_day_rollups", ["dim", "day"])
    op.create_index(
        "ix_workload_day_rollups_dim_value_day", "workload_day_rollups", ["dim", "value", "day"]
    )
    # The span of a work row's day (served_workload: an edge day's rows used whole).
    for name in ("first_at", "last_at"):
        op.add_column("ticket_work", sa.Column(name, sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    op.drop_column("ticket_work", "last_at")
    op.drop_column("ticket_work", "first_at")
    op.drop_table("workload_day_rollups")
    op.drop_table("part_rollups")
    op.execute("DELETE FROM report_rollup_state")
    op.execute("TRUNCATE ticket_facts, report_rollups, ticket_work, workload_rollups")
