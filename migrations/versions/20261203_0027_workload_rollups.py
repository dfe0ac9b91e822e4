"""reports: workload rollups (ticket_work, workload_rollups)

The workload report read the whole status trail of the period with window functions per
request; it now reads per-day sums kept by the catch-up (docs/kpis.md, "Rollups"). The
watermark is dropped so the next catch-up rebuilds everything, these tables included (until
then the endpoints answer from the raw tables).

Revision ID: 0027_workload_rollups
Revises: 0026_job_types
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0027_workload_rollups"
down_revision = "0026_job_types"
branch_labels = None
depends_on = None

_SECONDS = ("travel_s", "on_site_s", "work_s", "paused_s")


def _measures() -> list[sa.Column]:
    return [
        *(sa.Column(n, sa.Numeric(), nullable=False, server_default="0") for n in _SECONDS),
        sa.Column("completed", sa.Integer(), nullable=False, server_default="0"),
    ]


def upgrade() -> None:
    op.execute("DELETE FROM report_rollup_state")
    op.execute("TRUNCATE ticket_facts, report_rollups")
    op.create_table(
        "ticket_work",
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("engineer_id", sa.UUID(), nullable=True),
        *_measures(),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("region_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=True),
        sa.Column("asset_model", sa.String(length=200), nullable=True),
    )
    op.create_index("ix_ticket_work_ticket", "ticket_work", ["ticket_id"])
    op.create_index("ix_ticket_work_day", "ticket_work", ["day"])
    op.create_table(
        "workload_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("engineer_id", sa.UUID(), nullable=True),
        *_measures(),
    )
    op.create_index("ix_workload_rollups_dim_day", "workload_rollups", ["dim", "day"])
    op.create_index(
        "ix_workload_rollups_dim_value_day", "workload_rollups", ["dim", "value", "day"]
    )
    op.create_index(
        "ux_workload_rollups_key",
        "workload_rollups",
        ["day", "dim", "value", "engineer_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )


def downgrade() -> None:
    op.drop_table("workload_rollups")
    op.drop_table("ticket_work")
    op.execute("DELETE FROM report_rollup_state")
    op.execute("TRUNCATE ticket_facts, report_rollups")
