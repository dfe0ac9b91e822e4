"""maintenance: plans, their occurrences, assets' meter readings

A plan repeats by a recurrence rule in a time zone, by a meter step, or both
(docs/maintenance.md). An occurrence row is written when its ticket is generated or a planner
skips or moves it; its partial unique keys (plan, asset, due instant) for calendar occurrences
and (plan, asset, due reading) for meter ones make generation idempotent. All new tables:
nothing existing is rewritten.

Revision ID: 0029_maintenance_plans
Revises: 0028_arrival_windows
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_maintenance_plans"
down_revision = "0028_arrival_windows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintenance_plans",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("job_type_id", sa.UUID(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("asset_id", sa.UUID(), nullable=True),
        sa.Column("site_id", sa.UUID(), nullable=True),
        sa.Column("asset_model", sa.String(length=200), nullable=True),
        sa.Column("rrule", sa.String(length=500), nullable=True),
        sa.Column("starts_local", sa.DateTime(timezone=False), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("meter_name", sa.String(length=64), nullable=True),
        sa.Column("meter_every", sa.Float(), nullable=True),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "scope IN ('asset','site','model')", name=op.f("ck_maintenance_plans_scope_known")
        ),
        sa.CheckConstraint(
            "(scope = 'asset') = (asset_id IS NOT NULL)"
            " AND (scope = 'site') = (site_id IS NOT NULL)"
            " AND (scope = 'model') = (asset_model IS NOT NULL)",
            name=op.f("ck_maintenance_plans_scope_target"),
        ),
        sa.CheckConstraint(
            "state IN ('active','paused','ended')", name=op.f("ck_maintenance_plans_state_known")
        ),
        sa.CheckConstraint(
            "rrule IS NOT NULL OR meter_name IS NOT NULL",
            name=op.f("ck_maintenance_plans_has_rule"),
        ),
        sa.CheckConstraint(
            "(rrule IS NULL) = (starts_local IS NULL)",
            name=op.f("ck_maintenance_plans_rule_has_start"),
        ),
        sa.CheckConstraint(
            "(meter_name IS NULL) = (meter_every IS NULL)",
            name=op.f("ck_maintenance_plans_meter_has_step"),
        ),
        sa.ForeignKeyConstraint(
            ["job_type_id"],
            ["job_types.id"],
            name=op.f("fk_maintenance_plans_job_type_id_job_types"),
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_maintenance_plans_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_maintenance_plans_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_maintenance_plans_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_plans")),
    )
    op.create_index("ix_maintenance_plans_asset_id", "maintenance_plans", ["asset_id"])
    op.create_index("ix_maintenance_plans_site_id", "maintenance_plans", ["site_id"])
    op.create_index("ix_maintenance_plans_state", "maintenance_plans", ["state"])

    op.create_table(
        "maintenance_occurrences",
        sa.Column("plan_id", sa.UUID(), nullable=False),
        sa.Column("asset_id", sa.UUID(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_reading", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("moved_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "state IN ('scheduled','skipped','moved')",
            name=op.f("ck_maintenance_occurrences_state_known"),
        ),
        sa.CheckConstraint(
            "(state = 'moved') = (moved_to IS NOT NULL)",
            name=op.f("ck_maintenance_occurrences_moved_has_target"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["maintenance_plans.id"],
            name=op.f("fk_maintenance_occurrences_plan_id_maintenance_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_maintenance_occurrences_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_maintenance_occurrences_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_occurrences")),
    )
    op.create_index(
        "uq_maintenance_occurrences_due",
        "maintenance_occurrences",
        ["plan_id", "asset_id", "due_at"],
        unique=True,
        postgresql_where=sa.text("due_reading IS NULL"),
    )
    op.create_index(
        "uq_maintenance_occurrences_reading",
        "maintenance_occurrences",
        ["plan_id", "asset_id", "due_reading"],
        unique=True,
        postgresql_where=sa.text("due_reading IS NOT NULL"),
    )
    op.create_index("ix_maintenance_occurrences_asset_id", "maintenance_occurrences", ["asset_id"])
    op.create_index(
        "ix_maintenance_occurrences_ticket_id", "maintenance_occurrences", ["ticket_id"]
    )

    op.create_table(
        "meter_readings",
        sa.Column("asset_id", sa.UUID(), nullable=False),
        sa.Column("meter", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("recorded_by_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_meter_readings_value_not_negative")),
        sa.CheckConstraint(
            "source IN ('manual','telemetry')", name=op.f("ck_meter_readings_source_known")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_meter_readings_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_meter_readings_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_readings")),
    )
    op.create_index(
        "ix_meter_readings_asset_meter_at", "meter_readings", ["asset_id", "meter", "at"]
    )


def downgrade() -> None:
    op.drop_table("meter_readings")
    op.drop_table("maintenance_occurrences")
    op.drop_table("maintenance_plans")
