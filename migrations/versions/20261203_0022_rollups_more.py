"""reports: first-time fix and customers in the rollups; parts by period

``ticket_facts`` gains what first-time fix and customers read (asset, source, score, visits,
the next ticket on the asset), ``report_rollups`` their summable counts, the watermark the
first-time-fix window the counts were made with (docs/kpis.md, "Rollups"). The facts and
rollups are emptied and the watermark dropped: the next catch-up rebuilds them (until then
the endpoints answer from the raw tables). Two indexes serve the new reads: tickets by asset
and creation (the next ticket on an asset, one probe) and part uses by when they were recorded
(the parts report reads its period's uses, not the table).

Revision ID: 0022_rollups_more
Revises: 0019
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_rollups_more"
down_revision = "0020_webhooks"
branch_labels = None
depends_on = None

_KPI = (
    "qr_reports",
    "staff_created",
    "finished",
    "rated",
    "rated_on_tracking",
    "rated_at_signoff",
    "score_sum",
    "score_1",
    "score_2",
    "score_3",
    "score_4",
    "score_5",
    "completed",
    "one_visit",
    "repeat_faults",
    "first_time_fix",
)


def upgrade() -> None:
    op.execute("DELETE FROM report_rollup_state")
    op.execute("TRUNCATE ticket_facts, report_rollups")
    op.add_column("ticket_facts", sa.Column("asset_id", sa.UUID(), nullable=True))
    op.add_column("ticket_facts", sa.Column("source", sa.String(length=20), nullable=True))
    op.add_column("ticket_facts", sa.Column("score", sa.SmallInteger(), nullable=True))
    op.add_column("ticket_facts", sa.Column("visits", sa.Integer(), nullable=True))
    op.add_column(
        "ticket_facts", sa.Column("next_on_asset", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_ticket_facts_asset_resolved", "ticket_facts", ["asset_id", "resolved_at"])
    op.create_index(
        "ix_ticket_facts_settled_resolved",
        "ticket_facts",
        ["resolved_at"],
        postgresql_where=sa.text("settled AND status IN ('completed', 'closed')"),
    )
    for name in _KPI:
        op.add_column(
            "report_rollups",
            sa.Column(name, sa.Integer(), nullable=False, server_default="0"),
        )
    op.add_column("report_rollup_state", sa.Column("window_s", sa.Integer(), nullable=True))
    op.create_index("ix_tickets_asset_created", "tickets", ["asset_id", "created_at"])
    op.create_index("ix_part_usages_created_at", "part_usages", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_part_usages_created_at", table_name="part_usages")
    op.drop_index("ix_tickets_asset_created", table_name="tickets")
    op.execute("DELETE FROM report_rollup_state")
    op.execute("TRUNCATE ticket_facts, report_rollups")
    op.drop_column("report_rollup_state", "window_s")
    for name in reversed(_KPI):
        op.drop_column("report_rollups", name)
    op.drop_index("ix_ticket_facts_settled_resolved", table_name="ticket_facts")
    op.drop_index("ix_ticket_facts_asset_resolved", table_name="ticket_facts")
    for name in ("next_on_asset", "visits", "score", "source", "asset_id"):
        op.drop_column("ticket_facts", name)
