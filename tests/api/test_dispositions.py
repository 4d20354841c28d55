"""The disposition list: seeded with the program's list, read by every role (tablets keep it
offline), edited by an admin only and audited; bad input names the field. A crew's chosen
code syncs as a clinical field: applied, merged, a clash on both sides opens a conflict
(the server's value stays), and a code the list does not hold is rejected and kept for a
supervisor to correct, never lost. (SQLite and PostgreSQL.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.auth.models import Role
from server.calls.models import Call
from server.dispositions.seed import SEEDED, seed_dispositions
from server.extensions import db
from server.sync.models import RejectedOp
from tests.fixtures.people import Session
from tests.fixtures.sync import Tablet, outcomes

LIST = "/api/v1/dispositions"
MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]
NEW = {"code": "connected_family", "label_en": "Connected with family",
       "label_es": "Conectado con la familia", "sort_order": 95}


@pytest.fixture(autouse=True)
def seeded(app: Any) -> None:
    seed_dispositions(db.session())
    db.session.commit()


def _call(call_id: Any) -> Call:
    db.session.expire_all()
    call = db.session.get(Call, call_id)
    assert call is not None
    return call


def _audit(entity: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == entity)
                                   .order_by(AuditEntry.id)))


# --- the list -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_seeded_list_in_its_order(
        signed_in: Callable[..., Session], role: Role) -> None:
    answer = signed_in(role).get(LIST)
    assert answer.status_code == 200, answer.json
    assert [(d["code"], d["label_en"], d["label_es"]) for d in answer.json] == list(SEEDED)
    assert all(d["active"] for d in answer.json)


def test_an_admin_adds_relabels_and_retires_an_entry_and_each_edit_is_audited(
        signed_in: Callable[..., Session]) -> None:
    admin = signed_in(Role.ADMIN)
    made = admin.post(LIST, NEW)
    assert made.status_code == 201, made.json
    edited = admin.patch(f"{LIST}/{made.json['id']}",
                         {"label_es": "Con la familia", "active": False})
    assert edited.status_code == 200, edited.json
    assert (edited.json["code"], edited.json["label_es"], edited.json["active"]) == (
        "connected_family", "Con la familia", False)
    listed = {d["code"]: d for d in admin.get(LIST).json}
    assert listed["connected_family"]["active"] is False  # still listed: calls may hold it
    created, updated = _audit("disposition")
    assert (created.action, created.actor_id, created.after) == (
        "create", admin.user.id, {"code": "connected_family", "label_en": NEW["label_en"],
                                  "label_es": NEW["label_es"], "active": True, "sort_order": 95})
    assert updated.action == "update"
    assert updated.before is not None
    assert updated.after is not None
    assert (updated.before["active"], updated.after["active"]) == (True, False)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_an_admin_edits_the_list(signed_in: Callable[..., Session], role: Role) -> None:
    person = signed_in(role)
    first = person.get(LIST).json[0]
    assert person.post(LIST, NEW).status_code == 403
    assert person.patch(f"{LIST}/{first['id']}", {"active": False}).status_code == 403
    assert _audit("disposition") == []


@pytest.mark.parametrize(("body", "field"), [
    ({**NEW, "code": "Has Spaces"}, "code"),
    ({**NEW, "code": "x"}, "code"),
    ({**NEW, "label_en": ""}, "label_en"),
    ({**NEW, "label_es": "e" * 121}, "label_es"),
    ({**NEW, "sort_order": -1}, "sort_order"),
    ({**NEW, "active": "yes"}, "active"),
    ({k: v for k, v in NEW.items() if k != "label_es"}, "label_es"),
])
def test_a_bad_entry_is_refused_naming_its_field(
        signed_in: Callable[..., Session], body: dict[str, Any], field: str) -> None:
    admin = signed_in(Role.ADMIN)
    answer = admin.post(LIST, body)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]["json"]
    assert len(admin.get(LIST).json) == len(SEEDED)


def test_a_code_made_twice_is_409_naming_the_code_and_a_code_never_changes(
        signed_in: Callable[..., Session]) -> None:
    admin = signed_in(Role.ADMIN)
    again = admin.post(LIST, {**NEW, "code": SEEDED[0][0]})
    assert again.status_code == 409, again.json
    assert "code" in again.json["errors"]["json"]
    first = admin.get(LIST).json[0]
    renamed = admin.patch(f"{LIST}/{first['id']}", {"code": "renamed"})
    assert renamed.status_code == 422
    assert "code" in renamed.json["errors"]["json"]
    assert admin.patch(f"{LIST}/999999", {"active": False}).status_code == 404


# --- the code a crew chooses, synced ------------------------------------------------------

def test_a_chosen_code_and_the_text_beside_it_sync_and_reach_the_crew(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Session) -> None:
    device = tablet()
    crewmate = tablet(unit=device.unit)
    call = create_call(device.unit)

    pushed = device.push([device.edit(call, call.version, disposition_code="transported_detox",
                                      disposition="accepted a bed at Freedom House")])

    assert outcomes(pushed) == ["applied"]
    assert pushed.json["results"][0]["record"]["disposition_code"] == "transported_detox"
    stored = _call(call.id)
    assert (stored.disposition_code, stored.disposition) == (
        "transported_detox", "accepted a bed at Freedom House")
    pulled = [c["data"] for c in crewmate.pull_all()[0] if c["kind"] == "call"]
    assert [p["disposition_code"] for p in pulled] == ["transported_detox"]
    shown = dispatcher.get(f"/api/v1/calls/{call.id}").json
    assert shown["disposition_code"] == "transported_detox"
    [entry] = [a for a in _audit("call") if a.action == "update"]
    assert entry.after is not None
    assert entry.after["disposition_code"] == "transported_detox"


def test_a_retired_code_chosen_from_an_older_list_still_lands(
        tablet: MakeTablet, create_call: MakeCall, signed_in: Callable[..., Session]) -> None:
    admin = signed_in(Role.ADMIN)
    gone = next(d for d in admin.get(LIST).json if d["code"] == "gone_on_arrival")
    admin.patch(f"{LIST}/{gone['id']}", {"active": False})
    device = tablet()
    call = create_call(device.unit)
    pushed = device.push([device.edit(call, call.version, disposition_code="gone_on_arrival")])
    assert outcomes(pushed) == ["applied"]


def test_an_unknown_code_is_rejected_and_kept_and_the_rest_of_the_batch_lands(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Session) -> None:
    device = tablet()
    call = create_call(device.unit)
    bad = device.edit(call, call.version, disposition_code="beamed_up", disposition="odd")
    note = device.note(call, "left with his sister")

    pushed = device.push([bad, note])

    assert outcomes(pushed) == ["rejected", "applied"]
    assert "data.disposition_code" in pushed.json["results"][0]["errors"]
    assert _call(call.id).disposition_code is None
    db.session.expire_all()
    [kept] = db.session.scalars(sa.select(RejectedOp)).all()
    assert kept.op["data"] == {"disposition_code": "beamed_up", "disposition": "odd"}
    fixed = supervisor.post(f"/api/v1/sync/rejected/{kept.id}/reapply",
                            json={"data": {"disposition_code": "refused_services",
                                           "disposition": "odd"}})
    assert fixed.status_code == 200, fixed.json
    assert _call(call.id).disposition_code == "refused_services"


def test_different_codes_chosen_on_two_tablets_keep_the_servers_and_open_a_conflict(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    first = tablet()
    second = tablet(unit=first.unit)
    call = create_call(first.unit)
    base = call.version

    a = first.push([first.edit(call, base, disposition_code="transported_ed")])
    b = second.push([second.edit(call, base, disposition_code="refused_services")])

    assert outcomes(a) == ["applied"]
    assert outcomes(b) == ["conflict"]
    assert _call(call.id).disposition_code == "transported_ed"
    [shown] = second.session.get("/api/v1/sync/conflicts").json
    assert (shown["field"], shown["device_value"], shown["server_value"]) == (
        "disposition_code", "refused_services", "transported_ed")
    same = second.push([second.edit(call, _call(call.id).version,
                                    disposition_code="transported_ed")])
    assert outcomes(same) == ["applied"]


def test_dispatch_sets_a_code_from_the_list_only(
        create_call: MakeCall, create_unit: Callable[..., Any], dispatcher: Session) -> None:
    call = create_call(create_unit())
    url = f"/api/v1/calls/{call.id}"
    refused = dispatcher.patch(url, {"disposition_code": "beamed_up"})
    assert refused.status_code == 422, refused.json
    assert "disposition_code" in refused.json["errors"]["json"]
    assert dispatcher.patch(url, {"disposition_code": "resolved_on_scene"}).status_code == 200
    assert _call(call.id).disposition_code == "resolved_on_scene"
