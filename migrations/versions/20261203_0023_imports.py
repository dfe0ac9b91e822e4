"""imports: external references and the import records

Customers, sites and assets get an ``external_ref`` (the id the customer's own system gives
them; unique where set), the key a bulk import upserts by, so the same file imported twice
changes nothing. Parts already have one: their unique ``sku``. ``imports`` keeps each
uploaded file's dry run (its errors by row and column) and, once applied, what changed.

Revision ID: 0023_imports
Revises: 0022_rollups_more
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0023_imports"
down_revision = "0022_rollups_more"
branch_labels = None
depends_on = None

_TABLES = ("customers", "sites", "assets")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("external_ref", sa.String(100), nullable=True))
        op.create_index(f"uq_{table}_external_ref", table, ["external_ref"], unique=True)
    op.create_table(
        "imports",
        sa.Column("id", sa.UUID(), primary_key=True),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", postgresql.JSONB(), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=True),
        sa.Column("job_id", sa.String(80), nullable=True),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.UUID(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_imports_created_at", "imports", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_imports_created_at", table_name="imports")
    op.drop_table("imports")
    for table in reversed(_TABLES):
        op.drop_index(f"uq_{table}_external_ref", table_name=table)
        op.drop_column(table, "external_ref")
