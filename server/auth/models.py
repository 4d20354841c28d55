"""People, their roles, registered tablets, who signed in on each, and the sign-in throttle."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models_base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from server.units.models import Unit


class Role(enum.StrEnum):
    RESPONDER_CLINICIAN = "responder_clinician"
    RESPONDER_PEER = "responder_peer"
    RESPONDER_EMT = "responder_emt"
    CIT_OFFICER = "cit_officer"
    DIVERSION_CLINICIAN = "diversion_clinician"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    SUPPLY_MANAGER = "supply_manager"
    CARE_NAVIGATOR = "care_navigator"
    PROGRAM_LEAD = "program_lead"
    ADMIN = "admin"


class RevocationReason(enum.StrEnum):
    """Why a supervisor took a tablet out of service, which decides what it may still do."""

    LOST = "lost"  # lost or stolen: refused at once, wiped on its next contact
    RETIRED = "retired"  # handed back: its crew may still send what it holds, then it wipes


# Room for a name a supervisor reads in a list ("Van 3 tablet", "Chrome on Android (...)").
DEVICE_NAME_LENGTH = 120


FIELD_ROLES = frozenset(
    {Role.RESPONDER_CLINICIAN, Role.RESPONDER_PEER, Role.RESPONDER_EMT, Role.CIT_OFFICER}
)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True, index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(str_enum(Role, 32))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    devices: Mapped[list[Device]] = relationship(back_populates="user", foreign_keys="Device.user_id")

    @property
    def is_field_responder(self) -> bool:
        return self.role in FIELD_ROLES


class Device(Base):
    """A registered tablet or browser; every token is bound to one. Revoked as lost, its
    tokens end at once; revoked as retired, its crew's tokens may still push until it wipes."""

    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(DEVICE_NAME_LENGTH))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revocation_reason: Mapped[RevocationReason | None] = mapped_column(
        str_enum(RevocationReason, 16))
    # Who signed in online on it last (the one who registered it, until someone else does).
    last_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User | None] = relationship(back_populates="devices", foreign_keys=[user_id])
    last_user: Mapped[User | None] = relationship(foreign_keys=[last_user_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    unit: Mapped[Unit | None] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def unit_call_sign(self) -> str | None:
        return self.unit.call_sign if self.unit is not None else None

    @property
    def last_user_name(self) -> str | None:
        return self.last_user.full_name if self.last_user is not None else None

    @property
    def revoked_by_name(self) -> str | None:
        return self.revoked_by.full_name if self.revoked_by is not None else None

    @property
    def retired(self) -> bool:
        """Revoked as retired: it may still send what it holds, and nothing else."""
        return self.revoked and self.revocation_reason == RevocationReason.RETIRED


class DeviceSession(Base):
    """One sign-in of a person on a device (online, with a password): it enrolls the person
    on that tablet until they sign out or a supervisor revokes it. The refresh token it
    issued is named by `refresh_jti`; the one before it by `previous_jti`, kept a short
    while so a retried refresh whose answer was lost is not taken for a stolen token."""

    __tablename__ = "device_sessions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    device_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    refresh_jti: Mapped[str] = mapped_column(sa.String(36))
    previous_jti: Mapped[str | None] = mapped_column(sa.String(36))
    rotated_at: Mapped[datetime | None]
    signed_out_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def ended(self) -> bool:
        return self.signed_out_at is not None or self.revoked_at is not None


class LoginThrottle(Base):
    """Failed sign-ins counted under one key (a user name with a client address, or an
    address alone) and when the next try is allowed; shared by every worker and host."""

    __tablename__ = "login_throttles"

    # SHA-256 (hex) of what is counted: user names typed wrong are not kept in the clear.
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # Tries not (yet) known to have succeeded: each is counted before its password is checked.
    failures: Mapped[int] = mapped_column(default=0)
    next_allowed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
