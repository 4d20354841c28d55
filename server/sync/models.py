"""Sync bookkeeping: per-device state, first results of operations, rejected operations
kept for correction, conflicts for review, and the change feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.models_base import Base, utcnow

# BIGINT on PostgreSQL (a busy feed outgrows 2^31), INTEGER on SQLite (its rowid alias).
FeedPosition = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class SyncDevice(Base):
    """What the server knows of a device's sync: last applied seq and measured clock skew."""

    __tablename__ = "sync_devices"

    device_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("devices.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    skew_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    protocol_version: Mapped[int] = mapped_column(default=2)
    last_push_at: Mapped[datetime | None]


class SyncOpResult(Base):
    """The first result of every operation, returned unchanged when the op is replayed."""

    __tablename__ = "sync_op_results"
    __table_args__ = (sa.UniqueConstraint("device_id", "seq"),)

    op_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    outcome: Mapped[str] = mapped_column(sa.String(16))
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RejectedOp(Base):
    """An operation that could not be applied, kept whole so nothing recorded is lost."""

    __tablename__ = "sync_rejected_ops"

    id: Mapped[int] = mapped_column(primary_key=True)
    op_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    device_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    protocol_version: Mapped[int]
    op: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    errors: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    message: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(16), default="open", index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class SyncConflict(Base):
    """A clash a person must settle: both values, who changed the server's and when."""

    __tablename__ = "sync_conflicts"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    record_kind: Mapped[str] = mapped_column(sa.String(40))
    record_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    field: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.String(24))
    base_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    device_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    server_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    server_changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    server_changed_at: Mapped[datetime | None]
    op_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    device_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(sa.String(16))
    resolved_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    # "responder": the person whose edit clashed (or a supervisor) settles it; "supervisor":
    # only a supervisor, once the call was cancelled or left that person's unit.
    resolvable_by: Mapped[str] = mapped_column(sa.String(16), default="responder",
                                               server_default="responder")


class ChangeLogEntry(Base):
    """The change feed: one row per record change per scope, in commit order."""

    __tablename__ = "sync_change_log"
    __table_args__ = (sa.Index("ix_sync_change_log_scope_position", "scope", "position"),)

    position: Mapped[int] = mapped_column(FeedPosition, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(40))
    record_id: Mapped[str] = mapped_column(sa.String(64))
    op: Mapped[str] = mapped_column(sa.String(8))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The device whose push wrote the row (null for any other writer): the pull leaves out,
    # for that device, the facts it pushed itself (its push answer acknowledged them).
    origin_device_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
