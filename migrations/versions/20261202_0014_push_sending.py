"""push_messages: a ``sending`` status and ``claimed_at``, so the sender claims a message in
its own short transaction, calls FCM with no transaction open, and records the result in
another (a row lock held across the HTTP call held back every engineer's sync pull)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("push_messages", sa.Column("claimed_at", sa.DateTime(timezone=True)))
    op.drop_constraint(op.f("ck_push_messages_status_known"), "push_messages", type_="check")
    op.create_check_constraint(
        op.f("ck_push_messages_status_known"),
        "push_messages",
        "status IN ('pending', 'sending', 'sent', 'unsent', 'failed')",
    )


def downgrade() -> None:
    op.execute("UPDATE push_messages SET status = 'pending' WHERE status = 'sending'")
    op.drop_constraint(op.f("ck_push_messages_status_known"), "push_messages", type_="check")
    op.create_check_constraint(
        op.f("ck_push_messages_status_known"),
        "push_messages",
        "status IN ('pending', 'sent', 'unsent', 'failed')",
    )
    op.drop_column("push_messages", "claimed_at")
