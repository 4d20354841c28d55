"""supplies pushed by tablets: kit counts and transfer receipts

Revision ID: 0015_supply_facts
Revises: 0014_field_logs
Create Date: 2026-12-01 18:58:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_supply_facts"
down_revision = "0014_field_logs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kit_counts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('count_id', sa.Uuid(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('counted', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('device_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('corrected_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('time_source', sa.Enum('monotonic', 'device_clock', name='timesource', native_enum=False, length=16), nullable=False),
    sa.Column('time_uncertain', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hlc', sa.String(length=80), nullable=True),
    sa.Column('op_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_kit_counts_item_id_supply_items')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'], name=op.f('fk_kit_counts_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['lot_id'], ['supply_lots.id'], name=op.f('fk_kit_counts_lot_id_supply_lots')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kit_counts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kit_counts'))
    )
    with op.batch_alter_table('kit_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kit_counts_corrected_time'), ['corrected_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_kit_counts_count_id'), ['count_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kit_counts_device_id'), ['device_id'], unique=False)

    op.create_table('transfer_receipts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('transfer_id', sa.Uuid(), nullable=False),
    sa.Column('outcome', sa.Enum('received', 'already_received', name='receiptoutcome', native_enum=False), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('device_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('corrected_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('time_source', sa.Enum('monotonic', 'device_clock', name='timesource', native_enum=False, length=16), nullable=False),
    sa.Column('time_uncertain', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hlc', sa.String(length=80), nullable=True),
    sa.Column('op_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['transfer_id'], ['supply_transfers.id'], name=op.f('fk_transfer_receipts_transfer_id_supply_transfers')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_transfer_receipts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_receipts'))
    )
    with op.batch_alter_table('transfer_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_receipts_corrected_time'), ['corrected_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_receipts_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_receipts_transfer_id'), ['transfer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('transfer_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_receipts_transfer_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_receipts_device_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_receipts_corrected_time'))

    op.drop_table('transfer_receipts')
    with op.batch_alter_table('kit_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kit_counts_device_id'))
        batch_op.drop_index(batch_op.f('ix_kit_counts_count_id'))
        batch_op.drop_index(batch_op.f('ix_kit_counts_corrected_time'))

    op.drop_table('kit_counts')
