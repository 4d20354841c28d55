"""status events: a tap may withdraw an earlier one (a correcting fact)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    # No foreign key: a tap and its withdrawal may arrive in one push and one bulk insert
    # (as location points, 0005). Unique: a tap is withdrawn at most once.
    with op.batch_alter_table("call_status_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdraws_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_call_status_events_withdraws_id", ["withdraws_id"],
                              unique=True)


def downgrade():
    with op.batch_alter_table("call_status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_call_status_events_withdraws_id")
        batch_op.drop_column("withdraws_id")
