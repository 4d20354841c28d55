"""A tablet's own facts come back as the push answer's acknowledgement, not in its pull: the
feed leaves out the points, status taps and notes this device pushed, and still moves past
them; a tap or note whose time the server corrected comes back. The same device is every crew
member on it; a reinstalled tablet is a new device and gets everything. (SQLite and
PostgreSQL.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from server.auth.models import Role, User
from server.calls.models import Call
from tests.fixtures.people import Session
from tests.fixtures.sync import PULL, Tablet, outcomes

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]
FACTS = ("call_status", "call_note", "location_point")


def _facts(changes: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(c["kind"], c["id"]) for c in changes if c["kind"] in FACTS}


def _pushed(ops: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(op["kind"], op["record_id"]) for op in ops}


def _shift_of_work(device: Tablet, call: Call) -> list[dict[str, Any]]:
    ops = [device.status(call, "en_route"), device.note(call, "on our way"),
           *[device.point(lat=35.0 + i / 100) for i in range(12)],
           device.status(call, "on_scene"), device.note(call, "with the caller")]
    assert set(outcomes(device.push(ops))) == {"applied"}
    return ops


def test_a_tablet_does_not_pull_back_what_it_pushed_but_its_crewmates_tablet_does(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    crewmate = tablet(unit=device.unit)
    call = create_call(device.unit)
    _, cursor = device.pull_all()
    _, crew_cursor = crewmate.pull_all()

    ops = _shift_of_work(device, call)
    mine, cursor = device.pull_all(cursor)
    theirs, _ = crewmate.pull_all(crew_cursor)

    assert _facts(mine) == set()
    [pulled_call] = [c for c in mine if c["kind"] == "call"]  # the call's new status still comes
    assert pulled_call["data"]["status"] == "on_scene"
    assert _facts(theirs) == _pushed(ops)
    assert device.pull_all(cursor)[0] == []


def test_small_pages_move_the_cursor_past_the_tablets_own_rows_to_what_came_after(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    crewmate = tablet(unit=device.unit)
    call = create_call(device.unit)
    _, cursor = device.pull_all()
    for _ in range(6):  # six pushes: six location batches in the feed
        assert set(outcomes(device.push([device.point() for _ in range(3)]))) == {"applied"}
    tap = crewmate.status(call, "en_route")
    assert outcomes(crewmate.push([tap])) == ["applied"]

    pages: list[list[dict[str, Any]]] = []
    has_more = True
    while has_more:
        page = device.session.get(PULL, query_string={"limit": 2, "cursor": cursor}).json
        pages.append(page["changes"])
        cursor, has_more = page["cursor"], page["has_more"]
        assert len(pages) < 10

    pulled = [c for changes in pages for c in changes]
    assert _facts(pulled) == {("call_status", tap["record_id"])}
    assert device.pull_all(cursor)[0] == []


def test_crew_members_on_one_tablet_are_one_device_and_neither_pulls_the_others_pushes(
        tablet: MakeTablet, create_call: MakeCall, create_user: Callable[..., User],
        sign_in: Callable[..., Session]) -> None:
    device = tablet()
    partner = Tablet(sign_in(create_user(Role.RESPONDER_EMT, unit=device.unit),
                             device_id=device.session.device_id), device.unit)
    assert partner.session.device_id == device.session.device_id
    call = create_call(device.unit)
    _, cursor = device.pull_all()
    _, partner_cursor = partner.pull_all()

    ops = [device.status(call, "en_route"), device.point()]
    assert set(outcomes(device.push(ops))) == {"applied"}
    partner.next_seq = device.next_seq  # one tablet, one seq
    later = [partner.note(call, "patient calmer"), partner.point()]
    assert set(outcomes(partner.push(later))) == {"applied"}

    assert _facts(device.pull_all(cursor)[0]) == set()
    assert _facts(partner.pull_all(partner_cursor)[0]) == set()


def test_a_reinstalled_tablet_is_a_new_device_and_gets_everything_the_old_install_pushed(
        tablet: MakeTablet, create_call: MakeCall, sign_in: Callable[..., Session]) -> None:
    device = tablet()
    call = create_call(device.unit)
    before = _shift_of_work(device, call)
    reinstalled = Tablet(sign_in(device.user), device.unit)  # no device id: a new device
    assert reinstalled.session.device_id != device.session.device_id

    snapshot, cursor = reinstalled.pull_all()
    after = _shift_of_work(device, call)  # the old install, still signed in, pushes again
    feed, _ = reinstalled.pull_all(cursor)

    assert _facts(snapshot) == _pushed(before)
    assert _facts(feed) >= _pushed(after)


def test_a_fresh_snapshot_holds_the_tablets_own_facts_since_it_replaces_its_whole_copy(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    ops = _shift_of_work(device, create_call(device.unit))

    snapshot, _ = device.pull_all()  # first pull, resync, "rebuild from server"

    assert _facts(snapshot) == _pushed(ops)


def test_a_call_that_comes_back_to_the_unit_brings_the_tablets_own_taps_again(
        tablet: MakeTablet, create_call: MakeCall, create_unit: Callable[..., Any],
        dispatcher: Session) -> None:
    device = tablet()
    call = create_call(device.unit)
    _, cursor = device.pull_all()
    ops = [device.status(call, "en_route"), device.note(call, "on our way")]
    assert set(outcomes(device.push(ops))) == {"applied"}
    dispatcher.patch(f"/api/v1/calls/{call.id}", json={"unit_id": create_unit().id})
    gone, cursor = device.pull_all(cursor)
    assert ("call", str(call.id), "remove") in {(c["kind"], c["id"], c["op"]) for c in gone}

    dispatcher.patch(f"/api/v1/calls/{call.id}", json={"unit_id": device.unit.id})
    back, _ = device.pull_all(cursor)

    assert _facts(back) == _pushed(ops)  # the tablet dropped them with the call


def test_a_call_changed_elsewhere_in_the_same_page_comes_whole(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Session) -> None:
    device = tablet()
    call = create_call(device.unit)
    _, cursor = device.pull_all()
    ops = [device.status(call, "en_route"), device.note(call, "on our way")]
    assert set(outcomes(device.push(ops))) == {"applied"}
    edit = dispatcher.patch(f"/api/v1/calls/{call.id}", json={"disposition": "resolved on scene"})
    assert edit.status_code == 200, edit.json

    changes, _ = device.pull_all(cursor)

    assert _facts(changes) == _pushed(ops)


def test_a_fact_a_supervisor_reapplied_reaches_the_tablet_that_pushed_it(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Session) -> None:
    device = tablet()
    call = create_call(device.unit)
    _, cursor = device.pull_all()
    note = device.note(call, "pasted\x00from the intake form")
    assert outcomes(device.push([note])) == ["rejected"]  # the tablet drops its copy
    kept = {r["op_id"]: r["id"] for r in supervisor.get("/api/v1/sync/rejected").json}
    answer = supervisor.post(f"/api/v1/sync/rejected/{kept[note['id']]}/reapply",
                             json={"data": {"body": "pasted from the intake form"}})
    assert answer.status_code == 200, answer.json

    changes, _ = device.pull_all(cursor)

    assert _facts(changes) == {("call_note", note["record_id"])}


def test_a_tap_whose_time_the_server_corrected_comes_back_to_the_tablet_that_pushed_it(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet(clock_offset=timedelta(hours=3))  # its wall clock runs three hours ahead
    call = create_call(device.unit)
    _, cursor = device.pull_all()
    tap, note = device.status(call, "en_route"), device.note(call, "on our way")
    assert set(outcomes(device.push([tap, note]))) == {"applied"}

    changes, _ = device.pull_all(cursor)

    assert _facts(changes) == _pushed([tap, note])  # the tablet learns the times it shows
