"""Pull scenarios through the HTTP API: snapshot paging, the feed after it, cursors, scope."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from server.calls.models import Call
from server.extensions import db
from server.jobs import run_job
from server.models_base import utcnow
from server.sync.models import ChangeLogEntry
from server.sync.services import purge_feed
from tests.conftest import make_app
from tests.fixtures.sync import PULL, Tablet, outcomes

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]


def _busy_unit(device: Tablet, create_call: MakeCall, calls: int = 4) -> list[Call]:
    made = [create_call(device.unit) for _ in range(calls)]
    ops = []
    for call in made:
        ops += [device.status(call, "en_route"), device.note(call, "first note"),
                device.note(call, "second note")]
    ops += [device.point() for _ in range(3)]
    assert set(outcomes(device.push(ops))) == {"applied"}
    return made


def _keys(changes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(c["kind"], c["id"]) for c in changes]


def test_snapshot_pages_return_every_record_exactly_once_then_the_feed_continues(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    calls = _busy_unit(device, create_call)
    whole, _ = device.pull_all(limit=5000)

    pages, cursor, totals = [], None, []
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = device.session.get(PULL, query_string=params).json
        assert len(page["changes"]) <= 3
        pages.append(page["changes"])
        totals.append(page["total"])
        cursor = page["cursor"]
        if not page["has_more"]:
            break

    paged = [key for changes in pages for key in _keys(changes)]
    assert len(pages) > 5
    assert Counter(paged).most_common(1)[0][1] == 1
    assert sorted(paged) == sorted(_keys(whole))
    assert totals[0] == len(paged)
    assert {k for k, _ in paged} >= {"call", "premise", "call_status", "call_note",
                                     "location_point"}

    crewmate = tablet(unit=device.unit)
    later = crewmate.note(calls[0], "after the snapshot")
    crewmate.push([later])
    feed, cursor = device.pull_all(cursor)
    assert ("call_note", later["record_id"]) in _keys(feed)
    again, _ = device.pull_all(cursor)
    assert again == []


def test_a_change_made_while_the_snapshot_is_paged_is_not_lost(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    calls = _busy_unit(device, create_call)
    crewmate = tablet(unit=device.unit)
    first = device.session.get(PULL, query_string={"limit": 2}).json
    late = crewmate.note(calls[-1], "written during the first pull")
    crewmate.push([late])

    rest, cursor = device.pull_all(first["cursor"], limit=2)
    feed, _ = device.pull_all(cursor)

    assert ("call_note", late["record_id"]) in _keys(first["changes"] + rest + feed)


def _resync(response: Any) -> None:
    assert response.status_code == 410, response.json
    assert response.json["action"] == "resync"
    assert "resync" in response.json["message"]


def test_a_cursor_from_another_unit_is_410_resync(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    mine, theirs = tablet(), tablet()
    _busy_unit(theirs, create_call, calls=1)
    _, cursor = theirs.pull_all()

    _resync(mine.session.get(PULL, query_string={"cursor": cursor}))


def test_a_cursor_after_the_scope_changed_is_410_resync(
        tablet: MakeTablet, create_call: MakeCall, create_unit: Callable[..., Any]) -> None:
    from tests.fixtures.people import put_on_shift

    device = tablet()
    _, cursor = device.pull_all()
    other = create_unit()
    db.session.query(  # the responder moves to another unit's shift
        __import__("server.units.models", fromlist=["ShiftMember"]).ShiftMember).filter_by(
        user_id=device.user.id).delete()
    put_on_shift(other, device.user)
    db.session.commit()

    _resync(device.session.get(PULL, query_string={"cursor": cursor}))


@pytest.mark.parametrize("cursor", [
    "not a cursor!", "e30", base64.urlsafe_b64encode(b'{"v":1,"p":-4,"s":"x"}').decode(),
    base64.urlsafe_b64encode(json.dumps({"v": 1, "p": 0, "s": "x", "su": "x"}).encode()).decode(),
])
def test_a_cursor_the_server_cannot_read_is_410_resync(tablet: MakeTablet, cursor: str) -> None:
    device = tablet()
    _resync(device.session.get(PULL, query_string={"cursor": cursor}))


def test_a_cursor_longer_than_the_document_allows_is_422_naming_cursor(
        tablet: MakeTablet) -> None:
    response = tablet().session.get(PULL, query_string={"cursor": "x" * 2000})
    assert response.status_code == 422
    assert "cursor" in response.json["errors"]["query"]


def test_an_edited_cursor_position_is_410_resync_not_a_replay_of_the_feed(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    _busy_unit(device, create_call, calls=1)
    _, cursor = device.pull_all()
    body, signature = cursor.split(".")
    state = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    rewound = base64.urlsafe_b64encode(json.dumps({**state, "p": 0}).encode()).decode()

    _resync(device.session.get(PULL, query_string={"cursor": f"{rewound.rstrip('=')}.{signature}"}))


def test_an_old_cursor_after_tombstones_were_purged_is_410_resync(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Any) -> None:
    device = tablet()
    calls = _busy_unit(device, create_call, calls=2)
    _, cursor = device.pull_all()
    dispatcher.delete(f"/api/v1/calls/{calls[0].id}")
    dispatcher.patch(f"/api/v1/calls/{calls[1].id}", json={"priority": 1})
    device.push([device.point()])
    purge_feed(db.session, timedelta(0))
    db.session.commit()

    _resync(device.session.get(PULL, query_string={"cursor": cursor}))
    fresh, _ = device.pull_all()
    assert str(calls[0].id) not in {c["id"] for c in fresh if c["kind"] == "call"}


def test_a_cursor_older_than_sync_retention_days_is_410(
        database_url: str, tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    _, cursor = device.pull_all()
    for _ in range(3):
        device.push([device.point()])
    short = make_app(database_url, SYNC_RETENTION_DAYS=0)
    # The hourly job, keeping 0 days (the newest row stays).
    assert run_job(short, "feed_purge").summary["feed_rows"] == 2
    with short.app_context():
        db.engine.dispose()
    _resync(device.session.get(PULL, query_string={"cursor": cursor}))


def test_deleted_call_arrives_as_a_tombstone_with_its_facts_removed(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Any) -> None:
    device = tablet()
    [call] = _busy_unit(device, create_call, calls=1)
    _, cursor = device.pull_all()
    assert dispatcher.delete(f"/api/v1/calls/{call.id}").status_code == 204

    changes, _ = device.pull_all(cursor)

    ops = {(c["kind"], c["id"]): c["op"] for c in changes}
    assert ops[("call", str(call.id))] == "delete"
    assert [op for (kind, _), op in ops.items() if kind in ("call_status", "call_note")] == \
        ["remove"] * 3


def test_a_field_responder_cannot_pull_another_units_calls(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Any) -> None:
    mine, theirs = tablet(), tablet()
    [their_call] = _busy_unit(theirs, create_call, calls=1)
    _, cursor = mine.pull_all()
    dispatcher.patch(f"/api/v1/calls/{their_call.id}", json={"priority": 1})
    theirs.push([theirs.note(their_call, "private to their unit"), theirs.point()])

    snapshot, _ = mine.pull_all()
    feed, _ = mine.pull_all(cursor)

    seen = {c["id"] for c in snapshot + feed}
    assert str(their_call.id) not in seen
    assert not [c for c in snapshot + feed
                if c["kind"] in ("call", "call_status", "call_note", "location_point",
                                 "premise", "conflict")]
    assert mine.session.get(f"/api/v1/calls/{their_call.id}").status_code == 403


# A supply manager pulls the supply feed (tests/server/supplies/test_supply_sync.py).
@pytest.mark.parametrize("role", ["dispatcher", "program_lead"])
def test_office_roles_cannot_pull(signed_in: Callable[..., Any], role: str) -> None:
    from server.auth.models import Role

    assert signed_in(Role(role)).get(PULL).status_code == 403


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 5001}, {"limit": "ten"}, {"cursor": ""}])
def test_bad_pull_queries_are_422_naming_the_field(tablet: MakeTablet, query: dict[str, Any]) -> None:
    response = tablet().session.get(PULL, query_string=query)
    assert response.status_code == 422
    assert set(response.json["errors"]["query"]) == set(query)


def test_a_call_that_comes_back_brings_the_facts_removed_while_it_was_away(
        tablet: MakeTablet, create_call: MakeCall, create_unit: Callable[..., Any],
        dispatcher: Any) -> None:
    # A tablet's status, tapped before the call left its unit and pushed after, lands and is
    # fed as a remove; when the call comes back in the same feed page, its put must win over
    # that older remove.
    device = tablet()
    crewmate = tablet(unit=device.unit)
    call = create_call(device.unit)
    _, cursor = crewmate.pull_all()
    tap = device.status(call, "on_scene", device_time=utcnow() - timedelta(minutes=1))
    away = create_unit()
    dispatcher.patch(f"/api/v1/calls/{call.id}", json={"unit_id": away.id})
    assert outcomes(device.push([tap])) == ["applied"]
    dispatcher.patch(f"/api/v1/calls/{call.id}", json={"unit_id": device.unit.id})

    changes, _ = crewmate.pull_all(cursor)

    final: dict[tuple[str, str], str] = {}
    for change in changes:
        final[(change["kind"], change["id"])] = change["op"]
    assert final[("call", str(call.id))] == "put"
    assert final[("call_status", tap["record_id"])] == "put"


def test_a_push_of_points_is_one_feed_row_and_another_tablet_pulls_every_point_once(
        tablet: MakeTablet) -> None:
    mine = tablet()
    other = tablet(unit=mine.unit)
    outsider = tablet()
    _, cursor = other.pull_all()
    _, outsider_cursor = outsider.pull_all()
    pushes = [[mine.point(lat=30.0 + i) for i in range(n)] for n in (7, 1, 12)]
    for ops in pushes:
        assert set(outcomes(mine.push(ops))) == {"applied"}
    batches = db.session.scalars(sa.select(ChangeLogEntry.kind).where(
        ChangeLogEntry.kind.in_(["location_batch", "location_point"]))).all()
    assert batches == ["location_batch"] * 3

    pages, has_more = [], True
    while has_more:
        page = other.session.get(PULL, query_string={"limit": 5, "cursor": cursor}).json
        pages.append(page["changes"])
        cursor, has_more = page["cursor"], page["has_more"]

    points = [c for changes in pages for c in changes if c["kind"] == "location_point"]
    assert sorted(c["id"] for c in points) == sorted(op["record_id"] for ops in pushes
                                                      for op in ops)
    assert {c["op"] for c in points} == {"put"}
    assert {c["data"]["lat"] for c in points} == {30.0 + i for i in range(12)}
    assert len(pages) >= 3  # a batch is never split, and pages hold whole batches
    assert other.pull_all(cursor)[0] == []
    assert not [c for c in outsider.pull_all(outsider_cursor)[0] if c["kind"] == "location_point"]


def test_a_call_and_its_companions_share_a_page_and_small_pages_skip_nothing(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    mine = tablet()
    other = tablet(unit=mine.unit)
    calls = [create_call(mine.unit) for _ in range(3)]
    _, cursor = other.pull_all()
    ops = [op for call in calls for op in (mine.status(call, "en_route"),
                                           mine.note(call, "on our way"))]
    assert set(outcomes(mine.push(ops))) == {"applied"}

    pages, has_more = [], True
    while has_more:
        page = other.session.get(PULL, query_string={"limit": 2, "cursor": cursor}).json
        pages.append(page["changes"])
        cursor, has_more = page["cursor"], page["has_more"]

    facts = [(c["kind"], c["id"]) for changes in pages for c in changes
             if c["kind"] in ("call_status", "call_note")]
    assert Counter(facts).most_common(1)[0][1] == 1
    assert sorted(facts) == sorted((op["kind"], op["record_id"]) for op in ops)
    for changes in pages:  # a call put comes with its status events and notes
        for call in [c for c in changes if c["kind"] == "call"]:
            with_it = {(c["kind"], c["id"]) for c in changes}
            mine_ops = [op for op in ops if op["data"]["call_id"] == call["id"]]
            assert {(op["kind"], op["record_id"]) for op in mine_ops} <= with_it
    assert other.pull_all(cursor)[0] == []
