"""Sign-in, device registration, enrollment and revocation, crews, and password hashing."""

from __future__ import annotations

import secrets
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import sqlalchemy as sa
import ua_parser
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from server.auth.models import DEVICE_NAME_LENGTH, Device, DeviceSession, RevocationReason, Role, User
from server.errors import DomainError
from server.models_base import utcnow
from server.units.models import Shift, ShiftMember, Unit

# A crew whose shift has ended may still be out, offline, finishing its last call: its tablet
# keeps the unit's scope and its entries are still credited for one more shift length (HEART
# runs 12-hour shifts). After that the tablet must be signed in again by the next crew.
SHIFT_GRACE = timedelta(hours=12)
# A tablet whose refresh answer was lost on the link still holds the token it sent and tries it
# again: that token (the one just rotated away) is honoured this long after its rotation.
# Twice the clients' longest backoff (5 minutes), so a flapping link gets its retries in;
# later, or any older token, is a copy in someone else's hands: the device session ends.
REFRESH_RETRY_GRACE = timedelta(minutes=10)
# "Last seen" on the devices list is read in minutes: a device calling every few seconds
# writes its row at most once a minute, not at every request.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
# What a tablet is called when its sign-in names it neither itself nor by its browser.
FALLBACK_DEVICE_NAME = "Tablet"
# What a revoked device is told, by why it was revoked: the message, and the client's action.
REVOKED_ANSWERS = {
    RevocationReason.LOST: ("This tablet was revoked as lost or stolen. Its local data must be "
                            "wiped now.", "wipe"),
    RevocationReason.RETIRED: ("This tablet was retired. It may send what it holds; then its "
                               "local data is wiped.", "retire"),
}


class AuthError(Exception):
    """A sign-in refused; `action` tells the client what to do next, `password_ok` whether
    the refusal came after the right password (the throttle does not count those)."""

    def __init__(self, status: int, message: str, action: str = "login", *,
                 password_ok: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.action = action
        self.password_ok = password_ok


# Where the app keeps the hash an unknown user name is checked against (made on first use).
DUMMY_HASH_KEY = "heart.dummy_password_hash"


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_KIB"])


T = TypeVar("T")


def _beside_the_loop(work: Callable[..., T], *args: Any) -> T:
    """Argon2 runs for tens of milliseconds in C. Under gunicorn's gevent worker it runs in the
    hub's thread pool, so the worker's other greenlets (live streams, pushes) go on meanwhile;
    anywhere else (tests, the CLI, werkzeug) it runs here."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("threading"):
        import gevent

        return cast(T, gevent.get_hub().threadpool.apply(work, args))
    return work(*args)


def hash_password(password: str) -> str:
    return _beside_the_loop(_hasher().hash, password)


def verify_password(user: User | None, password: str) -> bool:
    """Whether the password is the person's. Without a person it is checked against a hash of
    a random secret made with the same cost, so an unknown user name takes as long to refuse
    as a wrong password (no telling which names exist by timing)."""
    stored = user.password_hash if user is not None else _dummy_hash()
    try:
        matched = _beside_the_loop(_hasher().verify, stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and user is not None


def _dummy_hash() -> str:
    extensions = current_app.extensions
    if DUMMY_HASH_KEY not in extensions:
        extensions[DUMMY_HASH_KEY] = hash_password(secrets.token_urlsafe(32))
    return str(extensions[DUMMY_HASH_KEY])


def create_user(
    session: Session, *, username: str, full_name: str, role: Role, password: str
) -> User:
    user = User(username=username, full_name=full_name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def current_unit_query(user_id: int | InstrumentedAttribute[int], at: datetime) -> sa.Select[int]:
    """The unit a person is on a shift with at `at`."""
    return (
        sa.select(Shift.unit_id)
        .join(ShiftMember, ShiftMember.shift_id == Shift.id)
        .where(ShiftMember.user_id == user_id, Shift.starts_at <= at, Shift.ends_at > at)
        .order_by(Shift.starts_at.desc())
        .limit(1)
    )


def roster_unit_query(user_id: int, at: datetime) -> sa.Select[int]:
    """The unit of the person's shift covering `at`, else of the last one that ended within
    SHIFT_GRACE: the unit a tablet they sign in on is bound to."""
    return (
        sa.select(Shift.unit_id)
        .join(ShiftMember, ShiftMember.shift_id == Shift.id)
        .where(ShiftMember.user_id == user_id, Shift.starts_at <= at,
               Shift.ends_at > at - SHIFT_GRACE)
        .order_by(Shift.ends_at.desc(), Shift.starts_at.desc())
        .limit(1)
    )


Column = sa.ColumnElement[Any] | InstrumentedAttribute[Any]


def scope_unit(user_id: int | Column, device_unit_id: int | Column | None,
               at: datetime | Column, since: datetime | Column) -> sa.ScalarSelect[int]:
    """The unit whose records a person sees on a device, as one scalar subquery (the request
    guard asks it in its one query): the unit of a shift they are on at `at`, else the
    device's unit while they are on its crew, on a shift of it that ended after `since`
    (`at` - SHIFT_GRACE), else none."""
    on_device_crew = sa.and_(Shift.unit_id == device_unit_id, Shift.ends_at > since)
    return (
        sa.select(Shift.unit_id)
        .join(ShiftMember, ShiftMember.shift_id == Shift.id)
        .where(ShiftMember.user_id == user_id, Shift.starts_at <= at,
               sa.or_(Shift.ends_at > at, on_device_crew))
        .order_by((Shift.ends_at > at).desc(), Shift.starts_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def scope_unit_id(session: Session, user_id: int, device_unit_id: int | None,
                  at: datetime) -> int | None:
    """scope_unit() for one person on one device, outside a request."""
    return session.scalar(sa.select(scope_unit(user_id, device_unit_id, at, at - SHIFT_GRACE)))


def crew_query(unit_id: int, at: datetime) -> sa.Select[int]:
    """Who is on a shift of the unit covering `at`, or on one that ended within SHIFT_GRACE."""
    return (
        sa.select(ShiftMember.user_id)
        .join(Shift, Shift.id == ShiftMember.shift_id)
        .where(Shift.unit_id == unit_id, Shift.starts_at <= at, Shift.ends_at > at - SHIFT_GRACE)
    )


def crew_user_ids(session: Session, unit_id: int, at: datetime) -> set[int]:
    """People on a shift of the unit covering `at`, or one that ended less than
    SHIFT_GRACE ago (a crew still offline after its shift)."""
    return set(session.scalars(crew_query(unit_id, at)))


def enrolled_user_ids(session: Session, device_id: uuid.UUID) -> set[int]:
    """People who signed in online on this device and whose session there was neither
    signed out nor revoked (none at all when the device is revoked as lost; a retired one
    keeps its crew until it has sent what it holds)."""
    return set(session.scalars(
        sa.select(DeviceSession.user_id)
        .join(Device, Device.id == DeviceSession.device_id)
        .where(DeviceSession.device_id == device_id,
               sa.or_(Device.revoked_at.is_(None),
                      Device.revocation_reason == RevocationReason.RETIRED),
               DeviceSession.signed_out_at.is_(None), DeviceSession.revoked_at.is_(None))
    ))


def tapped_by(session: Session, sender: User, device_id: uuid.UUID | None, unit_id: int,
              person_id: int | None, at: datetime) -> User | None:
    """Who made a tap a shared tablet queued and sends now under whoever is signed in: the
    person it names when they are enrolled on this tablet and on the unit's crew, as the sync
    engine credits an op to its author; the sender when it names no one or themselves; None
    when the person named may not be credited (the caller keeps the tap, credited to the
    sender, and notes whom it named)."""
    if person_id is None or person_id == sender.id:
        return sender
    if device_id is None or person_id not in enrolled_user_ids(session, device_id) \
            or person_id not in crew_user_ids(session, unit_id, at):
        return None
    return session.get(User, person_id)


def revoked_answer(device: Device | None) -> tuple[str, str]:
    """What a revoked (or unknown: treated as lost) device is told: message and action."""
    reason = device.revocation_reason if device is not None else None
    return REVOKED_ANSWERS[reason or RevocationReason.LOST]


def default_device_name(user_agent: str | None) -> str:
    """A readable name from the browser's User-Agent ("Chrome on Android (Samsung SM-T510)"),
    for a sign-in that does not name its tablet."""
    if not user_agent:
        return FALLBACK_DEVICE_NAME
    parsed = ua_parser.parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else None
    system = parsed.os.family if parsed.os else None
    model = parsed.device.family if parsed.device else None
    known = [part for part in (browser, system) if part and part != "Other"]
    if not known:
        return FALLBACK_DEVICE_NAME
    name = " on ".join(known)
    if model and model not in {"Other", "Spider", "Generic Smartphone", "Generic Tablet"}:
        name = f"{name} ({model})"
    return name[:DEVICE_NAME_LENGTH]


@dataclass(frozen=True)
class SignIn:
    user: User
    device: Device
    unit_id: int | None
    device_session: DeviceSession


def sign_in(
    session: Session,
    *,
    username: str,
    password: str,
    device_id: uuid.UUID | None,
    device_name: str | None,
    user_agent: str | None = None,
) -> SignIn:
    """Check the password, then register the device (named `device_name`, else after the
    browser in `user_agent`) or confirm it is still trusted.

    Raises AuthError; the caller (which counted the try in the throttle) settles it.
    """
    user = session.scalar(sa.select(User).where(User.username == username))
    if not verify_password(user, password) or user is None or not user.active:
        raise AuthError(401, "Wrong user name or password.", password_ok=False)
    now = utcnow()
    unit_id = session.scalar(roster_unit_query(user.id, now)) if user.is_field_responder else None
    if device_id is None:
        device = Device(name=device_name or default_device_name(user_agent), user_id=user.id,
                        unit_id=unit_id)
        session.add(device)
    else:
        found = session.get(Device, device_id)
        if found is None:
            raise AuthError(401, "This device is not registered. Sign in to register it.", "login")
        if found.revoked:
            raise AuthError(401, *revoked_answer(found))
        device = found
        bind_device(session, user, device, unit_id, now)
    device.last_seen_at = now
    device.last_user_id = user.id
    session.flush()
    enrolled = DeviceSession(device_id=device.id, user_id=user.id, refresh_jti=str(uuid.uuid4()))
    session.add(enrolled)
    session.flush()
    return SignIn(user=user, device=device, device_session=enrolled,
                  unit_id=scope_unit_id(session, user.id, device.unit_id, now))


def bind_device(session: Session, user: User, device: Device, unit_id: int | None,
                at: datetime) -> None:
    """A tablet held by a unit (its shift on, or ended within SHIFT_GRACE) signs in only its
    crew; one no unit holds any more goes to the signer's unit (`unit_id`, maybe none)."""
    if device.unit_id is not None:
        crew = crew_user_ids(session, device.unit_id, at)
        if crew and user.id not in crew:
            holder = session.get(Unit, device.unit_id)
            call_sign = holder.call_sign if holder else "another unit"
            raise AuthError(403, f"This tablet belongs to {call_sign}, whose crew is on shift; "
                                 "you are not on that crew. Sign in on your own unit's tablet.",
                            "login")
        if crew:
            return
    device.unit_id = unit_id


def rotate_refresh_token(session: Session, session_id: uuid.UUID | None, jti: str | None,
                         now: datetime) -> str:
    """Replace a device session's refresh token (by its jti) with a new one and return the new
    jti. The current token rotates; the one just rotated away rotates again within
    REFRESH_RETRY_GRACE of its rotation (a retry whose first answer was lost); any other token
    is a reused copy, so the session is revoked. Each step is a compare-and-set UPDATE, so two
    requests with one token cannot both take the current slot."""
    fresh = str(uuid.uuid4())
    live = sa.and_(DeviceSession.id == session_id, DeviceSession.signed_out_at.is_(None),
                   DeviceSession.revoked_at.is_(None))
    rotated = session.execute(
        sa.update(DeviceSession).where(live, DeviceSession.refresh_jti == jti)
        .values(previous_jti=DeviceSession.refresh_jti, refresh_jti=fresh, rotated_at=now)
        .execution_options(synchronize_session=False))
    if rotated.rowcount == 1:  # type: ignore[attr-defined]
        return fresh
    retried = session.execute(
        sa.update(DeviceSession)
        .where(live, DeviceSession.previous_jti == jti,
               DeviceSession.rotated_at > now - REFRESH_RETRY_GRACE)
        .values(refresh_jti=fresh)
        .execution_options(synchronize_session=False))
    if retried.rowcount == 1:  # type: ignore[attr-defined]
        return fresh
    reused = session.execute(sa.update(DeviceSession).where(live).values(revoked_at=now)
                             .execution_options(synchronize_session=False))
    if reused.rowcount == 1:  # type: ignore[attr-defined]
        raise AuthError(401, "This sign-in was used from elsewhere and has been ended. Sign in "
                             "online again.", "login")
    raise AuthError(401, "This sign-in has ended on this tablet. Sign in online again.", "login")


def sign_out(session: Session, session_id: uuid.UUID, now: datetime) -> None:
    """End a device session: its tokens are refused from now on and the person is no longer
    enrolled on the tablet."""
    session.execute(sa.update(DeviceSession)
                    .where(DeviceSession.id == session_id, DeviceSession.signed_out_at.is_(None))
                    .values(signed_out_at=now).execution_options(synchronize_session=False))


def end_device_sessions(session: Session, device_id: uuid.UUID, now: datetime) -> None:
    """Every live sign-in on the device ends: its tokens are refused from now on."""
    session.execute(sa.update(DeviceSession)
                    .where(DeviceSession.device_id == device_id,
                           DeviceSession.signed_out_at.is_(None),
                           DeviceSession.revoked_at.is_(None))
                    .values(revoked_at=now)
                    .execution_options(synchronize_session=False))


def revoke_device(session: Session, actor: User, device_id: uuid.UUID,
                  reason: RevocationReason) -> Device | None:
    """Take a device out of service, saying why. Lost: every sign-in on it ends now and it
    wipes on its next contact. Retired: its crew's sign-ins stay, for pushes only, until it
    has sent what it holds (it then signs out, see finish_retirement). A retired device found
    lost after all is revoked again as lost; a lost one is never made retired (409)."""
    device = session.get(Device, device_id)
    if device is None:
        return None
    if device.revocation_reason == RevocationReason.LOST and reason != RevocationReason.LOST:
        raise DomainError(409, "This tablet was revoked as lost or stolen: it cannot be "
                               "retired.", {"json": {"reason": ["already revoked as lost"]}})
    if device.revocation_reason == reason:
        return device
    now = utcnow()
    device.revoked_at = now
    device.revoked_by_id = actor.id
    device.revocation_reason = reason
    if reason == RevocationReason.LOST:
        end_device_sessions(session, device.id, now)
    session.flush()
    return device


def finish_retirement(session: Session, device: Device, now: datetime) -> None:
    """A retired tablet has sent what it holds and wiped itself: every sign-in on it ends."""
    end_device_sessions(session, device.id, now)


def rename_device(session: Session, device_id: uuid.UUID, name: str) -> Device | None:
    device = session.get(Device, device_id)
    if device is None:
        return None
    device.name = name
    session.flush()
    return device


def touch_device(device: Device, now: datetime) -> bool:
    """Mark the device seen `now` when its last mark is LAST_SEEN_RESOLUTION old or more;
    whether it changed (the caller commits that alone)."""
    if device.last_seen_at is not None and now - device.last_seen_at < LAST_SEEN_RESOLUTION:
        return False
    device.last_seen_at = now
    return True


def list_devices(session: Session) -> list[Device]:
    """Every device, newest first, with its unit and the people the list names."""
    return list(session.scalars(
        sa.select(Device)
        .options(selectinload(Device.unit), selectinload(Device.last_user),
                 selectinload(Device.revoked_by))
        .order_by(Device.registered_at.desc())))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).order_by(User.username)))

