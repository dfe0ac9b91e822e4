"""public QR intake: idempotency records for replayed fault reports

Revision ID: 0009
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_reports",
        sa.Column("asset_id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("client_report_id", sa.String(length=64), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_public_reports_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_public_reports_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_reports")),
        sa.UniqueConstraint("asset_id", "client_report_id", name="uq_public_reports_asset_client"),
    )
    op.create_index(
        "ix_public_reports_asset_fp_created",
        "public_reports",
        ["asset_id", "fingerprint", "created_at"],
    )
    op.create_index(
        op.f("ix_public_reports_ticket_id"), "public_reports", ["ticket_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("public_reports")
