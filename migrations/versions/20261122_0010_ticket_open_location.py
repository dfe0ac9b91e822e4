"""tickets: partial GiST index on the location of open tickets

The dispatcher's board and map ask for open tickets in a bounding box
(``status IN (...) AND location && envelope``). With the plain GiST index PostgreSQL must AND
it with a status bitmap of tens of thousands of entries and visit every closed ticket in the
box; this index holds only open tickets (a small, hot fraction of a large history), so the
same query reads a few hundred entries. Measured by ``bench/api.py``.

Revision ID: 0010
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

revision = "0010"
down_revision = "0001"
branch_labels = None
depends_on = None

# A literal copy of backend.workorders.states.OPEN_STATUSES as it was when this ran: a
# migration is frozen history and must not change when the application's list does (a new
# open status needs a new migration that rebuilds the index). tests/test_migrations.py checks
# the two still agree.
OPEN = "'new','assigned','accepted','en_route','on_site','in_progress','on_hold'"


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_tickets_open_location ON tickets USING gist (location) "
        f"WHERE status IN ({OPEN})"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_tickets_open_location")
