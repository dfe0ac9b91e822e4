"""join the feature branches

Revision ID: 0011
Revises: 0002, 0003, 0004, 0005, 0006, 0007, 0009, 0010
Create Date: 2026-11-22
"""

revision = "0011"
down_revision = ("0002", "0003", "0004", "0005", "0006", "0007", "0009", "0010")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
