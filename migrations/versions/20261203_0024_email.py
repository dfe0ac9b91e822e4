"""email: outbound messages (sent state), inbound messages (dedupe), the customer's language

``outbound_emails`` holds each status or staff email, rendered in the transaction of its cause
and sent by a job (its Message-ID, derived from the event, is unique); ``inbound_emails`` one
row per accepted inbound message, unique by Message-ID so a retried delivery opens no second
ticket; ``tickets.contact_language`` the language of the customer's emails (docs/email.md).

Revision ID: 0024_email
Revises: 0023_imports
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0024_email"
down_revision = "0023_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbound_emails",
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("to_addr", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')",
            name=op.f("ck_outbound_emails_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_outbound_emails_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_outbound_emails_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_emails")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbound_emails_message_id")),
    )
    op.create_index(
        "ix_outbound_emails_status_created",
        "outbound_emails",
        ["status", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_outbound_emails_ticket_id"), "outbound_emails", ["ticket_id"], unique=False
    )
    op.create_table(
        "inbound_emails",
        sa.Column("message_key", sa.String(length=300), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("note_id", sa.UUID(), nullable=True),
        sa.Column("photo_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("skipped", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('created', 'note', 'unmatched')",
            name=op.f("ck_inbound_emails_outcome_known"),
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["notes.id"], name=op.f("fk_inbound_emails_note_id_notes")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_inbound_emails_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_emails")),
        sa.UniqueConstraint("message_key", name=op.f("uq_inbound_emails_message_key")),
    )
    op.create_index(
        op.f("ix_inbound_emails_ticket_id"), "inbound_emails", ["ticket_id"], unique=False
    )
    op.add_column("tickets", sa.Column("contact_language", sa.String(length=10), nullable=True))


def downgrade() -> None:
    op.drop_column("tickets", "contact_language")
    op.drop_index(op.f("ix_inbound_emails_ticket_id"), table_name="inbound_emails")
    op.drop_table("inbound_emails")
    op.drop_index(op.f("ix_outbound_emails_ticket_id"), table_name="outbound_emails")
    op.drop_index("ix_outbound_emails_status_created", table_name="outbound_emails")
    op.drop_table("outbound_emails")
