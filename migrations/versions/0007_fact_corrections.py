"""call facts: who corrected them on re-apply; conflicts: who may settle them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CORRECTED_FACTS = ("call_status_events", "call_notes")


def upgrade():
    for table in CORRECTED_FACTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("corrected_by_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f"fk_{table}_corrected_by_id_users"), "users",
                                        ["corrected_by_id"], ["id"])
    with op.batch_alter_table("sync_conflicts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolvable_by", sa.String(length=16), nullable=False,
                                      server_default="responder"))
    # A clash on a cancelled call, or from a unit the call had left, is a supervisor's.
    op.execute("UPDATE sync_conflicts SET resolvable_by = 'supervisor' "
               "WHERE reason IN ('edit_delete', 'out_of_scope')")


def downgrade():
    with op.batch_alter_table("sync_conflicts", schema=None) as batch_op:
        batch_op.drop_column("resolvable_by")
    for table in CORRECTED_FACTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_corrected_by_id_users"),
                                     type_="foreignkey")
            batch_op.drop_column("corrected_by_id")
