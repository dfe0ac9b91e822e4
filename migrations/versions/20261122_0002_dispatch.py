"""dispatch: engineer profiles and stored dispatch decisions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _point(nullable: bool) -> Geometry:
    return Geometry(
        geometry_type="POINT",
        srid=4326,
        spatial_index=False,
        from_text="ST_GeomFromEWKT",
        name="geometry",
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "engineer_profiles",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("skills", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("region_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("home", _point(False), nullable=False),
        sa.Column("shift_timezone", sa.String(length=64), nullable=False),
        sa.Column("shift_days", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("shift_start", sa.Time(), nullable=False),
        sa.Column("shift_end", sa.Time(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("max_open_jobs", sa.Integer(), nullable=False),
        sa.Column("last_location", _point(True), nullable=True),
        sa.Column("last_location_accuracy_m", sa.Float(), nullable=True),
        sa.Column("last_location_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('available', 'busy', 'off_duty')",
            name=op.f("ck_engineer_profiles_status_known"),
        ),
        sa.CheckConstraint(
            "max_open_jobs >= 0", name=op.f("ck_engineer_profiles_max_open_jobs_non_negative")
        ),
        sa.CheckConstraint(
            "shift_days <@ ARRAY[0,1,2,3,4,5,6]::smallint[]",
            name=op.f("ck_engineer_profiles_shift_days_range"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_engineer_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_engineer_profiles")),
    )
    op.create_index(
        "ix_engineer_profiles_home", "engineer_profiles", ["home"], postgresql_using="gist"
    )
    op.create_index(
        "ix_engineer_profiles_last_location",
        "engineer_profiles",
        ["last_location"],
        postgresql_using="gist",
    )
    # KNN in metres: ``geography(col) <-> geography(:point)`` is index-assisted by these.
    op.create_index(
        "ix_engineer_profiles_home_geog",
        "engineer_profiles",
        [sa.text("(geography(home))")],
        postgresql_using="gist",
    )
    op.create_index(
        "ix_engineer_profiles_last_location_geog",
        "engineer_profiles",
        [sa.text("(geography(last_location))")],
        postgresql_using="gist",
    )
    op.create_index(
        "ix_engineer_profiles_region_ids",
        "engineer_profiles",
        ["region_ids"],
        postgresql_using="gin",
    )

    op.create_table(
        "dispatch_decisions",
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("candidates", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("weights_version", sa.String(length=40), nullable=False),
        sa.Column("recommended_engineer_id", sa.UUID(), nullable=True),
        sa.Column("chosen_engineer_id", sa.UUID(), nullable=True),
        sa.Column("runner_up_engineer_id", sa.UUID(), nullable=True),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("broken_rules", postgresql.ARRAY(sa.String(length=80)), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_dispatch_decisions_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommended_engineer_id"],
            ["users.id"],
            name=op.f("fk_dispatch_decisions_recommended_engineer_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["chosen_engineer_id"],
            ["users.id"],
            name=op.f("fk_dispatch_decisions_chosen_engineer_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["runner_up_engineer_id"],
            ["users.id"],
            name=op.f("fk_dispatch_decisions_runner_up_engineer_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_dispatch_decisions_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_decisions")),
    )
    op.create_index(
        "ix_dispatch_decisions_ticket_created",
        "dispatch_decisions",
        ["ticket_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_dispatch_decisions_ticket_created", table_name="dispatch_decisions")
    op.drop_table("dispatch_decisions")
    for name in (
        "ix_engineer_profiles_region_ids",
        "ix_engineer_profiles_last_location_geog",
        "ix_engineer_profiles_home_geog",
        "ix_engineer_profiles_last_location",
        "ix_engineer_profiles_home",
    ):
        op.drop_index(name, table_name="engineer_profiles")
    op.drop_table("engineer_profiles")
