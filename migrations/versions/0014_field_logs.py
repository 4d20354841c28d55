"""field logs: outreach contacts, harm-reduction entries, post-call surveys and the debrief
requests surveys open

Revision ID: 0014_field_logs
Revises: 0013_locations_jobs
Create Date: 2026-12-01 18:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_field_logs"
down_revision = "0013_locations_jobs"
branch_labels = None
depends_on = None


def _fact_columns():
    """The columns every fact carries (server.models_base.FactColumns), and the unit and
    push batch of a field log."""
    return [
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("device_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("corrected_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_source", sa.Enum("monotonic", "device_clock", name="timesource",
                                         native_enum=False, length=16), nullable=False),
        sa.Column("time_uncertain", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=True),
        sa.Column("op_id", sa.Uuid(), nullable=True),
    ]


def _fact_keys(table):
    return [
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f(f"fk_{table}_unit_id_units")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _fact_indexes(table, *more):
    for column in ("batch_id", "corrected_time", "device_id", "unit_id", *more):
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade():
    op.create_table(
        "outreach_contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *_fact_columns(), *_fact_keys("outreach_contacts"))
    _fact_indexes("outreach_contacts")

    op.create_table(
        "harm_reduction_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("route", sa.String(length=32), nullable=True),
        sa.Column("response", sa.String(length=32), nullable=True),
        sa.Column("sharps_where", sa.String(length=200), nullable=True),
        sa.Column("sharps_disposal", sa.String(length=32), nullable=True),
        sa.Column("review_reason", sa.String(length=200), nullable=True),
        sa.Column("stock_note", sa.String(length=200), nullable=True),
        *_fact_columns(), *_fact_keys("harm_reduction_entries"))
    _fact_indexes("harm_reduction_entries", "call_id", "contact_id")

    op.create_table(
        "post_call_surveys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("felt_safe", sa.String(length=3), nullable=True),
        sa.Column("police_requested", sa.String(length=3), nullable=True),
        sa.Column("police_reason", sa.String(length=500), nullable=True),
        sa.Column("debrief_wanted", sa.String(length=3), nullable=True),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("skipped_reason", sa.String(length=200), nullable=True),
        sa.Column("review_reason", sa.String(length=200), nullable=True),
        *_fact_columns(), *_fact_keys("post_call_surveys"),
        # One survey per call and author.
        sa.UniqueConstraint("call_id", "user_id", name=op.f("uq_post_call_surveys_call_id")))
    _fact_indexes("post_call_surveys", "call_id")

    op.create_table(
        "debrief_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("asked_by_id", sa.Integer(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.Enum("open", "done", name="debriefstate", native_enum=False,
                                   length=8), nullable=False),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["asked_by_id"], ["users.id"],
                                name=op.f("fk_debrief_requests_asked_by_id_users")),
        sa.ForeignKeyConstraint(["done_by_id"], ["users.id"],
                                name=op.f("fk_debrief_requests_done_by_id_users")),
        sa.ForeignKeyConstraint(["survey_id"], ["post_call_surveys.id"],
                                name=op.f("fk_debrief_requests_survey_id_post_call_surveys")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"],
                                name=op.f("fk_debrief_requests_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debrief_requests")),
        sa.UniqueConstraint("survey_id", name=op.f("uq_debrief_requests_survey_id")))
    op.create_index(op.f("ix_debrief_requests_call_id"), "debrief_requests", ["call_id"],
                    unique=False)
    op.create_index(op.f("ix_debrief_requests_state"), "debrief_requests", ["state"],
                    unique=False)


def downgrade():
    op.drop_table("debrief_requests")
    for table in ("post_call_surveys", "harm_reduction_entries", "outreach_contacts"):
        op.drop_table(table)
