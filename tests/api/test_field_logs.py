"""Field logs pushed by a unit's tablets: harm-reduction entries take what they gave off the
unit's kit (never refused, a shortfall flagged for the supply manager), a replay moves nothing
twice, a record on a call that is not the unit's is kept and flagged, surveys open debriefs
in the supervisor's queue, and the unit's other tablet sees it all after its pull while
another unit does not. (SQLite and PostgreSQL.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.auth.models import Role
from server.calls.models import Call
from server.changes import ALL_SCOPE
from server.extensions import db
from server.fieldlogs.models import DebriefRequest, HarmReductionEntry, PostCallSurvey
from server.supplies.models import (
    StockDiscrepancy,
    StockLedgerEntry,
    StockLocation,
    SupplyCategory,
    SupplyItem,
    SupplyLot,
)
from server.supplies.services import stock_on_hand
from server.sync.kinds import current_kinds
from server.sync.models import ChangeLogEntry, RejectedOp
from server.sync.scope import scope_for
from tests.fixtures.people import Session
from tests.fixtures.sync import Tablet, count_rows, outcomes

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]
DEBRIEFS = "/api/v1/debriefs"
KIT_HOLDS = 4


@pytest.fixture
def naloxone(create_item: Callable[..., SupplyItem]) -> SupplyItem:
    return create_item(SupplyCategory.NALOXONE_KIT, name="Naloxone kit", unit_of_measure="kit")


@pytest.fixture
def kit_of(create_location: Callable[..., StockLocation], create_lot: Callable[..., SupplyLot],
           put_stock: Callable[..., None]) -> Callable[..., tuple[StockLocation, SupplyLot]]:
    """kit_of(unit, item, holding) -> the unit's vehicle kit holding one lot of the item."""
    def make(unit: Any, item: SupplyItem, holding: int = KIT_HOLDS) -> tuple[StockLocation, SupplyLot]:
        kit = create_location(unit)
        lot = create_lot(item)
        put_stock(kit, lot, holding)
        return kit, lot
    return make


def give(device: Tablet, category: str = "naloxone_kit", quantity: int = 1,
         **data: Any) -> dict[str, Any]:
    return device.op("harm_reduction_entry", {"category": category, "quantity": quantity, **data})


def survey(device: Tablet, call: Call, **answers: Any) -> dict[str, Any]:
    data = {"call_id": str(call.id), "felt_safe": "yes", "police_requested": "no",
            "debrief_wanted": "no", **answers}
    return device.op("post_call_survey", {k: v for k, v in data.items() if v is not None})


def on_hand(kit: StockLocation) -> int:
    db.session.expire_all()
    return sum(row.on_hand for row in stock_on_hand(db.session, [kit.id]))


def open_discrepancies(kit: StockLocation) -> int:
    db.session.expire_all()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(StockDiscrepancy).where(
        StockDiscrepancy.location_id == kit.id, StockDiscrepancy.state == "open")) or 0)


def entries_of(record_id: str) -> list[StockLedgerEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(StockLedgerEntry).where(
        StockLedgerEntry.source_id == uuid.UUID(record_id))))


# --- the kit's stock ------------------------------------------------------------------------------

def test_two_tablets_of_one_unit_offline_give_out_more_naloxone_than_the_kit_holds(
        tablet: MakeTablet, naloxone: SupplyItem, kit_of: Any) -> None:
    first = tablet()
    second = tablet(unit=first.unit)
    kit, lot = kit_of(first.unit, naloxone)
    # Both offline all afternoon: each gives out three kits from the four it believes it has.
    first_ops = [give(first, quantity=3)]
    second_ops = [give(second, quantity=3)]

    assert outcomes(first.push(first_ops)) == ["applied"]
    assert outcomes(second.push(second_ops)) == ["applied"]

    assert on_hand(kit) == KIT_HOLDS - 6
    moves = [e for op in first_ops + second_ops for e in entries_of(op["record_id"])]
    assert sorted((e.lot_id, e.delta, e.reason) for e in moves) == [
        (lot.id, -3, "distribute"), (lot.id, -3, "distribute")]
    assert count_rows(HarmReductionEntry) == 2
    assert open_discrepancies(kit) == 1

    # The answers were lost on the way back: both tablets send the same batches again.
    assert outcomes(first.push(first_ops)) == ["applied"]
    assert outcomes(second.push(second_ops)) == ["applied"]
    assert on_hand(kit) == KIT_HOLDS - 6
    assert count_rows(StockLedgerEntry) == 3  # the receipt and the two hand-outs
    assert count_rows(HarmReductionEntry) == 2
    assert open_discrepancies(kit) == 1


def test_the_same_entry_sent_again_under_a_new_operation_moves_no_stock(
        tablet: MakeTablet, naloxone: SupplyItem, kit_of: Any) -> None:
    device = tablet()
    kit, _ = kit_of(device.unit, naloxone)
    op = give(device, quantity=2)
    device.push([op])
    again = {**give(device), "record_id": op["record_id"]}

    [result] = device.push([again]).json["results"]

    assert result["outcome"] == "rejected"
    assert on_hand(kit) == KIT_HOLDS - 2


def test_naloxone_administered_is_recorded_with_its_route_and_response(
        tablet: MakeTablet, create_item: Callable[..., SupplyItem], kit_of: Any,
        create_call: MakeCall) -> None:
    device = tablet()
    spray = create_item(SupplyCategory.NALOXONE, name="Naloxone 4 mg nasal spray")
    kit, lot = kit_of(device.unit, spray)
    call = create_call(device.unit)
    op = give(device, "naloxone_administered", 2, call_id=str(call.id), route="intranasal",
              response="breathing_restored")

    assert outcomes(device.push([op])) == ["applied"]

    entry = db.session.get(HarmReductionEntry, uuid.UUID(op["record_id"]))
    assert entry is not None
    assert (entry.route, entry.response, entry.call_id, entry.review_reason) == (
        "intranasal", "breathing_restored", call.id, None)
    [move] = entries_of(op["record_id"])
    assert (move.location_id, move.lot_id, move.delta, move.reason, move.source_kind) == (
        kit.id, lot.id, -2, "administer", "harm_reduction_entry")
    assert on_hand(kit) == KIT_HOLDS - 2


def test_an_entry_takes_the_first_lot_to_expire_and_then_the_next(
        tablet: MakeTablet, naloxone: SupplyItem, create_location: Any, create_lot: Any,
        put_stock: Any) -> None:
    from datetime import timedelta

    device = tablet()
    kit = create_location(device.unit)
    later, sooner = create_lot(naloxone, timedelta(days=300)), create_lot(naloxone, timedelta(days=30))
    put_stock(kit, later, 5)
    put_stock(kit, sooner, 2)
    op = give(device, quantity=3)

    device.push([op])

    assert sorted((e.lot_id, e.delta) for e in entries_of(op["record_id"])) == sorted(
        [(sooner.id, -2), (later.id, -1)])


def test_a_named_lot_is_taken_as_named(tablet: MakeTablet, naloxone: SupplyItem,
                                       create_location: Any, create_lot: Any,
                                       put_stock: Any) -> None:
    device = tablet()
    kit = create_location(device.unit)
    first, chosen = create_lot(naloxone), create_lot(naloxone)
    put_stock(kit, first, 5)
    put_stock(kit, chosen, 5)
    op = give(device, quantity=2, item_id=naloxone.id, lot_id=chosen.id)

    device.push([op])

    assert [(e.lot_id, e.delta) for e in entries_of(op["record_id"])] == [(chosen.id, -2)]


@pytest.mark.parametrize("setup", ["no kit", "no item", "unknown lot"])
def test_an_entry_with_no_stock_to_move_is_kept_with_a_note(
        tablet: MakeTablet, create_location: Any, create_item: Any, setup: str) -> None:
    device = tablet()
    data: dict[str, Any] = {}
    if setup != "no kit":
        create_location(device.unit)
    if setup != "no item":
        create_item(SupplyCategory.HYGIENE_KIT)
    if setup == "unknown lot":
        data["lot_id"] = 999_999
    op = give(device, "hygiene_kit", 2, **data)

    [result] = device.push([op]).json["results"]

    assert result["outcome"] == "applied"
    assert result["message"].startswith("no stock moved")
    entry = db.session.get(HarmReductionEntry, uuid.UUID(op["record_id"]))
    assert entry is not None
    assert entry.stock_note == result["message"]
    assert entries_of(op["record_id"]) == []


def test_sharps_collected_moves_no_stock(tablet: MakeTablet, naloxone: SupplyItem,
                                         kit_of: Any) -> None:
    device = tablet()
    kit, _ = kit_of(device.unit, naloxone)
    op = give(device, "sharps_collected", 14, sharps_where="behind the library",
              sharps_disposal="sharps_container")

    assert outcomes(device.push([op])) == ["applied"]

    assert entries_of(op["record_id"]) == []
    assert on_hand(kit) == KIT_HOLDS


@pytest.mark.parametrize(("data", "field"), [
    ({"category": "naloxone_kit", "quantity": 1, "route": "intranasal"}, "data.route"),
    ({"category": "naloxone_administered", "quantity": 1, "route": "intranasal"},
     "data.response"),
    ({"category": "syringes", "quantity": 10, "sharps_disposal": "drop_box"},
     "data.sharps_disposal"),
    ({"category": "syringes", "quantity": 1, "call_id": str(uuid.uuid4()),
      "contact_id": str(uuid.uuid4())}, "data.contact_id"),
    ({"category": "syringes", "quantity": 1, "client_name": "J. Doe"}, "data.client_name"),
])
def test_a_bad_combination_is_rejected_naming_the_field_and_kept_for_correction(
        tablet: MakeTablet, naloxone: SupplyItem, kit_of: Any, data: dict[str, Any],
        field: str) -> None:
    device = tablet()
    kit, _ = kit_of(device.unit, naloxone)

    [result] = device.push([device.op("harm_reduction_entry", data)]).json["results"]

    assert result["outcome"] == "rejected"
    assert field in result["errors"]
    assert count_rows(HarmReductionEntry) == 0
    assert count_rows(RejectedOp) == 1
    assert on_hand(kit) == KIT_HOLDS


def test_an_entry_on_another_units_call_is_kept_and_flagged_for_a_supervisor(
        tablet: MakeTablet, create_unit: Any, create_call: MakeCall, naloxone: SupplyItem,
        kit_of: Any, supervisor: Session) -> None:
    device = tablet()
    kit, _ = kit_of(device.unit, naloxone)
    elsewhere = create_call(create_unit())
    op = give(device, quantity=1, call_id=str(elsewhere.id))

    [result] = device.push([op]).json["results"]

    assert result["outcome"] == "applied"
    assert "supervisor" in result["message"]
    entry = db.session.get(HarmReductionEntry, uuid.UUID(op["record_id"]))
    assert entry is not None
    assert entry.review_reason == result["message"]
    assert on_hand(kit) == KIT_HOLDS - 1  # what was given is off the kit all the same
    [flagged] = supervisor.get("/api/v1/field-logs/flagged").json
    assert (flagged["kind"], flagged["id"], flagged["call_id"], flagged["unit_id"]) == (
        "harm_reduction_entry", op["record_id"], str(elsewhere.id), device.unit.id)


def test_an_entry_on_the_units_own_outreach_contact_is_not_flagged(
        tablet: MakeTablet, naloxone: SupplyItem, kit_of: Any) -> None:
    device = tablet()
    other_unit = tablet()
    kit_of(device.unit, naloxone)
    contact = device.op("outreach_contact", {"place": "bus station", "note": "asked for a kit"})
    theirs = other_unit.op("outreach_contact", {"place": "library"})
    other_unit.push([theirs])
    mine = give(device, contact_id=contact["record_id"])
    stray = give(device, contact_id=theirs["record_id"])

    results = device.push([contact, mine, stray]).json["results"]

    assert [r["outcome"] for r in results] == ["applied"] * 3
    assert results[1]["message"] == ""
    assert "supervisor" in results[2]["message"]


def test_an_outreach_contacts_note_is_audited(tablet: MakeTablet) -> None:
    device = tablet()
    op = device.op("outreach_contact", {"lat": 35.99, "lon": -78.9, "note": "wants detox info"})

    device.push([op])

    [audit] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "outreach_contact")).all()
    assert (audit.entity_id, audit.after["note"], audit.actor_id) == (
        op["record_id"], "wants detox info", device.user.id)


# --- surveys and the debrief queue ------------------------------------------------------------

def test_a_survey_asking_for_a_debrief_reaches_the_supervisors_queue(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Session,
        signed_in: Callable[..., Session]) -> None:
    device = tablet()
    call = create_call(device.unit)
    op = survey(device, call, debrief_wanted="yes", comment="the caller's dog bit my partner")

    assert outcomes(device.push([op])) == ["applied"]

    feed = db.session.scalars(sa.select(ChangeLogEntry).where(
        ChangeLogEntry.kind == "debrief_request")).all()
    assert [row.scope for row in feed] == ["role:supervisor"]
    queue = supervisor.get(DEBRIEFS, query_string={"state": "open"})
    assert queue.status_code == 200
    [debrief] = queue.json
    assert (debrief["call_id"], debrief["unit_id"], debrief["asked_by_id"]) == (
        str(call.id), device.unit.id, device.user.id)
    assert debrief["unit_call_sign"] == device.unit.call_sign
    assert debrief["asked_at"] is not None
    assert debrief["comment"] == "the caller's dog bit my partner"
    admin = signed_in(Role.ADMIN).get(DEBRIEFS)
    assert admin.status_code == 200
    assert admin.json[0]["comment"] is None
    for role in (Role.SUPPLY_MANAGER, Role.RESPONDER_EMT, Role.PROGRAM_LEAD):
        assert signed_in(role).get(DEBRIEFS).status_code == 403

    done = supervisor.post(f"{DEBRIEFS}/{debrief['id']}/done", json={"note": "talked it over"})
    assert done.status_code == 200, done.json
    assert (done.json["state"], done.json["done_by_id"], done.json["note"]) == (
        "done", supervisor.user.id, "talked it over")
    assert supervisor.get(DEBRIEFS, query_string={"state": "open"}).json == []
    assert [d["state"] for d in supervisor.get(DEBRIEFS).json] == ["done"]
    again = supervisor.post(f"{DEBRIEFS}/{debrief['id']}/done", json={})
    assert again.status_code == 409
    assert signed_in(Role.SUPPLY_MANAGER).post(f"{DEBRIEFS}/{debrief['id']}/done",
                                               json={}).status_code == 403


def test_a_debrief_that_does_not_exist_is_not_found(supervisor: Session) -> None:
    assert supervisor.post(f"{DEBRIEFS}/{uuid.uuid4()}/done", json={}).status_code == 404


def test_a_debrief_queue_asked_in_an_unknown_state_is_refused_naming_it(
        supervisor: Session) -> None:
    answer = supervisor.get(DEBRIEFS, query_string={"state": "pending"})

    assert answer.status_code == 422
    assert "state" in answer.json["errors"]["query"]


def test_a_debrief_note_too_long_is_refused_naming_the_field(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Session) -> None:
    device = tablet()
    device.push([survey(device, create_call(device.unit), debrief_wanted="yes")])
    [debrief] = supervisor.get(DEBRIEFS).json

    answer = supervisor.post(f"{DEBRIEFS}/{debrief['id']}/done", json={"note": "x" * 1001})

    assert answer.status_code == 422
    assert "note" in answer.json["errors"]["json"]


def test_a_survey_skipped_with_a_reason_is_kept_without_answers(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    op = device.op("post_call_survey", {"call_id": str(call.id),
                                        "skipped_reason": "sent straight to the next call"})

    assert outcomes(device.push([op])) == ["applied"]

    kept = db.session.get(PostCallSurvey, uuid.UUID(op["record_id"]))
    assert kept is not None
    assert (kept.skipped_reason, kept.felt_safe, kept.debrief_wanted) == (
        "sent straight to the next call", None, None)
    assert count_rows(DebriefRequest) == 0


def test_a_survey_without_answers_or_a_reason_is_rejected_naming_each_answer(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    op = device.op("post_call_survey", {"call_id": str(create_call(device.unit).id)})

    [result] = device.push([op]).json["results"]

    assert result["outcome"] == "rejected"
    assert set(result["errors"]) == {"data.felt_safe", "data.police_requested",
                                     "data.debrief_wanted"}


def test_each_of_a_crew_answers_once_per_call(tablet: MakeTablet,
                                              create_call: MakeCall) -> None:
    device = tablet()
    crewmate = tablet(unit=device.unit)
    call = create_call(device.unit)
    first = survey(device, call)
    device.push([first])

    assert outcomes(crewmate.push([survey(crewmate, call)])) == ["applied"]
    [second] = device.push([survey(device, call, felt_safe="no")]).json["results"]
    replay = device.push([first]).json["results"]

    assert second["outcome"] == "rejected"
    assert second["errors"] == {"data.call_id": [second["message"]]}
    assert second["message"].startswith("already answered")
    assert [r["outcome"] for r in replay] == ["applied"]
    assert count_rows(PostCallSurvey) == 2


def test_two_surveys_of_one_person_in_one_push_keep_the_first(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)

    answer = device.push([survey(device, call), survey(device, call, felt_safe="no")])

    assert outcomes(answer) == ["applied", "rejected"]
    assert count_rows(PostCallSurvey) == 1


def test_a_survey_on_a_call_that_is_not_the_units_is_kept_and_flagged_for_a_supervisor(
        tablet: MakeTablet, create_unit: Any, create_call: MakeCall, supervisor: Session,
        signed_in: Callable[..., Session]) -> None:
    device = tablet()
    elsewhere = create_call(create_unit())
    op = survey(device, elsewhere)
    unknown = survey(device, elsewhere, call_id=str(uuid.uuid4()))

    results = device.push([op, unknown]).json["results"]

    assert [r["outcome"] for r in results] == ["applied", "applied"]
    kept = db.session.get(PostCallSurvey, uuid.UUID(op["record_id"]))
    assert kept is not None
    assert kept.review_reason == results[0]["message"]
    assert "not your unit's" in results[0]["message"]
    assert "no such call" in results[1]["message"]
    flagged = supervisor.get("/api/v1/field-logs/flagged")
    assert flagged.status_code == 200
    assert {(f["kind"], f["id"], f["reason"], f["user_id"]) for f in flagged.json} == {
        ("post_call_survey", op["record_id"], results[0]["message"], device.user.id),
        ("post_call_survey", unknown["record_id"], results[1]["message"], device.user.id)}
    for role in (Role.SUPPLY_MANAGER, Role.RESPONDER_EMT, Role.PROGRAM_LEAD):
        assert signed_in(role).get("/api/v1/field-logs/flagged").status_code == 403


def test_a_survey_on_a_call_moved_to_another_unit_while_the_crew_was_offline_is_not_flagged(
        tablet: MakeTablet, create_unit: Any, create_call: MakeCall, dispatcher: Session) -> None:
    device = tablet()
    call = create_call(device.unit)
    op = survey(device, call)  # answered offline, as the call left the unit
    moved = dispatcher.patch(f"/api/v1/calls/{call.id}", json={"unit_id": create_unit().id})
    assert moved.status_code == 200, moved.json

    [result] = device.push([op]).json["results"]

    assert (result["outcome"], result["message"]) == ("applied", "")
    kept = db.session.get(PostCallSurvey, uuid.UUID(op["record_id"]))
    assert kept is not None
    assert kept.review_reason is None


def test_a_surveys_clinical_text_is_audited(tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    op = survey(device, create_call(device.unit), police_requested="yes",
                police_reason="a weapon was shown", comment="shaken")

    device.push([op])

    [audit] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "post_call_survey")).all()
    assert (audit.after["police_reason"], audit.after["comment"]) == ("a weapon was shown",
                                                                       "shaken")


# --- the unit's other tablet ------------------------------------------------------------------

FIELD_LOGS = ("harm_reduction_entry", "outreach_contact", "post_call_survey")


def _field_logs(changes: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["kind"], c["id"]): c["data"] for c in changes if c["kind"] in FIELD_LOGS}


def test_the_units_other_tablet_sees_the_survey_and_entries_after_its_pull_another_unit_does_not(
        tablet: MakeTablet, create_call: MakeCall, naloxone: SupplyItem, kit_of: Any) -> None:
    device = tablet()
    crewmate = tablet(unit=device.unit)
    other_unit = tablet()
    kit_of(device.unit, naloxone)
    call = create_call(device.unit)
    _, cursor = device.pull_all()
    _, crew_cursor = crewmate.pull_all()
    _, other_cursor = other_unit.pull_all()
    ops = [device.op("outreach_contact", {"place": "bus station"}),
           give(device, quantity=2, call_id=str(call.id)), survey(device, call)]
    assert set(outcomes(device.push(ops))) == {"applied"}

    theirs, _ = crewmate.pull_all(crew_cursor)
    mine, _ = device.pull_all(cursor)
    others, _ = other_unit.pull_all(other_cursor)
    fresh_snapshot, _ = crewmate.pull_all()
    other_snapshot, _ = other_unit.pull_all()

    pushed = {(op["kind"], op["record_id"]) for op in ops}
    assert set(_field_logs(theirs)) == pushed
    assert _field_logs(theirs)[("post_call_survey", ops[2]["record_id"])]["call_id"] == str(call.id)
    assert _field_logs(theirs)[("harm_reduction_entry", ops[1]["record_id"])]["quantity"] == 2
    assert set(_field_logs(fresh_snapshot)) == pushed
    assert _field_logs(mine) == {}  # its push answer acknowledged them
    assert _field_logs(others) == {}
    assert _field_logs(other_snapshot) == {}
    # And it sees the kit's stock move by the two kits given.
    [stock] = [c for c in theirs if c["kind"] == "kit_stock"]
    assert stock["data"]["on_hand"] == KIT_HOLDS - 2


def test_a_supply_manager_reads_no_field_log_whatever_it_may_pull(
        tablet: MakeTablet, create_call: MakeCall, create_user: Callable[..., Any]) -> None:
    device = tablet()
    call = create_call(device.unit)
    device.push([device.op("outreach_contact", {"note": "clinical"}), give(device, call_id=str(call.id)),
                 survey(device, call, debrief_wanted="yes", comment="clinical")])
    manager = create_user(Role.SUPPLY_MANAGER)
    scope = scope_for(db.session, manager, None)

    for source in current_kinds().sources:
        if source.kind in FIELD_LOGS:
            assert source.snapshot(db.session, scope, None, 100) == []
            assert source.count(db.session, scope) == 0
    assert not {r.scope for r in db.session.scalars(sa.select(ChangeLogEntry))} & set(
        scope.feed_scopes) - {ALL_SCOPE}


# --- the program's aggregates -----------------------------------------------------------------

def test_the_survey_summary_counts_answers_skips_and_debriefs(
        tablet: MakeTablet, create_call: MakeCall, signed_in: Callable[..., Session]) -> None:
    device = tablet()
    crewmate = tablet(unit=device.unit)
    third = tablet(unit=device.unit)
    call = create_call(device.unit)
    device.push([survey(device, call, felt_safe="no", police_requested="yes",
                        police_reason="threats", debrief_wanted="yes", comment="private")])
    crewmate.push([survey(crewmate, call)])
    third.push([third.op("post_call_survey", {"call_id": str(call.id),
                                              "skipped_reason": "next call"})])
    lead = signed_in(Role.PROGRAM_LEAD)

    summary = lead.get("/api/v1/surveys/summary", query_string={"unit_id": device.unit.id})

    assert summary.status_code == 200, summary.json
    assert summary.json == {
        "surveys": 3, "answered": 2, "felt_safe": {"yes": 1, "no": 1},
        "police_requested": {"yes": 1, "no": 1}, "debrief_wanted": {"yes": 1, "no": 1},
        "debriefs": {"open": 1, "done": 0}, "skipped": [{"reason": "next call", "count": 1}]}
    assert "private" not in summary.get_data(as_text=True)
    elsewhere = lead.get("/api/v1/surveys/summary", query_string={"unit_id": device.unit.id + 1})
    assert elsewhere.json["surveys"] == 0


def test_the_harm_reduction_summary_counts_doses_responses_and_supplies(
        tablet: MakeTablet, naloxone: SupplyItem, kit_of: Any,
        signed_in: Callable[..., Session]) -> None:
    device = tablet()
    kit_of(device.unit, naloxone)
    device.push([give(device, "naloxone_administered", 2, route="intranasal",
                      response="breathing_restored"),
                 give(device, "naloxone_administered", 1, route="intramuscular",
                      response="ems_took_over"),
                 give(device, quantity=3), give(device, quantity=1),
                 give(device, "sharps_collected", 9)])

    summary = signed_in(Role.SUPERVISOR).get("/api/v1/harm-reduction/summary")

    assert summary.status_code == 200, summary.json
    assert summary.json["naloxone_doses_administered"] == 3
    assert summary.json["naloxone_administrations"] == 2
    assert summary.json["responses"] == {"breathing_restored": 1, "ems_took_over": 1}
    assert summary.json["given"] == [{"category": "naloxone_kit", "entries": 2, "quantity": 4}]
    assert summary.json["sharps_collected"] == 9
    assert summary.json["entries_without_stock_move"] == 2  # no naloxone spray in the catalog


@pytest.mark.parametrize("url", ["/api/v1/surveys/summary", "/api/v1/harm-reduction/summary"])
def test_the_summaries_are_for_the_program_lead_and_supervisor_only(
        url: str, signed_in: Callable[..., Session]) -> None:
    for role in (Role.PROGRAM_LEAD, Role.SUPERVISOR):
        assert signed_in(role).get(url).status_code == 200
    for role in (Role.SUPPLY_MANAGER, Role.RESPONDER_CLINICIAN, Role.DISPATCHER, Role.ADMIN):
        assert signed_in(role).get(url).status_code == 403


@pytest.mark.parametrize("query", [{"from": "yesterday"}, {"to": "2026-01-01T00:00:00"},
                                   {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}])
def test_a_bad_period_is_refused_naming_the_field(query: dict[str, str],
                                                  signed_in: Callable[..., Session]) -> None:
    answer = signed_in(Role.PROGRAM_LEAD).get("/api/v1/harm-reduction/summary",
                                               query_string=query)

    assert answer.status_code == 422
    assert set(answer.json["errors"]["query"]) <= {"from", "to"}
    assert answer.json["errors"]["query"]


def test_a_rejected_entry_a_supervisor_corrects_lands_and_takes_its_stock_once(
        tablet: MakeTablet, naloxone: SupplyItem, kit_of: Any, supervisor: Session) -> None:
    device = tablet()
    kit, _ = kit_of(device.unit, naloxone)
    op = give(device, quantity=2, route="intranasal")  # a route on a kit handed out: refused
    assert outcomes(device.push([op])) == ["rejected"]
    [kept] = db.session.scalars(sa.select(RejectedOp)).all()

    fixed = supervisor.post(f"/api/v1/sync/rejected/{kept.id}/reapply",
                            json={"data": {"route": None}})

    assert fixed.status_code == 200, fixed.json
    assert fixed.json["result"]["outcome"] == "applied"
    assert on_hand(kit) == KIT_HOLDS - 2
    assert outcomes(device.push([op])) == ["applied"]  # the tablet's retry: answered, not redone
    assert on_hand(kit) == KIT_HOLDS - 2
    assert count_rows(HarmReductionEntry) == 1
