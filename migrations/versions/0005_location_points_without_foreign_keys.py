"""location points: no foreign keys on unit_id and user_id (server-filled, busiest insert)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 03:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("location_points", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_location_points_unit_id_units"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_location_points_user_id_users"), type_="foreignkey")


def downgrade():
    with op.batch_alter_table("location_points", schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f("fk_location_points_user_id_users"), "users",
                                    ["user_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_location_points_unit_id_units"), "units",
                                    ["unit_id"], ["id"])
