"""media: photos

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("uploaded_by_id", sa.UUID(), nullable=True),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("processing", sa.String(length=10), nullable=False),
        sa.Column("processing_error", sa.String(length=500), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("captured_at_raw", sa.String(length=40), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registered_via", sa.String(length=10), nullable=False),
        sa.Column("original_key", sa.String(length=300), nullable=True),
        sa.Column("renditions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('pending','uploaded')", name=op.f("ck_photos_status_known")),
        sa.CheckConstraint(
            "processing IN ('waiting','ready','failed')", name=op.f("ck_photos_processing_known")
        ),
        sa.CheckConstraint("origin IN ('staff','public')", name=op.f("ck_photos_origin_known")),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_photos_sha256_hex")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_photos_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_photos_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
    )
    op.create_index(op.f("ix_photos_ticket_id"), "photos", ["ticket_id"], unique=False)
    op.create_index("ix_photos_ticket_origin", "photos", ["ticket_id", "origin"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_photos_ticket_origin", table_name="photos")
    op.drop_index(op.f("ix_photos_ticket_id"), table_name="photos")
    op.drop_table("photos")
