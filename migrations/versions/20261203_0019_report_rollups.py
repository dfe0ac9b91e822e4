"""reports: ticket_facts, report_rollups and the rollups' watermark

The KPI endpoints read these instead of scanning tickets and their audit trail per request
(docs/kpis.md, "Rollups"). They start empty with no watermark: the first catch-up builds them
from the raw tables, and until then the endpoints answer from the raw tables.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_VALUES = ("respond_late", "resolve_late", "to_assign", "to_accept", "to_arrive", "to_complete")
_COUNTS = (
    "tickets",
    "respond_due",
    "respond_met",
    "resolve_due",
    "resolve_met",
    "breached",
    "to_assign_n",
    "to_accept_n",
    "to_arrive_n",
    "to_complete_n",
)


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "ticket_facts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assignee_id", sa.UUID(), nullable=True),
        sa.Column("region_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=True),
        sa.Column("asset_model", sa.String(length=200), nullable=True),
        sa.Column("respond_by", ts, nullable=False),
        sa.Column("resolve_by", ts, nullable=False),
        sa.Column("responded_at", ts, nullable=True),
        sa.Column("resolved_at", ts, nullable=True),
        sa.Column("first_assign", ts, nullable=True),
        sa.Column("first_accept", ts, nullable=True),
        sa.Column("first_arrive", ts, nullable=True),
        sa.Column("last_complete", ts, nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("settled", sa.Boolean(), nullable=False),
        *(sa.Column(n, sa.SmallInteger(), nullable=True) for n in _COUNTS if n != "tickets"),
        *(sa.Column(n, sa.Float(precision=53), nullable=True) for n in _VALUES),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_facts")),
    )
    op.create_index("ix_ticket_facts_day", "ticket_facts", ["day"])
    op.create_index(
        "ix_ticket_facts_live",
        "ticket_facts",
        ["created_at"],
        postgresql_where=sa.text("NOT settled"),
    )
    op.create_table(
        "report_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        *(sa.Column(name, sa.LargeBinary(), nullable=True) for name in _VALUES),
    )
    # A day's value lists are written once and read whole: kept out of line uncompressed
    # (float8 minutes barely compress; trying costs every rebuild and every read).
    for name in _VALUES:
        op.execute(f"ALTER TABLE report_rollups ALTER COLUMN {name} SET STORAGE EXTERNAL")
    op.create_index("ix_report_rollups_dim_day", "report_rollups", ["dim", "day"])
    op.create_index("ix_report_rollups_dim_value_day", "report_rollups", ["dim", "value", "day"])
    op.create_table(
        "report_rollup_state",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("wm_xid", sa.BigInteger(), nullable=False),
        sa.Column("wm_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_report_rollup_state")),
    )


def downgrade() -> None:
    op.drop_table("report_rollup_state")
    op.drop_table("report_rollups")
    op.drop_table("ticket_facts")
