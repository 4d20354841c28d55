"""The audit trail: written by every service that changes a clinical record, read by the
people who supervise them (who, when and what for every reader of the trail; the content
before and after for clinical readers only)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.audit.models import AuditEntry
from server.auth.models import User
from server.auth.permissions import CLINICAL_CONTENT_READERS


def record_audit(
    session: Session,
    *,
    actor: User | None,
    device_id: uuid.UUID | None,
    entity: str,
    entity_id: object,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        device_id=device_id,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


def list_audit(session: Session, actor: User, filters: dict[str, Any], page: int,
               size: int) -> tuple[list[dict[str, Any]], int]:
    """One page of entries, newest first, and how many there are. Every entry's before and
    after hold clinical content (the trail is of clinical records): left out, and the entry
    marked `redacted`, for a reader outside CLINICAL_CONTENT_READERS."""
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    for key in ("entity", "entity_id"):
        if key in filters:
            stmt = stmt.where(getattr(AuditEntry, key) == filters[key])
    total = int(session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)
    readable = actor.role in CLINICAL_CONTENT_READERS
    entries = session.scalars(stmt.offset((page - 1) * size).limit(size))
    return [audit_to_dict(entry, readable) for entry in entries], total


def audit_to_dict(entry: AuditEntry, readable: bool) -> dict[str, Any]:
    return {"id": entry.id, "at": entry.at, "actor_id": entry.actor_id,
            "device_id": entry.device_id, "entity": entry.entity, "entity_id": entry.entity_id,
            "action": entry.action, "before": entry.before if readable else None,
            "after": entry.after if readable else None, "redacted": not readable}
