"""A shift may name the service area its unit covers while it lasts

Revision ID: 0023_shift_service_area
Revises: 0022_dispositions
Create Date: 2026-12-02 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_shift_service_area'
down_revision = '0022_dispositions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_area_id', sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_shifts_service_area_id_service_areas'),
                                    'service_areas', ['service_area_id'], ['id'])


def downgrade():
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shifts_service_area_id_service_areas'),
                                 type_='foreignkey')
        batch_op.drop_column('service_area_id')
