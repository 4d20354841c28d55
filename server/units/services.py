"""Units and who is on shift."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models_base import utcnow
from server.units.models import Shift, ShiftMember, Unit


def list_units_on_shift(session: Session) -> list[dict[str, Any]]:
    now = utcnow()
    crews: dict[int, list[int]] = {}
    rows = session.execute(
        sa.select(Shift.unit_id, ShiftMember.user_id)
        .join(ShiftMember, ShiftMember.shift_id == Shift.id)
        .where(Shift.starts_at <= now, Shift.ends_at > now)
    )
    for unit_id, user_id in rows:
        crews.setdefault(unit_id, []).append(user_id)
    units = session.scalars(sa.select(Unit).order_by(Unit.call_sign))
    return [
        {"id": u.id, "call_sign": u.call_sign, "program": u.program, "active": u.active,
         "on_shift": u.id in crews, "crew": crews.get(u.id, [])}
        for u in units
    ]
