"""Care navigation's records: community resources (one service at one place, flattened from
HSDS), referrals of a call's person to a resource with each status change kept as an
append-only event, and follow-up tasks for the care navigators."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models_base import Base, str_enum, utcnow


class ReferralStatus(enum.StrEnum):
    """A referral's course, in order: made, the resource accepted the person, the person was
    connected (met, enrolled), closed (done, or ended without a connection)."""

    MADE = "made"
    ACCEPTED = "accepted"
    CONNECTED = "connected"
    CLOSED = "closed"


class CareResource(Base):
    """A service offered at a location (HSDS service_at_location), or at none (a phone line)."""

    __tablename__ = "care_resources"
    __table_args__ = (sa.UniqueConstraint("hsds_service_id", "hsds_location_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hsds_service_id: Mapped[str] = mapped_column(sa.String(100))
    # "" for a service offered at no location (NULLs would not keep the pair unique).
    hsds_location_id: Mapped[str] = mapped_column(sa.String(100), default="")
    hsds_organization_id: Mapped[str | None] = mapped_column(sa.String(100))
    organization: Mapped[str | None] = mapped_column(sa.String(300))
    name: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Taxonomy term names (the needs the service meets) and their codes.
    categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    category_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    # Indexed: a search from a point first keeps the resources in a box of latitudes.
    lat: Mapped[float | None] = mapped_column(index=True)
    lon: Mapped[float | None]
    phone: Mapped[str | None] = mapped_column(sa.String(60))
    url: Mapped[str | None] = mapped_column(sa.String(500))
    email: Mapped[str | None] = mapped_column(sa.String(500))
    # The languages the service is offered in (names, else codes), and one line per schedule.
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
    hours: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
    # "|spanish|es|": the languages' names and codes, lowercased, for the language filter.
    language_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The HSDS fields we do not name, kept as published (by table: service, location...).
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Lowercased name, organization, description and terms: what a need's words are found in.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Referral(Base):
    """A call's person referred to community care: to a resource, or to care navigation
    itself (resource_id None: a responder's "referred to community care")."""

    __tablename__ = "care_referrals"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    call_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    resource_id: Mapped[int | None] = mapped_column(sa.ForeignKey("care_resources.id"), index=True)
    need: Mapped[str] = mapped_column(sa.String(120))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # Derived: the last event's status (the events are the record).
    status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus, 16),
                                                   default=ReferralStatus.MADE)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    resource: Mapped[CareResource | None] = relationship()
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id")


class ReferralEvent(Base):
    """One status a referral took, when and by whom: append-only, never edited."""

    __tablename__ = "care_referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("care_referrals.id"), index=True)
    status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus, 16))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    referral: Mapped[Referral] = relationship(back_populates="events")


class FollowUp(Base):
    """A navigator's task about a call's person (and maybe one referral), due at a time."""

    __tablename__ = "care_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    referral_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("care_referrals.id"))
    due_at: Mapped[datetime] = mapped_column(index=True)
    assigned_to_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(sa.Text)
