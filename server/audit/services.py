"""Writing the audit trail: called by every service that changes a clinical record."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from server.audit.models import AuditEntry
from server.auth.models import User


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
