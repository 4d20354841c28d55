"""facts: the id of the operation that recorded each (a replay is answered from the fact)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:58:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FACT_TABLES = ("call_status_events", "call_notes", "location_points")


def upgrade():
    for table in FACT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("op_id", sa.Uuid(), nullable=True))


def downgrade():
    for table in FACT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("op_id")
