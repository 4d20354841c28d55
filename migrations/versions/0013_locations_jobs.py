"""scheduled job runs; location points indexed by unit and time

Revision ID: 0013_locations_jobs
Revises: 0012_supply_ledger
Create Date: 2026-12-01 18:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_locations_jobs"
down_revision = "0012_supply_ledger"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=80), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suffix", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "period_start", "suffix", name=op.f("uq_job_runs_job")),
    )
    with op.batch_alter_table("location_points", schema=None) as batch_op:
        batch_op.drop_index("ix_location_points_unit_id")
        batch_op.create_index("ix_location_points_unit_id_corrected_time",
                              ["unit_id", "corrected_time"], unique=False)


def downgrade():
    with op.batch_alter_table("location_points", schema=None) as batch_op:
        batch_op.drop_index("ix_location_points_unit_id_corrected_time")
        batch_op.create_index("ix_location_points_unit_id", ["unit_id"], unique=False)
    op.drop_table("job_runs")
