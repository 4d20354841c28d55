"""What a device's user may see: the feed scopes it reads, and who it is for the sources
that page a fresh snapshot.

Every device reads everyone's scope, its person's, its unit's and its role's. A kind that
is seen by others (units near a point, the supervisors of a program) registers an
audience: a function giving the extra scopes a device reads (`server.changes` names them),
so the engine changes for no new audience.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.auth.models import User
from server.changes import ALL_SCOPE, role_scope, unit_scope, user_scope
from sync.cursor import scope_fingerprint

# (session, the device's person, their unit now) -> extra feed scopes the device reads.
Audience = Callable[[Session, User, int | None], list[str]]


@dataclass(frozen=True)
class PullScope:
    user_id: int
    unit_id: int | None
    role: str
    # Scopes the registered audiences add, in registration order.
    extra: tuple[str, ...] = ()

    @property
    def feed_scopes(self) -> list[str]:
        scopes = [ALL_SCOPE, user_scope(self.user_id)]
        if self.unit_id is not None:
            scopes.append(unit_scope(self.unit_id))
        # The role last: with no audiences the fingerprint is the one cursors already carry.
        return [*scopes, *self.extra, role_scope(self.role)]

    @property
    def fingerprint(self) -> str:
        return scope_fingerprint(self.feed_scopes)


def scope_for(session: Session, user: User, unit_id: int | None,
              audiences: Sequence[Audience] = ()) -> PullScope:
    extra = tuple(dict.fromkeys(s for audience in audiences
                                for s in audience(session, user, unit_id)))
    return PullScope(user_id=user.id, unit_id=unit_id, role=user.role.value, extra=extra)
