"""The sign-in throttle: failed tries counted per user name + client address and per address,
each try past a free allowance waiting twice as long as the one before (capped), so nobody
can lock another person out, guessing is slow, and spraying names from one address is too.

Counts live in a table (`login_throttles`), not in flask-limiter: without Redis or Memcached,
which a department's deployment does not run, flask-limiter counts per process, so every
gunicorn worker and every host would hand out its own allowance. A row is claimed with one
compare-and-set UPDATE before the password is checked (and committed at once), so parallel
guesses cannot share a free try; this works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import LoginThrottle
from server.database import dialect_insert

# A claim that lost a race re-reads the row and tries again; each round means another request
# claimed that very row, so this many rounds only fail under a flood (answered 429 then).
CLAIM_ROUNDS = 16
UNKNOWN_ADDRESS = "unknown"
# `next_allowed_at` of a key with no wait: long past, not "now", since a parallel request that
# read its clock a moment earlier would otherwise see a wait that was never given.
NO_WAIT = datetime(2000, 1, 1, tzinfo=UTC)


class ThrottledError(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed sign-ins")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Policy:
    """How many failures are free per key kind, how the wait grows, and when it is forgotten."""

    free_per_name: int
    free_per_address: int
    base: timedelta
    cap: timedelta
    window: timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        return cls(free_per_name=config["LOGIN_FREE_FAILURES_PER_NAME"],
                   free_per_address=config["LOGIN_FREE_FAILURES_PER_ADDRESS"],
                   base=timedelta(seconds=config["LOGIN_DELAY_BASE_SECONDS"]),
                   cap=timedelta(seconds=config["LOGIN_DELAY_CAP_SECONDS"]),
                   window=timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]))

    def next_allowed(self, failures: int, free: int, now: datetime) -> datetime:
        delay = self.delay(failures, free)
        return now + delay if delay else NO_WAIT

    def delay(self, failures: int, free: int) -> timedelta:
        """The wait before the next try after `failures`: none within the free allowance, then
        base, 2 x base, 4 x base ... up to cap."""
        if failures < free:
            return timedelta(0)
        return min(self.base * (1 << min(failures - free, 32)), self.cap)


@dataclass(frozen=True)
class Counted:
    key: str
    free: int
    failures: int


@dataclass(frozen=True)
class Claim:
    """One sign-in try, already counted as a failure under each key until settled."""

    by_address: Counted
    by_name: Counted


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def claim_attempt(session: Session, policy: Policy, username: str, address: str | None,
                  now: datetime) -> Claim:
    """Count a try before its password is checked; ThrottledError when either key must wait.
    The caller commits at once (the count must be visible to parallel tries) and rolls back on
    ThrottledError (so the address is not charged for a try the name's wait refused)."""
    address = address or UNKNOWN_ADDRESS
    by_address = _claim(session, policy, _key("address", address), policy.free_per_address, now)
    by_name = _claim(session, policy, _key("name", username.strip().casefold(), address),
                     policy.free_per_name, now)
    return Claim(by_address=by_address, by_name=by_name)


def _claim(session: Session, policy: Policy, key: str, free: int, now: datetime) -> Counted:
    for _ in range(CLAIM_ROUNDS):
        row = session.execute(sa.select(LoginThrottle.failures, LoginThrottle.next_allowed_at,
                                        LoginThrottle.last_failure_at)
                              .where(LoginThrottle.key == key)).first()
        if row is None:
            if _insert_first(session, key, policy.next_allowed(1, free, now), now):
                return Counted(key, free, 1)
            continue
        failures, next_allowed_at, last_failure_at = row
        if next_allowed_at > now:
            raise ThrottledError(max(1, math.ceil((next_allowed_at - now).total_seconds())))
        counted = 1 if last_failure_at <= now - policy.window else failures + 1
        claimed = session.execute(
            sa.update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.failures == failures,
                   LoginThrottle.next_allowed_at <= now)
            .values(failures=counted, next_allowed_at=policy.next_allowed(counted, free, now),
                    last_failure_at=now)
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            return Counted(key, free, counted)
    raise ThrottledError(1)


def _insert_first(session: Session, key: str, next_allowed_at: datetime, now: datetime) -> bool:
    """The key's first failure; False when a parallel try inserted it first."""
    inserted = session.scalar(
        dialect_insert(session, LoginThrottle)
        .values(key=key, failures=1, next_allowed_at=next_allowed_at, last_failure_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(LoginThrottle.key))
    return inserted is not None


def settle_attempt(session: Session, policy: Policy, claim: Claim, *, succeeded: bool,
                   now: datetime) -> None:
    """A right password clears the name's count and gives the address its try back (so a
    station signing its crews in never waits); a wrong one stays counted."""
    if not succeeded:
        return
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == claim.by_name.key)
                    .execution_options(synchronize_session=False))
    refunded = max(claim.by_address.failures - 1, 0)
    session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.key == claim.by_address.key, LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1,
                next_allowed_at=policy.next_allowed(refunded, claim.by_address.free, now))
        .execution_options(synchronize_session=False))


def purge_login_throttle(session: Session, policy: Policy, now: datetime) -> int:
    """Forget counts whose last failure is older than the window and whose wait is over."""
    result = session.execute(
        sa.delete(LoginThrottle)
        .where(LoginThrottle.last_failure_at <= now - policy.window,
               LoginThrottle.next_allowed_at <= now)
        .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]
