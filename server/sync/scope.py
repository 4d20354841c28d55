"""What a device's user may see, as feed scopes and as queries for a fresh snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from server.auth.models import User
from server.sync.feed import ALL_SCOPE, unit_scope, user_scope
from sync.cursor import scope_fingerprint

# A tablet keeps its unit's track for one shift (HEART runs 12-hour shifts).
LOCATION_HISTORY = timedelta(hours=12)


@dataclass(frozen=True)
class PullScope:
    user_id: int
    unit_id: int | None
    role: str

    @property
    def feed_scopes(self) -> list[str]:
        scopes = [ALL_SCOPE, user_scope(self.user_id)]
        if self.unit_id is not None:
            scopes.append(unit_scope(self.unit_id))
        return scopes

    @property
    def fingerprint(self) -> str:
        return scope_fingerprint([*self.feed_scopes, f"role:{self.role}"])


def scope_for(user: User, unit_id: int | None) -> PullScope:
    return PullScope(user_id=user.id, unit_id=unit_id, role=user.role.value)
