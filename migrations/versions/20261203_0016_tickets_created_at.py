"""tickets: index on created_at for the reports' period

Every report (docs/kpis.md) starts from the tickets created in a period
(``created_at >= :from AND created_at < :to``); without this index each request reads the
whole ticket table.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_tickets_created_at"), "tickets", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_created_at"), table_name="tickets")
