"""Reading and editing the disposition list; every edit is audited (who, when, before, after)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.auth.models import User
from server.dispositions.models import Disposition
from server.errors import field_error, not_found

EDITABLE = ("label_en", "label_es", "active", "sort_order")
UNKNOWN_CODE = "not a code of the disposition list"


def _snapshot(entry: Disposition) -> dict[str, Any]:
    return {"code": entry.code, **{name: getattr(entry, name) for name in EDITABLE}}


def list_dispositions(session: Session) -> list[Disposition]:
    """Every entry, in the order the tablet shows them."""
    return list(session.scalars(sa.select(Disposition).order_by(Disposition.sort_order,
                                                                Disposition.code)))


def known_codes(session: Session) -> set[str]:
    """Codes a call may hold: active or not (a tablet may hold a list older than a change)."""
    return set(session.scalars(sa.select(Disposition.code)))


def unknown_code(session: Session, changes: Mapping[str, Any]) -> bool:
    """The edit sets a disposition code the list does not hold (null clears it)."""
    code = changes.get("disposition_code")
    return code is not None and code not in known_codes(session)


def create_disposition(session: Session, actor: User, data: dict[str, Any]) -> Disposition:
    if session.scalar(sa.select(Disposition.id).where(Disposition.code == data["code"])):
        raise field_error("code", "a disposition with this code exists", 409)
    entry = Disposition(**data)
    session.add(entry)
    session.flush()
    record_audit(session, actor=actor, device_id=None, entity="disposition",
                 entity_id=entry.id, action="create", before=None, after=_snapshot(entry))
    return entry


def get_disposition(session: Session, disposition_id: int) -> Disposition:
    found = session.get(Disposition, disposition_id)
    if found is None:
        raise not_found("disposition")
    return found


def update_disposition(session: Session, actor: User, entry: Disposition,
                       changes: dict[str, Any]) -> Disposition:
    before = _snapshot(entry)
    for name, value in changes.items():
        setattr(entry, name, value)
    session.flush()
    record_audit(session, actor=actor, device_id=None, entity="disposition",
                 entity_id=entry.id, action="update", before=before, after=_snapshot(entry))
    return entry
