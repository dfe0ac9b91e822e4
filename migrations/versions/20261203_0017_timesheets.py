"""time sheets: corrections and approved days; audit-trail indexes to find an engineer's tickets

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ASSIGNING = "action IN ('assign', 'reassign', 'unassign')"


def upgrade() -> None:
    op.create_table(
        "timesheet_corrections",
        sa.Column("engineer_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("entry_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=True),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("day_from", sa.Date(), nullable=False),
        sa.Column("day_to", sa.Date(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IS NULL OR kind IN ('travel', 'on_site', 'work', 'pause')",
            name=op.f("ck_timesheet_corrections_kind_known"),
        ),
        sa.CheckConstraint(
            "start_at IS NULL OR end_at IS NULL OR start_at <= end_at",
            name=op.f("ck_timesheet_corrections_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_timesheet_corrections_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["users.id"], name=op.f("fk_timesheet_corrections_engineer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_timesheet_corrections_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timesheet_corrections")),
    )
    op.create_index(
        "ix_timesheet_corrections_engineer_days",
        "timesheet_corrections",
        ["engineer_id", "day_from", "day_to"],
    )
    op.create_table(
        "timesheet_days",
        sa.Column("engineer_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'approved')", name=op.f("ck_timesheet_days_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_timesheet_days_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["users.id"], name=op.f("fk_timesheet_days_engineer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timesheet_days")),
        sa.UniqueConstraint("engineer_id", "day", name="uq_timesheet_days_engineer_day"),
    )
    op.create_index("ix_ticket_events_actor_at", "ticket_events", ["actor_id", "at"])
    for side in ("to", "from"):
        op.create_index(
            f"ix_ticket_events_{side}_assignee_at",
            "ticket_events",
            [sa.text(f"(data->>'{side}_assignee')"), "at"],
            postgresql_where=sa.text(ASSIGNING),
        )


def downgrade() -> None:
    for side in ("to", "from"):
        op.drop_index(f"ix_ticket_events_{side}_assignee_at", table_name="ticket_events")
    op.drop_index("ix_ticket_events_actor_at", table_name="ticket_events")
    op.drop_table("timesheet_days")
    op.drop_index("ix_timesheet_corrections_engineer_days", table_name="timesheet_corrections")
    op.drop_table("timesheet_corrections")
