"""maintenance: a checklist's meter answer is a reading of the job's asset

``meter_readings.answer_id`` links a reading to the checklist answer it came from (source
``checklist``), so a corrected answer replaces its reading instead of leaving a second one
that the meter rules would read as a new meter (docs/maintenance.md).

Revision ID: 0033_checklist_meter_readings
Revises: 0032_insight_rollups
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0033_checklist_meter_readings"
down_revision = "0032_insight_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("meter_readings", sa.Column("answer_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_meter_readings_answer_id_checklist_answers"),
        "meter_readings",
        "checklist_answers",
        ["answer_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_unique_constraint(
        op.f("uq_meter_readings_answer_id"), "meter_readings", ["answer_id"]
    )
    op.drop_constraint(op.f("ck_meter_readings_source_known"), "meter_readings", type_="check")
    op.create_check_constraint(
        op.f("ck_meter_readings_source_known"),
        "meter_readings",
        "source IN ('manual','telemetry','checklist')",
    )


def downgrade() -> None:
    op.execute("DELETE FROM meter_readings WHERE source = 'checklist'")
    op.drop_constraint(op.f("ck_meter_readings_source_known"), "meter_readings", type_="check")
    op.create_check_constraint(
        op.f("ck_meter_readings_source_known"), "meter_readings", "source IN ('manual','telemetry')"
    )
    op.drop_constraint(op.f("uq_meter_readings_answer_id"), "meter_readings", type_="unique")
    op.drop_constraint(
        op.f("fk_meter_readings_answer_id_checklist_answers"), "meter_readings", type_="foreignkey"
    )
    op.drop_column("meter_readings", "answer_id")
