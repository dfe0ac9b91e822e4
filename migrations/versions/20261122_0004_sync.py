"""sync: change log, pushed mutations, device progress, conflicts

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE sync_changes (
            id bigserial PRIMARY KEY,
            xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
            entity varchar(40) NOT NULL,
            entity_id uuid NOT NULL,
            op varchar(1) NOT NULL,
            ticket_id uuid,
            engineers uuid[] NOT NULL DEFAULT '{}',
            grants uuid[] NOT NULL DEFAULT '{}',
            is_global boolean NOT NULL DEFAULT false,
            at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("ALTER TABLE sync_changes RENAME CONSTRAINT sync_changes_pkey TO pk_sync_changes")
    # The pull reads (xid, id) > cursor in order: this index makes an empty pull O(1).
    op.create_index("ix_sync_changes_xid_id", "sync_changes", ["xid", "id"])
    op.create_index("ix_sync_changes_at", "sync_changes", ["at"])
    op.create_table(
        "sync_meta",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sync_meta")),
    )
    op.create_table(
        "sync_mutations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("args", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_mutations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_mutations")),
    )
    op.create_index("ix_sync_mutations_user_client", "sync_mutations", ["user_id", "client_id"])
    op.create_table(
        "sync_clients",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("last_mutation_id", sa.UUID(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_clients_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "client_id", name=op.f("pk_sync_clients")),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("mutation_id", sa.UUID(), nullable=True),
        sa.Column("mutation_name", sa.String(length=60), nullable=True),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("mine", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("theirs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_by_id", sa.UUID(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_sync_conflicts_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_sync_conflicts_resolved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_sync_conflicts_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
    )
    op.create_index("ix_sync_conflicts_open", "sync_conflicts", ["resolution", "created_at"])
    op.create_index(
        op.f("ix_sync_conflicts_ticket_id"), "sync_conflicts", ["ticket_id"], unique=False
    )
    op.create_index(
        op.f("ix_sync_conflicts_mutation_id"), "sync_conflicts", ["mutation_id"], unique=False
    )
    op.create_index(
        op.f("ix_sync_conflicts_actor_id"), "sync_conflicts", ["actor_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("sync_conflicts")
    op.drop_table("sync_clients")
    op.drop_table("sync_mutations")
    op.drop_table("sync_meta")
    op.drop_table("sync_changes")
