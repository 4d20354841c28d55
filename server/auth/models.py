"""People, their roles, registered tablets, who signed in on each, and the sign-in throttle."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models_base import Base, str_enum, utcnow


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
    """A registered tablet or browser; every token is bound to one, and revoking it ends them."""

    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(120))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User | None] = relationship(back_populates="devices", foreign_keys=[user_id])

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


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
