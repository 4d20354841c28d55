"""sync change log: the device whose push wrote each row

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    # Rows written before carry no origin: every device gets them, as it did.
    with op.batch_alter_table("sync_change_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_device_id", sa.Uuid(), nullable=True))


def downgrade():
    with op.batch_alter_table("sync_change_log", schema=None) as batch_op:
        batch_op.drop_column("origin_device_id")
