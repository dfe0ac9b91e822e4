"""tickets: arrival window (window_start, window_end)

Planned work and booked appointments carry the span in which the engineer should arrive
(docs/planned-work.md). Both ends or neither; the start not after the end.

Revision ID: 0028_arrival_windows
Revises: 0027_workload_rollups
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_arrival_windows"
down_revision = "0027_workload_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("window_start", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("window_end", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        "arrival_window_whole",
        "tickets",
        "(window_start IS NULL) = (window_end IS NULL) AND window_start <= window_end",
    )


def downgrade() -> None:
    op.drop_constraint("arrival_window_whole", "tickets", type_="check")
    op.drop_column("tickets", "window_end")
    op.drop_column("tickets", "window_start")
