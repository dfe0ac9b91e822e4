"""job types: templates of planned work and their versions; tickets keep their version

A job type's content (default priority, required skills, estimated duration, suggested parts,
completion rules, checklist) lives in numbered versions, one per edit; a ticket created with a
job type keeps the version current then (docs/planned-work.md). Both ticket columns are
nullable and added without a default, so the ALTER rewrites nothing. ``checklist_answers``
holds every answer given (one ``current`` per ticket and item: a partial unique index).

Revision ID: 0026_job_types
Revises: 0025_api_keys
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0026_job_types"
down_revision = "0025_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_types",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_job_types_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_types")),
        sa.UniqueConstraint("name", name=op.f("uq_job_types_name")),
    )
    op.create_table(
        "job_type_versions",
        sa.Column("job_type_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("default_priority", sa.String(length=2), nullable=False),
        sa.Column("required_skills", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("estimated_minutes", sa.Integer(), nullable=True),
        sa.Column("suggested_parts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("completion_rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("checklist", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "default_priority IN ('P1','P2','P3','P4')",
            name=op.f("ck_job_type_versions_priority_known"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_job_type_versions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_type_id"],
            ["job_types.id"],
            name=op.f("fk_job_type_versions_job_type_id_job_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_type_versions")),
        sa.UniqueConstraint("job_type_id", "number", name=op.f("uq_job_type_versions_job_type_id")),
    )
    op.add_column("tickets", sa.Column("job_type_id", sa.UUID(), nullable=True))
    op.add_column("tickets", sa.Column("job_type_version_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_tickets_job_type_version_id_job_type_versions"),
        "tickets",
        "job_type_versions",
        ["job_type_version_id"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_tickets_job_type_id_job_types"), "tickets", "job_types", ["job_type_id"], ["id"]
    )

    op.create_table(
        "checklist_answers",
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("job_type_version_id", sa.UUID(), nullable=False),
        sa.Column("item_key", sa.String(length=64), nullable=False),
        sa.Column(
            "value", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("answered_by_id", sa.UUID(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_checklist_answers_answered_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["job_type_version_id"],
            ["job_type_versions.id"],
            name=op.f("fk_checklist_answers_job_type_version_id_job_type_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_checklist_answers_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_answers")),
    )
    op.create_index("ix_checklist_answers_ticket_id", "checklist_answers", ["ticket_id"])
    op.create_index(
        "uq_checklist_answers_current",
        "checklist_answers",
        ["ticket_id", "item_key"],
        unique=True,
        postgresql_where=sa.text("status = 'current'"),
    )


def downgrade() -> None:
    op.drop_index("uq_checklist_answers_current", table_name="checklist_answers")
    op.drop_index("ix_checklist_answers_ticket_id", table_name="checklist_answers")
    op.drop_table("checklist_answers")
    op.drop_constraint(op.f("fk_tickets_job_type_id_job_types"), "tickets", type_="foreignkey")
    op.drop_constraint(
        op.f("fk_tickets_job_type_version_id_job_type_versions"), "tickets", type_="foreignkey"
    )
    op.drop_column("tickets", "job_type_version_id")
    op.drop_column("tickets", "job_type_id")
    op.drop_table("job_type_versions")
    op.drop_table("job_types")
