"""Community resources keep the languages they are offered in and their opening hours

Revision ID: 0024_resource_languages_hours
Revises: 0023_shift_service_area
Create Date: 2026-12-04 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_resource_languages_hours'
down_revision = '0023_shift_service_area'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('care_resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('languages', sa.JSON(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('hours', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('language_text', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('care_resources', schema=None) as batch_op:
        batch_op.drop_column('language_text')
        batch_op.drop_column('hours')
        batch_op.drop_column('languages')
