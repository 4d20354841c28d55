"""devices: why a device was revoked (lost or retired) and who signed in on it last

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 12:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revocation_reason",
                                      sa.Enum("lost", "retired", name="revocationreason",
                                              native_enum=False, length=16,
                                              create_constraint=False),
                                      nullable=True))
        batch_op.add_column(sa.Column("last_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_devices_last_user_id_users"), "users",
                                    ["last_user_id"], ["id"])
    # Devices revoked before were wiped on contact: that is revocation as lost. The last person
    # known on each is the one who registered it.
    devices = sa.table("devices", sa.column("revoked_at"), sa.column("revocation_reason"),
                       sa.column("user_id"), sa.column("last_user_id"))
    op.execute(devices.update().where(devices.c.revoked_at.is_not(None))
               .values(revocation_reason="lost"))
    op.execute(devices.update().values(last_user_id=devices.c.user_id))


def downgrade():
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_devices_last_user_id_users"), type_="foreignkey")
        batch_op.drop_column("last_user_id")
        batch_op.drop_column("revocation_reason")
