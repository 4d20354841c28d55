"""The board's reads. Each is a fixed number of statements however many units or calls there
are: units with their current call, the crews on shift now, and the last positions."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import User
from server.calls.models import (
    Call,
    CallStatus,
    CallStatusEvent,
    CallType,
    Premise,
    PremiseHazard,
    hazard_in_force,
)
from server.locations.services import unit_positions
from server.models_base import utcnow
from server.units.models import Shift, ShiftMember, Unit

log = logging.getLogger(__name__)

AVAILABLE = "available"
OFF_SHIFT = "off_shift"


def _open_call() -> sa.ColumnElement[bool]:
    return sa.and_(Call.status != CallStatus.CLEARED, Call.deleted_at.is_(None))


def board_units(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Every active unit: its current call's status (or available / off shift), the call, who
    is on shift now and its last known position."""
    current = (sa.select(Call.id).where(Call.unit_id == Unit.id, _open_call())
               .order_by(Call.received_at.desc(), Call.id.desc()).limit(1)
               .correlate(Unit).scalar_subquery())
    since = (sa.select(sa.func.max(CallStatusEvent.corrected_time))
             .where(CallStatusEvent.call_id == Call.id).correlate(Call).scalar_subquery())
    rows = session.execute(
        sa.select(Unit.id, Unit.call_sign, Unit.program, Call.id.label("call_id"),
                  Call.cad_number, Call.status, Call.received_at, CallType.code,
                  Premise.address, since.label("since"))
        .outerjoin(Call, Call.id == current)
        .outerjoin(CallType, CallType.id == Call.call_type_id)
        .outerjoin(Premise, Premise.id == Call.premise_id)
        .where(Unit.active).order_by(Unit.call_sign)).all()
    crews: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for member in session.execute(
            sa.select(Shift.unit_id, User.id, User.full_name, User.role).distinct()
            .join(ShiftMember, ShiftMember.shift_id == Shift.id)
            .join(User, User.id == ShiftMember.user_id)
            .where(Shift.starts_at <= now, Shift.ends_at > now, User.active)
            .order_by(Shift.unit_id, User.full_name, User.id)):
        crews[member.unit_id].append({"id": member.id, "name": member.full_name,
                                      "role": member.role.value})
    positions = {p["unit_id"]: p for p in unit_positions(session)}
    return [_unit(row, crews.get(row.id, []), positions.get(row.id)) for row in rows]


def _unit(row: Any, crew: list[dict[str, Any]], position: dict[str, Any] | None
          ) -> dict[str, Any]:
    call = None
    if row.call_id is not None:
        call = {"id": row.call_id, "cad_number": row.cad_number, "call_type": row.code,
                "address": row.address, "status": row.status.value,
                "since": row.since or row.received_at}
    status = call["status"] if call else (AVAILABLE if crew else OFF_SHIFT)
    where = None if position is None else {
        key: position[key] for key in ("lat", "lon", "at", "accuracy_m")}
    return {"unit_id": row.id, "call_sign": row.call_sign, "program": row.program.value,
            "status": status, "call": call, "crew": crew, "position": where}


def board_premises(session: Session) -> list[dict[str, Any]]:
    """Premises of open calls and premises with hazards in force, with their hazard count;
    a premise with no position is not on the map."""
    now = utcnow()
    hazards = sa.func.count(PremiseHazard.id)
    open_premises = sa.select(Call.premise_id).where(_open_call())
    hazardous = sa.select(PremiseHazard.premise_id).where(hazard_in_force(now))
    stmt = (sa.select(Premise.id, Premise.address, Premise.lat, Premise.lon, hazards)
            .outerjoin(PremiseHazard, sa.and_(PremiseHazard.premise_id == Premise.id,
                                              hazard_in_force(now)))
            .where(sa.or_(Premise.id.in_(open_premises), Premise.id.in_(hazardous)),
                   Premise.lat.is_not(None), Premise.lon.is_not(None))
            .group_by(Premise.id, Premise.address, Premise.lat, Premise.lon)
            .order_by(Premise.address, Premise.id))
    return [{"id": r.id, "address": r.address, "lat": r.lat, "lon": r.lon, "hazards": r[4]}
            for r in session.execute(stmt)]


@dataclass(frozen=True)
class Basemap:
    """A validated basemap file, as served: its bytes and their ETag."""

    path: str
    mtime: float
    body: bytes
    etag: str


class BasemapError(ValueError):
    """The file at BASEMAP_PATH cannot be served."""


def load_basemap(path: str, max_bytes: int) -> Basemap:
    """Read and check the file: no bigger than max_bytes, JSON, a GeoJSON FeatureCollection."""
    try:
        stat = os.stat(path)
    except OSError as error:
        raise BasemapError(f"basemap {path} cannot be read: {error.strerror}") from error
    if stat.st_size > max_bytes:
        raise BasemapError(f"basemap {path} is {stat.st_size} bytes, over BASEMAP_MAX_BYTES "
                           f"({max_bytes}); simplify it or raise the limit")
    with open(path, "rb") as fh:
        body = fh.read(max_bytes + 1)
    try:
        data = json.loads(body)
    except ValueError as error:
        raise BasemapError(f"basemap {path} is not JSON: {error}") from error
    if (not isinstance(data, dict) or data.get("type") != "FeatureCollection"
            or not isinstance(data.get("features"), list)):
        raise BasemapError(f"basemap {path} is not a GeoJSON FeatureCollection")
    return Basemap(path, stat.st_mtime, body, hashlib.sha256(body).hexdigest()[:32])


def cached_basemap(cache: dict[str, Any], path: str, max_bytes: int) -> Basemap | None:
    """The basemap at path, read again only when the file changed; None (logged once per
    change) when it cannot be served."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        mtime = -1.0
    key = (path, mtime, max_bytes)
    if cache.get("key") != key:
        cache["key"] = key
        try:
            cache["basemap"] = load_basemap(path, max_bytes)
        except BasemapError as error:
            log.error("board basemap refused: %s", error)
            cache["basemap"] = None
    basemap: Basemap | None = cache["basemap"]
    return basemap
