"""sync_clients: the transaction that set last_mutation_id

A pull reports a device's ``last_mutation_id`` (on which the app drops its acknowledged
mutations) only once the xid horizon has passed the push transaction that set it, so the pull
has brought that mutation's effect. Existing rows keep NULL: reported as before.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE sync_clients ADD COLUMN last_mutation_xid xid8")


def downgrade() -> None:
    op.execute("ALTER TABLE sync_clients DROP COLUMN last_mutation_xid")
