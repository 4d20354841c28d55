"""Calls keep each timed state's first trusted time and whether it has uncertain taps
(dispatched, en route, on scene), filled here from the stored status taps

Revision ID: 0021_call_stage_times
Revises: 0020_care_navigation
Create Date: 2026-12-02 16:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_call_stage_times'
down_revision = '0020_care_navigation'
branch_labels = None
depends_on = None

STATES = ('dispatched', 'en_route', 'on_scene')

calls = sa.table('calls', sa.column('id', sa.Uuid()),
                 *(sa.column(f'first_{state}_at', sa.DateTime(timezone=True)) for state in STATES),
                 *(sa.column(f'{state}_uncertain', sa.Boolean()) for state in STATES))
taps = sa.table('call_status_events', sa.column('id', sa.Uuid()), sa.column('call_id', sa.Uuid()),
                sa.column('status', sa.String()), sa.column('corrected_time', sa.DateTime(timezone=True)),
                sa.column('time_uncertain', sa.Boolean()), sa.column('withdraws_id', sa.Uuid()))


def _stage_values():
    """The rule of server.calls.models.stage_times_sql, as it stood at this revision: of the
    standing taps (neither withdrawn nor withdrawals), the earliest corrected time of those not
    time_uncertain, and whether uncertain ones exist."""
    tap, withdrawal = taps.alias('stage_tap'), taps.alias('stage_withdrawal')
    withdrawn = sa.select(withdrawal.c.withdraws_id).where(
        withdrawal.c.call_id == calls.c.id, withdrawal.c.withdraws_id.is_not(None))
    values = {}
    for state in STATES:
        standing = sa.and_(tap.c.call_id == calls.c.id, tap.c.status == state,
                           tap.c.withdraws_id.is_(None), tap.c.id.not_in(withdrawn))
        values[f'first_{state}_at'] = sa.select(sa.func.min(tap.c.corrected_time)).where(
            standing, tap.c.time_uncertain.is_(False)).scalar_subquery()
        values[f'{state}_uncertain'] = sa.exists().where(standing, tap.c.time_uncertain.is_(True))
    return values


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        for state in STATES:
            batch_op.add_column(sa.Column(f'first_{state}_at', sa.DateTime(timezone=True), nullable=True))
        for state in STATES:
            batch_op.add_column(sa.Column(f'{state}_uncertain', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.execute(sa.update(calls).values(_stage_values()))


def downgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        for state in STATES:
            batch_op.drop_column(f'{state}_uncertain')
        for state in STATES:
            batch_op.drop_column(f'first_{state}_at')
