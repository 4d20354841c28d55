"""Field logs kept on the server: outreach contacts, harm-reduction entries and post-call
surveys (facts a unit's tablet pushed), and the debrief requests surveys open."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.fieldlogs.kinds import (
    MAX_PLACE_LENGTH,
    MAX_POLICE_REASON_LENGTH,
    MAX_SHARPS_WHERE_LENGTH,
    MAX_SKIPPED_REASON_LENGTH,
    MAX_SURVEY_COMMENT_LENGTH,
)
from server.models_base import Base, FactColumns, str_enum, utcnow

# Why a record was kept but flagged for a supervisor, or why no stock moved: one line.
MAX_FLAG_LENGTH = 200
# A supervisor's note closing a debrief.
MAX_DEBRIEF_NOTE_LENGTH = 1000
# The longest enum value stored (harm-reduction categories, routes, responses, disposals).
ENUM_LENGTH = 32


class DebriefState(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class FieldLogColumns(FactColumns):
    """What every field log carries besides the fact's own columns: the unit whose tablet
    recorded it (from the signed-in crew, never from the device) and the push's batch (the
    feed notes a push's field logs once; the unit's other tablets expand it)."""

    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)


class OutreachContact(FieldLogColumns, Base):
    """A contact with someone the crew met without a call (never who: where, and a note)."""

    __tablename__ = "outreach_contacts"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    place: Mapped[str | None] = mapped_column(sa.String(MAX_PLACE_LENGTH))
    note: Mapped[str | None] = mapped_column(sa.Text)  # clinical; its length is the kind's


class HarmReductionEntry(FieldLogColumns, Base):
    """Supplies given, naloxone administered, or sharps collected, on a call, an outreach
    contact or neither. No foreign key on call_id and contact_id: an entry naming a call or
    contact that is not the unit's is kept as recorded, flagged in `review_reason`."""

    __tablename__ = "harm_reduction_entries"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    call_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    category: Mapped[str] = mapped_column(sa.String(ENUM_LENGTH))
    quantity: Mapped[int]
    # What the device named (None: the server chose: the category's item, FEFO lots). No
    # foreign keys either: an id the catalog does not know is kept, and `stock_note` says so.
    item_id: Mapped[int | None]
    lot_id: Mapped[int | None]
    route: Mapped[str | None] = mapped_column(sa.String(ENUM_LENGTH))
    response: Mapped[str | None] = mapped_column(sa.String(ENUM_LENGTH))
    sharps_where: Mapped[str | None] = mapped_column(sa.String(MAX_SHARPS_WHERE_LENGTH))
    sharps_disposal: Mapped[str | None] = mapped_column(sa.String(ENUM_LENGTH))
    review_reason: Mapped[str | None] = mapped_column(sa.String(MAX_FLAG_LENGTH))
    # Why the entry moved no stock though it gave supplies (no kit, no such item, no lot):
    # the kit's stock is then off by the entry's quantity until someone counts it.
    stock_note: Mapped[str | None] = mapped_column(sa.String(MAX_FLAG_LENGTH))


class PostCallSurvey(FieldLogColumns, Base):
    """One responder's answers after a call: one per call and author."""

    __tablename__ = "post_call_surveys"
    __table_args__ = (sa.UniqueConstraint("call_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    call_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    felt_safe: Mapped[str | None] = mapped_column(sa.String(3))
    police_requested: Mapped[str | None] = mapped_column(sa.String(3))
    police_reason: Mapped[str | None] = mapped_column(sa.String(MAX_POLICE_REASON_LENGTH))
    debrief_wanted: Mapped[str | None] = mapped_column(sa.String(3))
    comment: Mapped[str | None] = mapped_column(sa.String(MAX_SURVEY_COMMENT_LENGTH))
    skipped_reason: Mapped[str | None] = mapped_column(sa.String(MAX_SKIPPED_REASON_LENGTH))
    review_reason: Mapped[str | None] = mapped_column(sa.String(MAX_FLAG_LENGTH))


class DebriefRequest(Base):
    """A responder asked (in their survey) to talk a call through with a supervisor."""

    __tablename__ = "debrief_requests"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("post_call_surveys.id"),
                                                 unique=True)
    call_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    asked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[DebriefState] = mapped_column(str_enum(DebriefState, 8),
                                                default=DebriefState.OPEN, index=True)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    done_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(sa.String(MAX_DEBRIEF_NOTE_LENGTH))
