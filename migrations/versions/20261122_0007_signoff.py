"""signoff: customer sign-offs (write-once per ticket, conflicts kept)

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signoffs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("conflict_of_id", sa.UUID(), nullable=True),
        sa.Column("sync_conflict_id", sa.UUID(), nullable=True),
        sa.Column("signer_name", sa.String(200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "location",
            Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=True,
        ),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("signature_sha256", sa.String(64), nullable=False),
        sa.Column("signature_key", sa.String(300), nullable=False),
        sa.Column("signature_width", sa.SmallInteger(), nullable=False),
        sa.Column("signature_height", sa.SmallInteger(), nullable=False),
        sa.Column("strokes", postgresql.JSONB(), nullable=True),
        sa.Column("captured_by_id", sa.UUID(), nullable=True),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('accepted', 'conflict')", name=op.f("ck_signoffs_status_known")
        ),
        sa.CheckConstraint(
            "rating IS NULL OR rating BETWEEN 1 AND 5", name=op.f("ck_signoffs_rating_range")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_signoffs_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["conflict_of_id"], ["signoffs.id"], name=op.f("fk_signoffs_conflict_of_id_signoffs")
        ),
        sa.ForeignKeyConstraint(
            ["captured_by_id"], ["users.id"], name=op.f("fk_signoffs_captured_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signoffs")),
    )
    op.create_index(op.f("ix_signoffs_ticket_id"), "signoffs", ["ticket_id"])
    op.create_index(
        "uq_signoffs_ticket_accepted",
        "signoffs",
        ["ticket_id"],
        unique=True,
        postgresql_where=sa.text("status = 'accepted'"),
    )


def downgrade() -> None:
    op.drop_table("signoffs")
