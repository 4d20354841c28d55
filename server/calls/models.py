"""Call types with their program eligibility, premises with hazards, calls and their facts."""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from server.models_base import Base, FactColumns, str_enum, utcnow
from server.units.models import Program

if TYPE_CHECKING:
    from server.auth.models import User


class CallStatus(enum.StrEnum):
    """The call lifecycle, in order: a later state never gives way to an earlier one."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    CLEARED = "cleared"


class CallType(Base):
    __tablename__ = "call_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(48), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    weapon_involved: Mapped[bool] = mapped_column(default=False)
    default_priority: Mapped[int] = mapped_column(default=3)
    # The response when no HEART program takes the call: police, or EMS for medical calls.
    fallback: Mapped[str] = mapped_column(sa.String(8), default="police")

    eligibility: Mapped[list[CallTypeEligibility]] = relationship(
        back_populates="call_type", cascade="all, delete-orphan", order_by="CallTypeEligibility.rank"
    )


class CallTypeEligibility(Base):
    """Which programs may answer a call type, in order of preference (rank 1 first)."""

    __tablename__ = "call_type_eligibility"
    __table_args__ = (sa.UniqueConstraint("call_type_id", "program"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_type_id: Mapped[int] = mapped_column(sa.ForeignKey("call_types.id"), index=True)
    program: Mapped[Program] = mapped_column(str_enum(Program, 32))
    rank: Mapped[int] = mapped_column(default=1)

    call_type: Mapped[CallType] = relationship(back_populates="eligibility")


class Premise(Base):
    __tablename__ = "premises"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    address: Mapped[str] = mapped_column(sa.String(200), index=True)
    # None: the CAD sent no position (a historical export, an address not geocoded).
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    hazards: Mapped[list[PremiseHazard]] = relationship(
        back_populates="premise", cascade="all, delete-orphan"
    )


class PremiseHazard(Base):
    __tablename__ = "premise_hazards"

    id: Mapped[int] = mapped_column(primary_key=True)
    premise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("premises.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.String(500))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A hazard that stops being true (a dog rehomed, an order that lapses) ends by itself.
    expires_at: Mapped[datetime | None]

    premise: Mapped[Premise] = relationship(back_populates="hazards")

    def in_force(self, now: datetime) -> bool:
        return self.active and (self.expires_at is None or self.expires_at > now)


def hazard_in_force(now: datetime) -> sa.ColumnElement[bool]:
    """PremiseHazard.in_force as SQL."""
    return sa.and_(PremiseHazard.active,
                   sa.or_(PremiseHazard.expires_at.is_(None), PremiseHazard.expires_at > now))


class Call(Base):
    """A call for service: a document (editable fields merge) with derived status."""

    __tablename__ = "calls"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    cad_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    call_type_id: Mapped[int] = mapped_column(sa.ForeignKey("call_types.id"), index=True)
    priority: Mapped[int]
    premise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("premises.id"), index=True)
    narrative: Mapped[str] = mapped_column(sa.Text, default="")
    received_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    # Derived from status facts (furthest lifecycle state); never written by a device directly.
    status: Mapped[CallStatus] = mapped_column(
        str_enum(CallStatus, 16), default=CallStatus.RECEIVED
    )
    disposition: Mapped[str | None] = mapped_column(sa.String(500))
    # The entry of the disposition list (server.dispositions) the crew chose; `disposition`
    # holds their free text beside it. No foreign key: a code stays valid once retired.
    disposition_code: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    transport_destination: Mapped[str | None] = mapped_column(sa.String(200))
    version: Mapped[int] = mapped_column(default=1)
    # The call version at which each editable field last changed: the base of three-way merges.
    field_versions: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None]

    # Where the call came from: a dispatcher's entry, the CAD's interface, or a file import.
    source: Mapped[str] = mapped_column(sa.String(16), default="dispatch")
    # The CAD's own call-type code (kept when it maps to none of ours: the call is unmapped).
    cad_call_type: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    weapon: Mapped[bool] = mapped_column(default=False)
    violence: Mapped[bool] = mapped_column(default=False)
    # What the CAD sent beyond our fields: reasons, caller answers, unknown fields as sent.
    cad_fields: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    cad_updated_at: Mapped[datetime | None]
    # Triage (server/dispatch): eligibility, the recommendation and its reason, and why an
    # eligible call was not served by the program (the count the program must keep).
    eligible: Mapped[bool] = mapped_column(default=False)
    eligible_programs: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    recommended_response: Mapped[str | None] = mapped_column(sa.String(32))
    recommended_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    recommended_distance_m: Mapped[float | None]
    recommendation_reason: Mapped[str] = mapped_column(sa.Text, default="")
    reason_code: Mapped[str | None] = mapped_column(sa.String(32))
    unserved_reason: Mapped[str | None] = mapped_column(sa.String(32))
    override_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # Each timed state's first trusted time and whether it has uncertain taps, derived from
    # the status facts (refresh_stage_times below) as they land: what the response-time
    # indicator reads, one row per call, instead of grouping a year of taps.
    first_dispatched_at: Mapped[datetime | None]
    first_en_route_at: Mapped[datetime | None]
    first_on_scene_at: Mapped[datetime | None]
    dispatched_uncertain: Mapped[bool] = mapped_column(default=False)
    en_route_uncertain: Mapped[bool] = mapped_column(default=False)
    on_scene_uncertain: Mapped[bool] = mapped_column(default=False)

    call_type: Mapped[CallType] = relationship()
    premise: Mapped[Premise] = relationship()
    status_events: Mapped[list[CallStatusEvent]] = relationship(
        back_populates="call", order_by="CallStatusEvent.corrected_time"
    )
    notes: Mapped[list[CallNote]] = relationship(
        back_populates="call", order_by="CallNote.corrected_time"
    )


class CorrectedBy:
    """A call fact a supervisor re-applied from a rejected operation with corrected data: who
    corrected it (the author stays `user_id`; the audit holds the data before and after)."""

    corrected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class CallStatusEvent(FactColumns, CorrectedBy, Base):
    __tablename__ = "call_status_events"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    call_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    status: Mapped[CallStatus] = mapped_column(str_enum(CallStatus, 16))
    # A correcting fact: the earlier tap (same call, same author, within server.calls.status's undo
    # window) this one withdraws; it records that tap's status. The withdrawn tap stays.
    withdraws_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True, unique=True)

    call: Mapped[Call] = relationship(back_populates="status_events")
    # Who tapped it (user_id): loaded with the event, since every view of one names them.
    author: Mapped[User | None] = relationship(lazy="joined", innerjoin=False,
                                               foreign_keys="CallStatusEvent.user_id")


# The states a response is timed by (received, the fourth, is the call's own received_at).
TIMED_STATES: Final = (CallStatus.DISPATCHED, CallStatus.EN_ROUTE, CallStatus.ON_SCENE)


def stage_columns(state: CallStatus) -> tuple[str, str]:
    """The call's columns for a timed state: its first trusted time, and its uncertain flag."""
    return f"first_{state.value}_at", f"{state.value}_uncertain"


def stage_times_sql(call_id: Any) -> dict[str, Any]:
    """Each stage column as SQL over the call's status facts, the rule of status_times
    (server.calls.services): of the standing taps (neither withdrawn nor withdrawals), the
    earliest corrected time of those not time_uncertain, and whether uncertain ones exist."""
    event = CallStatusEvent.__table__.alias("stage_tap")
    withdrawal = CallStatusEvent.__table__.alias("stage_withdrawal")
    withdrawn = sa.select(withdrawal.c.withdraws_id).where(
        withdrawal.c.call_id == call_id, withdrawal.c.withdraws_id.is_not(None))
    values: dict[str, Any] = {}
    for state in TIMED_STATES:
        standing = sa.and_(event.c.call_id == call_id, event.c.status == state,
                           event.c.withdraws_id.is_(None), event.c.id.not_in(withdrawn))
        first_at, uncertain = stage_columns(state)
        values[first_at] = sa.select(sa.func.min(event.c.corrected_time)).where(
            standing, event.c.time_uncertain.is_(False)).scalar_subquery()
        values[uncertain] = sa.exists().where(standing, event.c.time_uncertain.is_(True))
    return values


def refresh_stage_times(session: Session, call_ids: Collection[uuid.UUID] | None) -> None:
    """Work the stage columns out again for these calls (every call when None) from all their
    stored taps: a new tap, a withdrawal, a re-applied tap, a tap on a reassigned call."""
    if call_ids is not None and not call_ids:
        return
    calls: sa.Table = Call.__table__  # type: ignore[assignment]
    statement = _stage_times_update()
    if call_ids is not None:
        statement = statement.where(calls.c.id.in_(call_ids))
    session.connection().execute(statement)


@functools.cache
def _stage_times_update() -> sa.Update:
    """The UPDATE of every call's stage columns, built once: building it costs more than most
    flushes that need it (a statement is immutable; .where() above returns a new one)."""
    calls: sa.Table = Call.__table__  # type: ignore[assignment]
    return sa.update(calls).values(stage_times_sql(calls.c.id))


@sa.event.listens_for(Session, "after_flush")
def _refresh_stage_times_after_flush(session: Session, flush_context: object) -> None:
    """Taps written through the ORM (seeding, tests): the sync push inserts its taps in bulk
    and refreshes their calls itself (server.calls.sync)."""
    touched = {obj.call_id for obj in (*session.new, *session.dirty, *session.deleted)
               if isinstance(obj, CallStatusEvent) and obj.call_id is not None}
    refresh_stage_times(session, touched)


class CallNote(FactColumns, CorrectedBy, Base):
    __tablename__ = "call_notes"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    call_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)

    call: Mapped[Call] = relationship(back_populates="notes")
    # Who wrote it (user_id): loaded with the note, since every view of one names them.
    author: Mapped[User | None] = relationship(lazy="joined", innerjoin=False,
                                               foreign_keys="CallNote.user_id")
