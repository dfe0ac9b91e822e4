"""job_outbox: the durable intent to run a background job, written with the write that wants
it and relayed to rq after commit (a Redis outage no longer loses or fails anything)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.String(120), nullable=False),
        sa.Column("func", sa.String(200), nullable=False),
        sa.Column("args", postgresql.JSONB(), nullable=False),
        sa.Column("kwargs", postgresql.JSONB(), nullable=False),
        sa.Column("queue", sa.String(20), nullable=False),
        sa.Column("timeout_s", sa.Integer(), nullable=False),
        sa.Column("retry_intervals", postgresql.JSONB(), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True)),
        sa.Column("request_id", sa.String(64)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("relay_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("relayed_at", sa.DateTime(timezone=True)),
        sa.Column("dead_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
    )
    # The sweep reads the live backlog oldest first; dead rows stay out of its index.
    op.create_index(
        "ix_job_outbox_live_created",
        "job_outbox",
        ["created_at"],
        postgresql_where=sa.text("dead_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_job_outbox_live_created", table_name="job_outbox")
    op.drop_table("job_outbox")
