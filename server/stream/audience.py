"""Who an event is for: roles, units, people, or everyone on shift. Pure: no Flask."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Audience:
    """An event reaches a listener who holds one of `roles`, or is on one of `units`, or is
    one of `users`; `everyone` reaches every signed-in listener (a broadcast)."""

    roles: frozenset[str] = field(default_factory=frozenset)
    units: frozenset[int] = field(default_factory=frozenset)
    users: frozenset[int] = field(default_factory=frozenset)
    everyone: bool = False

    @classmethod
    def of(cls, *, roles: Iterable[str] = (), units: Iterable[int] = (),
           users: Iterable[int] = (), everyone: bool = False) -> Audience:
        return cls(frozenset(str(r) for r in roles), frozenset(units), frozenset(users), everyone)

    def includes(self, role: str, unit_id: int | None, user_id: int) -> bool:
        return (self.everyone or role in self.roles or user_id in self.users
                or (unit_id is not None and unit_id in self.units))

    def union(self, other: Audience) -> Audience:
        return Audience(self.roles | other.roles, self.units | other.units,
                        self.users | other.users, self.everyone or other.everyone)

    def to_json(self) -> dict[str, Any]:
        return {"roles": sorted(self.roles), "units": sorted(self.units),
                "users": sorted(self.users), "everyone": self.everyone}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Audience:
        return cls.of(roles=data.get("roles", ()), units=data.get("units", ()),
                      users=data.get("users", ()), everyone=bool(data.get("everyone", False)))
