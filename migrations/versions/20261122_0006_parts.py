"""parts: catalog, stock locations, append-only ledger, levels, thresholds, usages

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None

QTY = sa.Numeric(14, 3)


def _ts() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "parts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("min_quantity", QTY, nullable=True),
        *_ts(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parts")),
        sa.UniqueConstraint("sku", name=op.f("uq_parts_sku")),
    )
    op.create_table(
        "stock_locations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("engineer_id", sa.UUID(), nullable=True),
        *_ts(),
        sa.CheckConstraint(
            "kind IN ('warehouse', 'van')", name=op.f("ck_stock_locations_kind_known")
        ),
        sa.CheckConstraint(
            "(kind = 'van') = (engineer_id IS NOT NULL)",
            name=op.f("ck_stock_locations_van_has_engineer"),
        ),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["users.id"], name=op.f("fk_stock_locations_engineer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_locations")),
        sa.UniqueConstraint("engineer_id", name=op.f("uq_stock_locations_engineer_id")),
    )
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("part_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("from_location_id", sa.UUID(), nullable=True),
        sa.Column("to_location_id", sa.UUID(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("flags", postgresql.JSONB(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_movements_quantity_positive")),
        sa.CheckConstraint(
            "kind IN ('receipt', 'transfer', 'consumption', 'return', 'adjustment')",
            name=op.f("ck_stock_movements_kind_known"),
        ),
        sa.CheckConstraint(
            "from_location_id IS NOT NULL OR to_location_id IS NOT NULL",
            name=op.f("ck_stock_movements_has_location"),
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_stock_movements_part_id_parts")
        ),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["stock_locations.id"],
            name=op.f("fk_stock_movements_from_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["stock_locations.id"],
            name=op.f("fk_stock_movements_to_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_stock_movements_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_stock_movements_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    op.create_index("ix_stock_movements_part_created", "stock_movements", ["part_id", "created_at"])
    op.create_index(
        op.f("ix_stock_movements_from_location_id"), "stock_movements", ["from_location_id"]
    )
    op.create_index(
        op.f("ix_stock_movements_to_location_id"), "stock_movements", ["to_location_id"]
    )
    op.create_index(op.f("ix_stock_movements_ticket_id"), "stock_movements", ["ticket_id"])
    # The ledger is append-only: corrections are new movements (adjustments). A deliberate
    # purge (retention, test clean-up) must say so: SET LOCAL fieldops.ledger_purge = 'on'.
    op.execute(
        """
        CREATE FUNCTION stock_movements_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE'
               AND coalesce(current_setting('fieldops.ledger_purge', true), '') = 'on' THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'stock_movements is append-only (% refused); post an adjustment',
                TG_OP;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements "
        "FOR EACH ROW EXECUTE FUNCTION stock_movements_append_only()"
    )
    op.create_table(
        "stock_levels",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("part_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("engineer_id", sa.UUID(), nullable=True),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_stock_levels_part_id_parts")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["stock_locations.id"],
            name=op.f("fk_stock_levels_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["users.id"], name=op.f("fk_stock_levels_engineer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_levels")),
        sa.UniqueConstraint("part_id", "location_id", name="uq_stock_levels_part"),
    )
    op.create_index(op.f("ix_stock_levels_location_id"), "stock_levels", ["location_id"])
    op.create_index(op.f("ix_stock_levels_engineer_id"), "stock_levels", ["engineer_id"])
    op.create_table(
        "stock_thresholds",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("part_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("min_quantity", QTY, nullable=False),
        sa.CheckConstraint("min_quantity >= 0", name=op.f("ck_stock_thresholds_min_not_negative")),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_stock_thresholds_part_id_parts")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["stock_locations.id"],
            name=op.f("fk_stock_thresholds_location_id_stock_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_thresholds")),
        sa.UniqueConstraint("part_id", "location_id", name="uq_stock_thresholds_part"),
    )
    op.create_table(
        "part_usages",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("part_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("engineer_id", sa.UUID(), nullable=True),
        sa.Column("movement_id", sa.UUID(), nullable=False),
        sa.Column("negative_stock", sa.Boolean(), nullable=False),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        *_ts(),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_part_usages_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_part_usages_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_part_usages_part_id_parts")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["stock_locations.id"],
            name=op.f("fk_part_usages_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["users.id"], name=op.f("fk_part_usages_engineer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["stock_movements.id"],
            name=op.f("fk_part_usages_movement_id_stock_movements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_usages")),
    )
    op.create_index(op.f("ix_part_usages_ticket_id"), "part_usages", ["ticket_id"])
    op.create_table(
        "parts_statements",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        *_ts(),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_parts_statements_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_parts_statements_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parts_statements")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_parts_statements_ticket_id")),
    )


def downgrade() -> None:
    op.drop_table("parts_statements")
    op.drop_table("part_usages")
    op.drop_table("stock_thresholds")
    op.drop_table("stock_levels")
    op.execute("DROP TRIGGER IF EXISTS stock_movements_append_only ON stock_movements")
    op.execute("DROP FUNCTION IF EXISTS stock_movements_append_only()")
    op.drop_table("stock_movements")
    op.drop_table("stock_locations")
    op.drop_table("parts")
