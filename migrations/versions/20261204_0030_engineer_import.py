"""users: external_ref and language; password set-up tokens

Engineers become importable (docs/imports.md): a user gets the id the company's own system
gives them (``external_ref``, unique where set) and the language of the e-mails sent to them.
An imported engineer has no password yet: ``password_setup_tokens`` holds the SHA-256 of a
one-time token with an expiry, redeemed at ``POST /auth/set-password`` (docs/security.md).

Revision ID: 0030_engineer_import
Revises: 0029_maintenance_plans
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_engineer_import"
down_revision = "0029_maintenance_plans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("external_ref", sa.String(100), nullable=True))
    op.add_column("users", sa.Column("language", sa.String(10), nullable=True))
    op.create_index(
        "uq_users_external_ref",
        "users",
        ["external_ref"],
        unique=True,
        postgresql_where=sa.text("external_ref IS NOT NULL"),
    )
    op.create_table(
        "password_setup_tokens",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_password_setup_tokens_user_id", "password_setup_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_table("password_setup_tokens")
    op.drop_index("uq_users_external_ref", table_name="users")
    op.drop_column("users", "language")
    op.drop_column("users", "external_ref")
