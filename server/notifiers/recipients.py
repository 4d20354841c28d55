"""The people an event's audience names, now: roles -> the active users holding them, units ->
their crews on shift, users by id, everyone -> every active user."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import User
from server.auth.services import crew_user_ids
from server.models_base import utcnow
from server.stream.audience import Audience


def audience_users(session: Session, audience: Audience) -> list[User]:
    active = sa.select(User).where(User.active.is_(True)).order_by(User.id)
    if audience.everyone:
        return list(session.scalars(active))
    ids = set(audience.users)
    now = utcnow()
    for unit_id in audience.units:
        ids |= crew_user_ids(session, unit_id, now)
    clauses = [User.id.in_(ids)] if ids else []
    if audience.roles:
        clauses.append(User.role.in_(sorted(audience.roles)))
    if not clauses:
        return []
    return list(session.scalars(active.where(sa.or_(*clauses))))
