"""Tablets editing one call at the same moment get what one-after-another gives, on
PostgreSQL (row locks) and on SQLite (its one writer, taken before the push reads).

Three tablets of a unit push an edit of the same call's disposition from the same
`base_version`, released together by a barrier (each on its own test client, so its own
session and connection). Sent one after another the answers are one `applied` and, for the
others, `merged` (same value as the winner) or `conflict` (a different one, the server's
kept); every write is audited with the value it replaced. Without the lock all three read
version 1, all three are `applied` at version 2 and the audit shows `before: null` twice
(on both databases, in nearly every trial). A status tap racing another tap and an edit
must not be lost either: the call's status is the furthest state whichever commits last;
nor a dispatcher's edit racing the tablets' (each write at a version of its own, its audit
`before` what the write before it left). And the lock must not make two pushes that each
note on the call the other taps deadlock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.audit.models import AuditEntry
from server.auth.models import Role, User
from server.auth.services import create_user
from server.calls.models import Call
from server.calls.services import create_call
from server.demo import seed_call_types
from server.extensions import db
from server.models_base import utcnow
from server.sync.models import SyncConflict
from server.units.models import Program, Unit
from tests.fixtures.concurrency import together
from tests.fixtures.people import PASSWORD, bearer, put_on_shift
from tests.fixtures.sync import PUSH, make_op

DEVICES = 3
# 50 trials of 3 simultaneous pushes: enough that a race the lock did not close shows up
# (without the lock nearly every trial loses an update), a few seconds in all.
TRIALS = 50


@dataclass
class Crew:
    """The unit's tablets (each with its own client and seq) and a dispatcher who makes the
    calls and edits them from a client of their own."""

    unit_id: int
    dispatcher_id: int
    clients: list[FlaskClient]
    headers: list[dict[str, str]]
    seqs: list[int]
    dispatch: FlaskClient
    dispatch_headers: dict[str, str]

    def op(self, device: int, kind: str, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        self.seqs[device] += 1
        return make_op(kind, data, self.seqs[device], node=f"tablet{device}", **kwargs)


@pytest.fixture
def crew(race_app: Flask) -> Crew:
    with race_app.app_context():
        seed_call_types(db.session)
        unit = Unit(call_sign="RACE-1", program=Program.COMMUNITY_RESPONSE)
        db.session.add(unit)
        dispatcher = create_user(db.session, username="dispatch", full_name="Dispatch",
                                 role=Role.DISPATCHER, password=PASSWORD)
        for i in range(DEVICES):
            responder = create_user(db.session, username=f"tablet{i}", full_name=f"Crew {i}",
                                    role=Role.RESPONDER_EMT, password=PASSWORD)
            put_on_shift(unit, responder)
        db.session.commit()
        unit_id, dispatcher_id = unit.id, dispatcher.id
    clients = [race_app.test_client() for _ in range(DEVICES + 1)]
    headers = [bearer(client, name) for client, name in zip(
        clients, [f"tablet{i}" for i in range(DEVICES)] + ["dispatch"], strict=True)]
    return Crew(unit_id, dispatcher_id, clients[:DEVICES], headers[:DEVICES], [0] * DEVICES,
                clients[DEVICES], headers[DEVICES])


def _new_call(app: Flask, crew: Crew, trial: int) -> uuid.UUID:
    with app.app_context():
        dispatcher = db.session.get(User, crew.dispatcher_id)
        assert dispatcher is not None
        call = create_call(db.session, dispatcher, {
            "cad_number": f"RACE{trial:04d}", "call_type": "welfare_check",
            "address": f"{trial} Race St, Durham NC", "lat": 35.99, "lon": -78.9,
            "unit_id": crew.unit_id})
        db.session.commit()
        call_id: uuid.UUID = call.id
        assert call.version == 1
        db.session.remove()
    return call_id


def _together(requests: list[Callable[[], Any]]) -> list[Any]:
    """Runs the requests at once; each must answer 200."""
    answers = together(requests)
    assert [a.status_code for a in answers] == [200] * len(requests), [a.json for a in answers]
    return answers


def _push(crew: Crew, device: int, *ops: dict[str, Any]) -> Callable[[], Any]:
    body = {"protocol_version": 2, "device_time": utcnow().isoformat(), "ops": list(ops)}
    return lambda: crew.clients[device].post(PUSH, json=body, headers=crew.headers[device])


def _patch(crew: Crew, call_id: uuid.UUID, data: dict[str, Any]) -> Callable[[], Any]:
    return lambda: crew.dispatch.patch(f"/api/v1/calls/{call_id}", json=data,
                                       headers=crew.dispatch_headers)


def _push_together(crew: Crew, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each tablet pushes its op, all at once; the op results."""
    answers = _together([_push(crew, device, op) for device, op in enumerate(ops)])
    return [a.json["results"][0] for a in answers]


def _stored(app: Flask, call_id: uuid.UUID) -> tuple[Call, list[SyncConflict], list[AuditEntry]]:
    with app.app_context():
        call = db.session.get(Call, call_id)
        assert call is not None
        conflicts = list(db.session.scalars(sa.select(SyncConflict).where(
            SyncConflict.record_id == str(call_id))))
        audit = list(db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "call", AuditEntry.entity_id == str(call_id),
            AuditEntry.action == "update").order_by(AuditEntry.id)))
        db.session.expunge_all()
        db.session.remove()
    return call, conflicts, audit


def _edit_trial_problems(results: list[dict[str, Any]], values: list[str], call: Call,
                         conflicts: list[SyncConflict], audit: list[AuditEntry]) -> list[str]:
    """What differs from the answer of the same three pushes sent one after another."""
    outcomes = [r["outcome"] for r in results]
    if outcomes.count("applied") != 1 or not set(outcomes) <= {"applied", "merged", "conflict"}:
        return [f"outcomes {outcomes}"]
    winner = values[outcomes.index("applied")]
    problems = []
    for device, (outcome, value) in enumerate(zip(outcomes, values, strict=True)):
        expected = "applied" if outcome == "applied" else (
            "merged" if value == winner else "conflict")
        if outcome != expected:
            problems.append(f"tablet {device} ({value!r}) got {outcome}, expected {expected}")
    writes = [r["version"] for r in results if r["outcome"] == "applied"]
    if len(set(writes)) != len(writes) or call.version != 1 + len(writes):
        problems.append(f"writes at versions {writes}, call at version {call.version}")
    if call.disposition != winner:
        problems.append(f"kept {call.disposition!r}, the applied value was {winner!r}")
    opened = sorted((c.device_value, c.server_value) for c in conflicts)
    expected_conflicts = sorted((v, winner) for v, o in zip(values, outcomes, strict=True)
                                if o == "conflict")
    if opened != expected_conflicts:
        problems.append(f"conflicts (device, server) {opened}, expected {expected_conflicts}")
    befores = [(a.before or {}).get("disposition") for a in audit]
    afters = [(a.after or {}).get("disposition") for a in audit]
    if (befores, afters) != ([None], [winner]):
        problems.append(f"audit before {befores} after {afters}, expected [None] -> [{winner!r}]")
    return problems


def test_three_tablets_editing_one_call_at_once_get_what_sequential_pushes_get(
        race_app: Flask, crew: Crew) -> None:
    # Two tablets agree and one differs: whichever lands first, the agreeing one merges or
    # the differing ones conflict, as they would one after another.
    values = ["refused care", "transported to Duke ED", "transported to Duke ED"]
    failed: list[str] = []
    for trial in range(TRIALS):
        call_id = _new_call(race_app, crew, trial)
        ops = [crew.op(i, "call", {"disposition": values[i]}, action="update",
                       record_id=str(call_id), base_version=1) for i in range(DEVICES)]
        results = _push_together(crew, ops)
        problems = _edit_trial_problems(results, values, *_stored(race_app, call_id))
        failed += [f"trial {trial}: {p}" for p in problems]
    assert failed == [], f"{len({f.split(':')[0] for f in failed})} of {TRIALS} trials: {failed[:6]}"


def test_status_taps_racing_an_edit_keep_the_furthest_status_and_the_edit(
        race_app: Flask, crew: Crew) -> None:
    failed: list[str] = []
    for trial in range(TRIALS):
        call_id = _new_call(race_app, crew, 1000 + trial)
        cid = str(call_id)
        ops = [crew.op(0, "call_status", {"call_id": cid, "status": "cleared"}),
               crew.op(1, "call_status", {"call_id": cid, "status": "on_scene"}),
               crew.op(2, "call", {"disposition": "treated on scene"}, action="update",
                       record_id=cid, base_version=1)]
        results = _push_together(crew, ops)
        call, _, audit = _stored(race_app, call_id)
        outcomes = [r["outcome"] for r in results]
        found = (outcomes, call.status.value, call.disposition, call.version,
                 [(a.before or {}).get("disposition") for a in audit])
        expected = (["applied"] * 3, "cleared", "treated on scene", 2, [None])
        if found != expected:
            failed.append(f"trial {trial}: {found}")
    assert failed == [], f"{len(failed)} of {TRIALS} trials: {failed[:6]}"


def test_a_dispatcher_edit_racing_two_tablets_puts_every_write_at_a_version_of_its_own(
        race_app: Flask, crew: Crew) -> None:
    """The dispatcher's PATCH takes the same lock: whatever the order, each write lands at the
    next version and its audit entry's `before` is what the write before it left."""
    failed: list[str] = []
    for trial in range(TRIALS):
        call_id = _new_call(race_app, crew, 2000 + trial)
        ops = [crew.op(i, "call", {"disposition": f"tablet {i}"}, action="update",
                       record_id=str(call_id), base_version=1) for i in range(2)]
        *pushed, patched = _together([_push(crew, 0, ops[0]), _push(crew, 1, ops[1]),
                                      _patch(crew, call_id, {"disposition": "set by dispatch"})])
        results = [a.json["results"][0] for a in pushed]
        call, conflicts, audit = _stored(race_app, call_id)
        outcomes = [r["outcome"] for r in results]
        writes = [r["version"] for r in results if r["outcome"] == "applied"]
        writes.append(patched.json["version"])
        befores = [(a.before or {}).get("disposition") for a in audit]
        afters = [(a.after or {}).get("disposition") for a in audit]
        problems = []
        if not set(outcomes) <= {"applied", "conflict"} or outcomes.count("applied") > 1:
            problems.append(f"outcomes {outcomes}")
        if sorted(writes) != list(range(2, 2 + len(writes))) or call.version != 1 + len(writes):
            problems.append(f"writes at versions {writes}, call at version {call.version}")
        if befores != [None, *afters[:-1]] or afters[-1:] != [call.disposition]:
            problems.append(f"audit before {befores} after {afters}, kept {call.disposition!r}")
        if len(conflicts) != outcomes.count("conflict") or any(
                c.server_value not in afters for c in conflicts):
            problems.append(f"conflicts {[(c.device_value, c.server_value) for c in conflicts]}")
        failed += [f"trial {trial}: {p}" for p in problems]
    assert failed == [], f"{len({f.split(':')[0] for f in failed})} of {TRIALS} trials: {failed[:6]}"


def test_tablets_tapping_one_call_and_writing_a_note_on_the_other_both_land(
        race_app: Flask, crew: Crew) -> None:
    """A push locks the calls its status taps name, and a note's row refers to its call: the
    lock must let another push add a note to a locked call (or the two pushes deadlock)."""
    failed: list[str] = []
    for trial in range(TRIALS):
        first, second = (str(_new_call(race_app, crew, 3000 + 2 * trial + i)) for i in range(2))
        ops = [[crew.op(0, "call_status", {"call_id": first, "status": "on_scene"}),
                crew.op(0, "call_note", {"call_id": second, "body": "gate code 4411"})],
               [crew.op(1, "call_status", {"call_id": second, "status": "on_scene"}),
                crew.op(1, "call_note", {"call_id": first, "body": "dog in the yard"})]]
        answers = _together([_push(crew, 0, *ops[0]), _push(crew, 1, *ops[1])])
        outcomes = [[r["outcome"] for r in a.json["results"]] for a in answers]
        if outcomes != [["applied", "applied"]] * 2:
            failed.append(f"trial {trial}: {outcomes}")
    assert failed == [], f"{len(failed)} of {TRIALS} trials: {failed[:6]}"
