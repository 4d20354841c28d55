"""Backup requests and their append-only event log; check-in prompts and answers."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.models_base import Base, str_enum, utcnow

# A note typed on the tablet, and a reason given when closing: one or two sentences.
MAX_NOTE_LENGTH = 300
MAX_REASON_LENGTH = 300
# The longest enum value or tier name stored.
NAME_LENGTH = 32


class BackupState(enum.StrEnum):
    OPEN = "open"  # nobody has answered yet: the sweep widens the alert
    ACKNOWLEDGED = "acknowledged"  # a supervisor or dispatcher took it on
    CANCELLED = "cancelled"  # the crew (or an answerer) called it off
    RESOLVED = "resolved"  # help arrived, or the situation ended


OPEN_STATES = frozenset({BackupState.OPEN, BackupState.ACKNOWLEDGED})


class Urgency(enum.StrEnum):
    URGENT = "urgent"  # danger now
    TEAM = "team"  # another team wanted, no immediate danger


class Origin(enum.StrEnum):
    RESPONDER = "responder"  # a crew member pressed the button
    CHECK_IN = "check_in"  # a check-in prompt went unanswered


class PositionSource(enum.StrEnum):
    DEVICE = "device"  # the tablet sent its fix with the request
    LAST_KNOWN = "last_known"  # the unit's last recorded point (server.locations)


class BackupRequest(Base):
    __tablename__ = "backup_requests"
    # The sweep's query: open requests whose next step is due.
    __table_args__ = (sa.Index("ix_backup_requests_state_next", "state", "next_escalation_at"),)

    # Made on the tablet: the idempotency key of a double press or a retry.
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    call_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency, NAME_LENGTH))
    origin: Mapped[Origin] = mapped_column(str_enum(Origin, NAME_LENGTH))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    position_at: Mapped[datetime | None]
    position_source: Mapped[PositionSource | None] = mapped_column(
        str_enum(PositionSource, NAME_LENGTH))
    note: Mapped[str | None] = mapped_column(sa.String(MAX_NOTE_LENGTH))
    state: Mapped[BackupState] = mapped_column(str_enum(BackupState, NAME_LENGTH),
                                               default=BackupState.OPEN)
    # 0: the first alert; 1..n: the escalation tiers; n + 1: broadcast to everyone.
    tier: Mapped[int] = mapped_column(default=0)
    next_escalation_at: Mapped[datetime | None]
    broadcast_at: Mapped[datetime | None]
    # Distinct people with a delivered receipt for the request's events, any channel.
    delivered_to: Mapped[int] = mapped_column(default=0)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(sa.String(MAX_REASON_LENGTH))
    requested_at: Mapped[datetime]  # the tablet's clock, as sent
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class BackupEvent(Base):
    """One step of a request: requested, escalated, broadcast, acknowledged, cancelled,
    resolved. Append-only: nothing in code updates or deletes one, and on PostgreSQL a
    trigger refuses it (migration 0017_backups)."""

    __tablename__ = "backup_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("backup_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    type: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    tier: Mapped[int]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class CheckinPrompt(Base):
    """The timer asked a crew on scene to check in. One per call and window (the unique key:
    two processes sweeping at once prompt once)."""

    __tablename__ = "checkin_prompts"
    __table_args__ = (sa.UniqueConstraint("call_id", "window_start",
                                          name="uq_checkin_prompts_call_window"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    call_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    # The last sign of life the window counts from (on scene, a status change, a check-in).
    window_start: Mapped[datetime]
    due_at: Mapped[datetime]
    prompted_at: Mapped[datetime]
    answer_by: Mapped[datetime]
    # Set when the grace ran out and a backup request was raised (once per window).
    backup_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("backup_requests.id"))


class CheckinAnswer(Base):
    """A crew checked in from the tablet (the id is made there: a retry is one answer)."""

    __tablename__ = "checkin_answers"
    __table_args__ = (sa.Index("ix_checkin_answers_call_received", "call_id", "received_at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    call_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("calls.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    device_time: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


# The same trigger as migration 0017_backups, for databases built from the models (tests).
_APPEND_ONLY = (
    "CREATE FUNCTION backup_events_append_only() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION 'backup_events is append-only: %% refused', TG_OP; END; "
    "$$ LANGUAGE plpgsql",
    "CREATE TRIGGER backup_events_append_only BEFORE UPDATE OR DELETE ON backup_events "
    "FOR EACH ROW EXECUTE FUNCTION backup_events_append_only()",
)
for _ddl in _APPEND_ONLY:
    sa.event.listen(BackupEvent.__table__, "after_create",
                    sa.DDL(_ddl).execute_if(dialect="postgresql"))  # type: ignore[no-untyped-call]
sa.event.listen(BackupEvent.__table__, "after_drop",
                sa.DDL("DROP FUNCTION IF EXISTS backup_events_append_only()")  # type: ignore[no-untyped-call]
                .execute_if(dialect="postgresql"))
