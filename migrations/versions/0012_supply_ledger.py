"""supply ledger: item categories, units of measure, pack sizes and GTINs; ledger sources
and balances; transfers, discrepancies, alerts and par levels; the ledger made append-only

Revision ID: 0012_supply_ledger
Revises: 0011
Create Date: 2026-12-01 18:35:30.217737

"""
from alembic import op
import sqlalchemy as sa

# The database refuses to change or delete a ledger entry, whatever the client.
LEDGER_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION stock_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stock ledger entries are append-only';
END;
$$ LANGUAGE plpgsql
"""
LEDGER_TRIGGER = """
CREATE TRIGGER stock_ledger_append_only BEFORE UPDATE OR DELETE ON stock_ledger
FOR EACH ROW EXECUTE FUNCTION stock_ledger_append_only()
"""


# revision identifiers, used by Alembic.
revision = '0012_supply_ledger'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('par_levels',
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('par', sa.Integer(), nullable=False),
    sa.CheckConstraint('par >= 0', name=op.f('ck_par_levels_par_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_par_levels_item_id_supply_items')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'], name=op.f('fk_par_levels_location_id_stock_locations')),
    sa.PrimaryKeyConstraint('location_id', 'item_id', name=op.f('pk_par_levels'))
    )
    op.create_table('stock_balances',
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_stock_balances_item_id_supply_items')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'], name=op.f('fk_stock_balances_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['lot_id'], ['supply_lots.id'], name=op.f('fk_stock_balances_lot_id_supply_lots')),
    sa.PrimaryKeyConstraint('location_id', 'lot_id', name=op.f('pk_stock_balances'))
    )
    with op.batch_alter_table('stock_balances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_balances_item_id'), ['item_id'], unique=False)

    op.create_table('stock_discrepancies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('on_hand_when_found', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('open', 'resolved', name='discrepancystate', native_enum=False, length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_stock_discrepancies_item_id_supply_items')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'], name=op.f('fk_stock_discrepancies_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['lot_id'], ['supply_lots.id'], name=op.f('fk_stock_discrepancies_lot_id_supply_lots')),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_stock_discrepancies_resolved_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_discrepancies'))
    )
    with op.batch_alter_table('stock_discrepancies', schema=None) as batch_op:
        batch_op.create_index('ix_stock_discrepancies_one_open', ['location_id', 'lot_id'], unique=True, sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))
        batch_op.create_index(batch_op.f('ix_stock_discrepancies_state'), ['state'], unique=False)

    op.create_table('supply_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('low_stock', 'near_expiry', 'expired', name='alertkind', native_enum=False, length=16), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('par', sa.Integer(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('state', sa.Enum('open', 'acknowledged', 'cleared', name='alertstate', native_enum=False, length=16), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.Integer(), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['users.id'], name=op.f('fk_supply_alerts_acknowledged_by_users')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_supply_alerts_item_id_supply_items')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'], name=op.f('fk_supply_alerts_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['lot_id'], ['supply_lots.id'], name=op.f('fk_supply_alerts_lot_id_supply_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_alerts'))
    )
    with op.batch_alter_table('supply_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_alerts_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_alerts_state'), ['state'], unique=False)

    op.create_table('supply_transfers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('from_location_id', sa.Integer(), nullable=False),
    sa.Column('to_location_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('in_transit', 'received', 'cancelled', name='transferstate', native_enum=False, length=16), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_by', sa.Integer(), nullable=True),
    sa.Column('received_device_id', sa.Uuid(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cancelled_by'], ['users.id'], name=op.f('fk_supply_transfers_cancelled_by_users')),
    sa.ForeignKeyConstraint(['from_location_id'], ['stock_locations.id'], name=op.f('fk_supply_transfers_from_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['received_by'], ['users.id'], name=op.f('fk_supply_transfers_received_by_users')),
    sa.ForeignKeyConstraint(['sent_by'], ['users.id'], name=op.f('fk_supply_transfers_sent_by_users')),
    sa.ForeignKeyConstraint(['to_location_id'], ['stock_locations.id'], name=op.f('fk_supply_transfers_to_location_id_stock_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_transfers'))
    )
    with op.batch_alter_table('supply_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_transfers_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_transfers_to_location_id'), ['to_location_id'], unique=False)

    op.create_table('supply_transfer_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_supply_transfer_lines_item_id_supply_items')),
    sa.ForeignKeyConstraint(['lot_id'], ['supply_lots.id'], name=op.f('fk_supply_transfer_lines_lot_id_supply_lots')),
    sa.ForeignKeyConstraint(['transfer_id'], ['supply_transfers.id'], name=op.f('fk_supply_transfer_lines_transfer_id_supply_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_transfer_lines'))
    )
    with op.batch_alter_table('supply_transfer_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_transfer_lines_transfer_id'), ['transfer_id'], unique=False)

    with op.batch_alter_table('stock_ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_kind', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('source_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_stock_ledger_source_id'), ['source_id'], unique=False)

    with op.batch_alter_table('supply_items', schema=None) as batch_op:
        # Items already in the catalog: category "other" and one unit per pack until edited.
        batch_op.add_column(sa.Column('category', sa.Enum('naloxone', 'naloxone_kit', 'fentanyl_test_strips', 'safer_sex_kit', 'wound_care', 'hygiene_kit', 'syringes', 'other', name='supplycategory', native_enum=False, length=32), nullable=False, server_default='other'))
        batch_op.alter_column('unit_of_issue', new_column_name='unit_of_measure',
                              existing_type=sa.String(length=32), existing_nullable=False)
        batch_op.add_column(sa.Column('pack_size', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('gtin', sa.String(length=14), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_supply_items_gtin'), ['gtin'])

    # The reason "expired" is now "expire" (a verb, like the others).
    op.execute("UPDATE stock_ledger SET reason = 'expire' WHERE reason = 'expired'")
    # Balances of the entries written so far.
    op.execute(
        "INSERT INTO stock_balances (location_id, lot_id, item_id, on_hand) "
        "SELECT e.location_id, e.lot_id, l.item_id, SUM(e.delta) FROM stock_ledger e "
        "JOIN supply_lots l ON l.id = e.lot_id GROUP BY e.location_id, e.lot_id, l.item_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(LEDGER_TRIGGER_FUNCTION)
        op.execute(LEDGER_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER stock_ledger_append_only ON stock_ledger")
        op.execute("DROP FUNCTION stock_ledger_append_only()")
    # The older reasons closest to the new ones.
    op.execute("UPDATE stock_ledger SET reason = 'expired' WHERE reason IN ('expire', 'damage')")
    op.execute("UPDATE stock_ledger SET reason = 'distribute' WHERE reason = 'administer'")
    with op.batch_alter_table('supply_items', schema=None) as batch_op:
        batch_op.alter_column('unit_of_measure', new_column_name='unit_of_issue',
                              existing_type=sa.String(length=32), existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_supply_items_gtin'), type_='unique')
        batch_op.drop_column('gtin')
        batch_op.drop_column('pack_size')
        batch_op.drop_column('category')

    with op.batch_alter_table('stock_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_ledger_source_id'))
        batch_op.drop_column('source_id')
        batch_op.drop_column('source_kind')

    with op.batch_alter_table('supply_transfer_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_transfer_lines_transfer_id'))

    op.drop_table('supply_transfer_lines')
    with op.batch_alter_table('supply_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_transfers_to_location_id'))
        batch_op.drop_index(batch_op.f('ix_supply_transfers_state'))

    op.drop_table('supply_transfers')
    with op.batch_alter_table('supply_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_alerts_state'))
        batch_op.drop_index(batch_op.f('ix_supply_alerts_location_id'))

    op.drop_table('supply_alerts')
    with op.batch_alter_table('stock_discrepancies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_discrepancies_state'))
        batch_op.drop_index('ix_stock_discrepancies_one_open', sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))

    op.drop_table('stock_discrepancies')
    with op.batch_alter_table('stock_balances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_balances_item_id'))

    op.drop_table('stock_balances')
    op.drop_table('par_levels')
