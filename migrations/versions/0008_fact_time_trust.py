"""facts: where each corrected time came from, and whether it can be trusted

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FACT_TABLES = ("call_status_events", "call_notes", "location_points")


def upgrade():
    # Facts stored before: their time came from the device clock and the push's skew.
    for table in FACT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("time_source", sa.Enum("monotonic", "device_clock",
                                                                 name="timesource",
                                                                 native_enum=False, length=16,
                                                                 create_constraint=False),
                                          nullable=False, server_default="device_clock"))
            batch_op.add_column(sa.Column("time_uncertain", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))


def downgrade():
    for table in FACT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("time_uncertain")
            batch_op.drop_column("time_source")
