"""The disposition list (codes with English and Spanish labels, seeded with the program's
list) and the code a call holds beside its free-text disposition

Revision ID: 0022_dispositions
Revises: 0021_call_stage_times
Create Date: 2026-12-02 16:00:00.000000

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022_dispositions'
down_revision = '0021_call_stage_times'
branch_labels = None
depends_on = None

# The list as the program starts it (server/dispositions/seed.py holds the same rows).
SEEDED = (
    ("resolved_on_scene", "Resolved on scene", "Resuelto en el lugar"),
    ("transported_ed", "Transported to ED", "Trasladado a urgencias"),
    ("transported_crisis_centre", "Transported to crisis centre", "Trasladado al centro de crisis"),
    ("transported_detox", "Transported to detox", "Trasladado a desintoxicación"),
    ("transported_shelter", "Transported to shelter", "Trasladado a un albergue"),
    ("referred_community_care", "Referred to community care", "Derivado a atención comunitaria"),
    ("police_requested", "Police requested", "Se pidió la policía"),
    ("refused_services", "Refused services", "Rechazó los servicios"),
    ("gone_on_arrival", "Gone on arrival", "No estaba al llegar"),
)
SORT_STEP = 10


def upgrade():
    dispositions = op.create_table('dispositions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label_en', sa.String(length=120), nullable=False),
    sa.Column('label_es', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispositions')),
    sa.UniqueConstraint('code', name=op.f('uq_dispositions_code'))
    )
    now = datetime.now(UTC)
    op.bulk_insert(dispositions, [
        {"code": code, "label_en": en, "label_es": es, "active": True,
         "sort_order": (rank + 1) * SORT_STEP, "updated_at": now}
        for rank, (code, en, es) in enumerate(SEEDED)])
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disposition_code', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_calls_disposition_code'), ['disposition_code'], unique=False)


def downgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_disposition_code'))
        batch_op.drop_column('disposition_code')
    op.drop_table('dispositions')
