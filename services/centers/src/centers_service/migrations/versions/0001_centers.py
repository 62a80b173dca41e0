"""associations, centres, rooms, equipment, groups; user copies; the kit's tables

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from entraide_kit.copies.users import create_user_copies
from entraide_kit.events.tables import create_kit_tables, drop_kit_tables
from entraide_kit.migrations import record_columns

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _contact() -> list[sa.Column]:
    return [
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("logo", sa.String(500), nullable=True),
        sa.Column("phone_number", sa.String(20), nullable=False, server_default=""),
        sa.Column("email", sa.String(254), nullable=False, server_default=""),
        sa.Column("address", sa.String(255), nullable=False, server_default=""),
        sa.Column("city", sa.String(100), nullable=False, server_default=""),
        sa.Column("maps_link", sa.String(500), nullable=False, server_default=""),
        sa.Column("website", sa.String(500), nullable=False, server_default=""),
        sa.Column("facebook_link", sa.String(500), nullable=False, server_default=""),
        sa.Column("instagram_link", sa.String(500), nullable=False, server_default=""),
        sa.Column("twitter_link", sa.String(500), nullable=False, server_default=""),
    ]


def upgrade() -> None:
    create_kit_tables(op)
    create_user_copies(op)

    op.create_table(
        "associations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        *_contact(),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("contract_start_date", sa.Date(), nullable=True),
        sa.Column("contract_end_date", sa.Date(), nullable=True),
        sa.Column("registration_number", sa.String(100), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("is_verified", sa.Boolean(), nullable=False, server_default=sa.true()),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_associations"),
        sa.UniqueConstraint("name", name="uq_associations_name"),
        sa.CheckConstraint(
            "contract_end_date IS NULL OR contract_start_date IS NULL "
            "OR contract_end_date >= contract_start_date",
            name="ck_associations_contract_dates",
        ),
    )
    # Unique when set: several associations may have none.
    op.create_index(
        "uq_associations_registration_number",
        "associations",
        ["registration_number"],
        unique=True,
        postgresql_where=sa.text("registration_number IS NOT NULL AND registration_number <> ''"),
    )
    op.create_index("ix_associations_city", "associations", ["city"])
    op.create_index("ix_associations_supervisor_id", "associations", ["supervisor_id"])

    op.create_table(
        "centers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        *_contact(),
        sa.Column("association_id", sa.Integer(), nullable=True),
        sa.Column("affiliated_to", sa.String(20), nullable=False, server_default="entraide"),
        sa.Column("other_affiliation", sa.String(255), nullable=False, server_default=""),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("is_verified", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_centers"),
        sa.UniqueConstraint("name", name="uq_centers_name"),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name="fk_centers_association_id_associations",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(
            "affiliated_to IN ('entraide', 'association', 'other')", name="ck_centers_affiliated_to"
        ),
        sa.CheckConstraint(
            "affiliated_to <> 'other' OR other_affiliation <> ''",
            name="ck_centers_other_affiliation",
        ),
    )
    op.create_index("ix_centers_city", "centers", ["city"])
    op.create_index("ix_centers_association_id", "centers", ["association_id"])
    op.create_index("ix_centers_supervisor_id", "centers", ["supervisor_id"])

    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("type", sa.String(20), nullable=False, server_default="classroom"),
        sa.Column("capacity", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("is_available", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("picture", sa.String(500), nullable=True),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_rooms"),
        sa.ForeignKeyConstraint(
            ["center_id"], ["centers.id"], name="fk_rooms_center_id_centers", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("center_id", "name", name="uq_rooms_center_id_name"),
        # Lets equipment reference (room, centre) together: a room of the same centre.
        sa.UniqueConstraint("id", "center_id", name="uq_rooms_id_center_id"),
        sa.CheckConstraint(
            "type IN ('classroom', 'meeting_room', 'auditorium', 'lab', 'other')",
            name="ck_rooms_type",
        ),
        sa.CheckConstraint("capacity >= 1", name="ck_rooms_capacity"),
    )
    op.create_index("ix_rooms_center_id_capacity", "rooms", ["center_id", "capacity"])
    op.create_index("ix_rooms_type", "rooms", ["type"])

    op.create_table(
        "equipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("condition", sa.String(20), nullable=False, server_default="good"),
        sa.Column("quantity", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("picture", sa.String(500), nullable=True),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_equipment"),
        sa.ForeignKeyConstraint(
            ["center_id"], ["centers.id"], name="fk_equipment_center_id_centers", ondelete="CASCADE"
        ),
        # Deleting a room keeps its equipment in the centre, with no room.
        sa.ForeignKeyConstraint(
            ["room_id", "center_id"],
            ["rooms.id", "rooms.center_id"],
            name="fk_equipment_room_id_rooms",
            ondelete="SET NULL (room_id)",
        ),
        sa.CheckConstraint(
            "condition IN ('new', 'excellent', 'good', 'fair', 'need_reparation', 'damaged')",
            name="ck_equipment_condition",
        ),
        sa.CheckConstraint("quantity >= 0", name="ck_equipment_quantity"),
    )
    op.create_index("ix_equipment_center_id", "equipment", ["center_id"])
    op.create_index("ix_equipment_room_id", "equipment", ["room_id"])
    op.create_index("ix_equipment_condition", "equipment", ["condition"])

    op.create_table(
        "center_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_center_groups"),
        sa.ForeignKeyConstraint(
            ["center_id"],
            ["centers.id"],
            name="fk_center_groups_center_id_centers",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("center_id", "name", name="uq_center_groups_center_id_name"),
    )
    op.create_index("ix_center_groups_center_id", "center_groups", ["center_id"])


def downgrade() -> None:
    for table in ("center_groups", "equipment", "rooms", "centers", "associations", "user_copies"):
        op.drop_table(table)
    drop_kit_tables(op)
