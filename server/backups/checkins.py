"""The check-in timer: a crew on scene with no sign of life (a status change or a check-in)
for its call type's minutes is asked to check in; no answer within the grace raises a backup
request of origin "check_in", once per window."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import User
from server.auth.services import tapped_by
from server.backups.models import CheckinAnswer, CheckinPrompt, Origin, Urgency
from server.backups.services import request_backup
from server.calls.models import Call, CallStatus, CallStatusEvent, CallType
from server.errors import DomainError, field_error
from server.stream.audience import Audience
from server.stream.services import publish
from server.units.models import Unit

# A check-in's backup request gets an id made from its prompt's: two processes raising it at
# once insert the same key, and one of them wins.
CHECKIN_NAMESPACE = uuid.UUID("6f1c1e0e-5d8b-4d59-9a52-2f7f4b0c9a11")


@dataclass(frozen=True)
class OnScene:
    call_id: uuid.UUID
    cad_number: str
    address: str
    unit_id: int
    call_sign: str
    call_type: str
    on_scene_since: datetime
    last_check_in_at: datetime | None
    since: datetime  # the last sign of life: the window counts from here


def calls_on_scene(session: Session, unit_id: int | None = None) -> list[OnScene]:
    """Every live call a unit is on scene at, with its last sign of life."""
    last_status = (sa.select(sa.func.max(CallStatusEvent.corrected_time))
                   .where(CallStatusEvent.call_id == Call.id).correlate(Call).scalar_subquery())
    on_scene = (sa.select(sa.func.max(CallStatusEvent.corrected_time))
                .where(CallStatusEvent.call_id == Call.id,
                       CallStatusEvent.status == CallStatus.ON_SCENE)
                .correlate(Call).scalar_subquery())
    last_answer = (sa.select(sa.func.max(CheckinAnswer.received_at))
                   .where(CheckinAnswer.call_id == Call.id).correlate(Call).scalar_subquery())
    stmt = (sa.select(Call, Unit.call_sign, CallType.code, last_status, on_scene, last_answer)
            .join(Unit, Unit.id == Call.unit_id).join(CallType, CallType.id == Call.call_type_id)
            .where(Call.status == CallStatus.ON_SCENE, Call.deleted_at.is_(None))
            .order_by(Call.id))
    if unit_id is not None:
        stmt = stmt.where(Call.unit_id == unit_id)
    found = []
    for call, call_sign, code, status_time, scene_time, answer_time in session.execute(stmt):
        status_at: datetime = _aware(status_time) or call.updated_at
        answer_at = _aware(answer_time)
        found.append(OnScene(call.id, call.cad_number, call.premise.address, call.unit_id or 0,
                             call_sign, code, _aware(scene_time) or status_at, answer_at,
                             max(status_at, answer_at) if answer_at else status_at))
    return found


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates come back without the column's type: naive on SQLite."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def due_at(scene: OnScene, config: Mapping[str, Any]) -> datetime:
    minutes = config["CHECKIN_AFTER_MINUTES_BY_CALL_TYPE"].get(
        scene.call_type, config["CHECKIN_AFTER_MINUTES"])
    return scene.since + timedelta(minutes=minutes)


def _payload(scene: OnScene, prompt: CheckinPrompt) -> dict[str, Any]:
    return {"call_id": str(scene.call_id), "cad_number": scene.cad_number,
            "address": scene.address, "unit_id": scene.unit_id, "call_sign": scene.call_sign,
            "since": scene.since.isoformat(), "due_at": prompt.due_at.isoformat(),
            "answer_by": prompt.answer_by.isoformat()}


def _prompt_of(session: Session, scene: OnScene) -> CheckinPrompt | None:
    return session.scalar(sa.select(CheckinPrompt).where(
        CheckinPrompt.call_id == scene.call_id, CheckinPrompt.window_start == scene.since))


def sweep_checkins(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    """Prompt each call whose window ran out (one prompt per window: the unique key settles
    two processes); raise a backup request for each prompt whose grace ran out unanswered."""
    prompted, raised = 0, 0
    grace = timedelta(seconds=config["CHECKIN_GRACE_SECONDS"])
    for scene in calls_on_scene(session):
        due = due_at(scene, config)
        if now < due:
            continue
        prompt = _prompt_of(session, scene)
        if prompt is None:
            prompt = CheckinPrompt(call_id=scene.call_id, unit_id=scene.unit_id,
                                   window_start=scene.since, due_at=due, prompted_at=now,
                                   answer_by=now + grace)
            try:
                with session.begin_nested():
                    session.add(prompt)
            except sa.exc.IntegrityError:
                continue  # another process prompted this window
            publish(session, "checkin.due", _payload(scene, prompt),
                    Audience.of(units=[scene.unit_id]), subject=f"checkin:{scene.call_id}")
            prompted += 1
        elif prompt.backup_id is None and now >= prompt.answer_by:
            raised += _raise_backup(session, scene, prompt, now, config)
    return {"prompted": prompted, "raised": raised}


def _raise_backup(session: Session, scene: OnScene, prompt: CheckinPrompt, now: datetime,
                  config: Mapping[str, Any]) -> int:
    backup_id = uuid.uuid5(CHECKIN_NAMESPACE, str(prompt.id))
    _, created = request_backup(
        session, None, None, scene.unit_id,
        {"id": backup_id, "call_id": scene.call_id, "urgency": Urgency.TEAM.value,
         "position": None, "device_time": now, "note": None}, config, now, Origin.CHECK_IN)
    session.execute(sa.update(CheckinPrompt).where(CheckinPrompt.id == prompt.id)
                    .values(backup_id=backup_id).execution_options(synchronize_session=False))
    return 1 if created else 0


def check_in(session: Session, actor: User, device_id: uuid.UUID | None, unit_id: int | None,
             data: Mapping[str, Any], now: datetime) -> tuple[CheckinAnswer, bool]:
    """The crew is all right: a new window starts. Only for the unit's own call on scene;
    the same id again is the same answer. Credited to the person who tapped (`answered_by`)
    when they may be (`tapped_by`), else to the sender."""
    existing = session.get(CheckinAnswer, data["id"])
    if existing is not None:
        if existing.unit_id != unit_id:
            raise DomainError(409, "This check-in id belongs to another unit's check-in.")
        return existing, False
    call = session.get(Call, data["call_id"])
    if call is None or call.unit_id is None or call.unit_id != unit_id \
            or call.status is not CallStatus.ON_SCENE or call.deleted_at is not None:
        raise field_error("call_id", "Not a call your unit is on scene at.")
    tapper = tapped_by(session, actor, device_id, call.unit_id, data.get("answered_by"), now)
    answer = CheckinAnswer(id=data["id"], call_id=call.id, unit_id=call.unit_id,
                           user_id=(tapper or actor).id, device_time=data["device_time"],
                           received_at=now)
    try:
        with session.begin_nested():
            session.add(answer)
    except sa.exc.IntegrityError:
        raced = session.get(CheckinAnswer, data["id"], populate_existing=True)
        if raced is None:
            raise
        return raced, False
    return answer, True


def answer_to_dict(answer: CheckinAnswer) -> dict[str, Any]:
    return {"id": answer.id, "call_id": answer.call_id, "unit_id": answer.unit_id,
            "device_time": answer.device_time, "received_at": answer.received_at}


def overdue(session: Session, now: datetime, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Calls on scene past their check-in time, longest overdue first."""
    items = []
    for scene in calls_on_scene(session):
        due = due_at(scene, config)
        if now < due:
            continue
        prompt = _prompt_of(session, scene)
        items.append({"call_id": scene.call_id, "cad_number": scene.cad_number,
                      "address": scene.address, "unit_id": scene.unit_id,
                      "call_sign": scene.call_sign, "on_scene_since": scene.on_scene_since,
                      "last_check_in_at": scene.last_check_in_at, "due_at": due,
                      "prompted_at": prompt.prompted_at if prompt else None,
                      "backup_id": prompt.backup_id if prompt else None})
    return sorted(items, key=lambda i: i["due_at"])
