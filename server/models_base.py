"""Declarative base and column types shared by every feature's models."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from sync.clock_skew import TimeSource

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware datetimes everywhere: SQLite hands back naive values, made UTC here."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; HEART Field stores aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value if value.tzinfo else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The server clock, aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING),
        type_annotation_map={datetime: UTCDateTime()},
    )


def str_enum(enum_class: type[enum.StrEnum], length: int) -> sa.Enum:
    """An enum column that stores the members' values (readable in SQL), checked in Python."""
    return sa.Enum(enum_class, native_enum=False, length=length, create_constraint=False,
                   values_callable=lambda members: [m.value for m in members])


class FactColumns:
    """Columns every fact recorded on a device carries: who, where, and three clocks."""

    device_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The device's own clock when the fact was made, kept as recorded.
    device_time: Mapped[datetime]
    # The server-clock time of the fact (sync.clock_skew.fact_time): from the op's own clock
    # reading, else device_time corrected by the skew measured at the push that carried it;
    # never after received_at, nor before its call was received.
    corrected_time: Mapped[datetime] = mapped_column(index=True)
    time_source: Mapped[TimeSource] = mapped_column(str_enum(TimeSource, 16),
                                                    default=TimeSource.DEVICE_CLOCK)
    # corrected_time was clamped, or the device's clocks disagreed: response-time figures
    # leave it out where a trusted time exists.
    time_uncertain: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    hlc: Mapped[str | None] = mapped_column(sa.String(80))
    # The operation that recorded it: a replay of that op is answered from this row.
    op_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
