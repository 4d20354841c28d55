"""location points: the push batch each came in (one change-feed row per batch)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 03:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("location_points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_location_points_batch_id"), ["batch_id"], unique=False)


def downgrade():
    with op.batch_alter_table("location_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_location_points_batch_id"))
        batch_op.drop_column("batch_id")
