"""A record kind plugs into sync from its own package, with no engine edit.

The toy package (tests/plugins/toy) registers a fact kind seen by units near its point
and a document kind seen by a role; the app lists it in SYNC_KINDS like any feature.
Through the API, on SQLite and PostgreSQL: push, replay, pull, removal when a record
leaves the device's scope, a both-changed conflict (one per field) and its resolution,
an edit of a deleted record.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from server.auth.models import Role, User
from server.config import Config
from server.extensions import db
from server.sync.kinds import KindRegistry, SyncedKind
from server.units.models import Unit
from tests.conftest import make_app
from tests.fixtures.people import Session
from tests.fixtures.sync import Tablet, outcomes
from tests.plugins import toy

MakeTablet = Callable[..., Tablet]
# Two points about 1 km apart, and one about 100 km away.
HERE = (35.9940, -78.8986)
NEARBY = (36.0030, -78.8986)
FAR = (36.9000, -78.8986)


@pytest.fixture
def app(database_url: str, tmp_path: Any) -> Iterator[Flask]:
    app = make_app(database_url, SYNC_KINDS=[*Config.SYNC_KINDS, "tests.plugins.toy"])
    app.instance_path = str(tmp_path)
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        toy.metadata.create_all(db.engine)
        try:
            yield app
        finally:
            db.session.remove()
            toy.metadata.drop_all(db.engine)
            toy.bases.clear()
            db.engine.dispose()


@pytest.fixture
def field_tablet(create_unit: Callable[..., Unit], create_user: Callable[..., User],
                 sign_in: Callable[..., Session]) -> MakeTablet:
    """field_tablet() -> a responder on shift on a new unit, signed in on a new device (this
    directory's `tablet` is the reference client's)."""
    made = itertools.count(1)

    def factory(role: Role = Role.RESPONDER_EMT) -> Tablet:
        unit = create_unit()
        user = create_user(role, username=f"toycrew{next(made)}", unit=unit)
        return Tablet(sign_in(user), unit)
    return factory


def _kinds(changes: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in changes if c["kind"] == kind}


def _sighting(device: Tablet, where: tuple[float, float], note: str) -> dict[str, Any]:
    return device.op("toy_sighting", {"lat": where[0], "lon": where[1], "note": note})


def _rows(table: sa.Table) -> list[Any]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(table)).all())


def _board(board_id: str) -> Any:
    db.session.expire_all()
    return db.session.execute(sa.select(toy.boards).where(
        toy.boards.c.id == uuid.UUID(board_id))).one()


def test_a_plugged_in_fact_is_stored_once_replayed_and_pulled_by_units_near_it(
        field_tablet: MakeTablet) -> None:
    crew, neighbour, distant = field_tablet(), field_tablet(), field_tablet()
    assert crew.unit is not None
    assert neighbour.unit is not None
    assert distant.unit is not None
    toy.bases.update({crew.unit.id: HERE, neighbour.unit.id: NEARBY, distant.unit.id: FAR})

    ops = [_sighting(crew, HERE, "needle bin full"), _sighting(crew, FAR, "far away")]
    assert outcomes(crew.push(ops)) == ["applied", "applied"]
    replay = crew.push(ops).json["results"]
    assert [(r["outcome"], r["replayed"]) for r in replay] == [("applied", True)] * 2
    assert len(_rows(toy.sightings)) == 2

    seen_near, _ = neighbour.pull_all()
    assert {c["data"]["note"] for c in _kinds(seen_near, "toy_sighting").values()} == {
        "needle bin full"}
    seen_far, _ = distant.pull_all()
    assert {c["data"]["note"] for c in _kinds(seen_far, "toy_sighting").values()} == {"far away"}

    _, cursor = neighbour.pull_all()
    later = _sighting(crew, NEARBY, "second bin")
    assert outcomes(crew.push([later])) == ["applied"]
    fed, _ = neighbour.pull_all(cursor)
    assert [(c["kind"], c["id"], c["op"]) for c in fed] == [
        ("toy_sighting", later["record_id"], "put")]


def test_a_bad_plugged_in_fact_is_rejected_naming_its_field_and_writes_nothing(
        field_tablet: MakeTablet) -> None:
    crew = field_tablet()
    bad = crew.op("toy_sighting", {"lat": 91, "lon": 0, "note": "x"})
    result = crew.push([bad]).json["results"][0]
    assert result["outcome"] == "rejected"
    assert set(result["errors"]) == {"data.lat"}
    assert _rows(toy.sightings) == []


def test_a_plugged_in_document_is_seen_by_its_role_and_removed_when_readdressed(
        field_tablet: MakeTablet, create_user: Callable[..., User]) -> None:
    crew = field_tablet(role=Role.RESPONDER_EMT)
    dispatcher = create_user(Role.DISPATCHER, username="toydispatch")
    board_id = toy.create_board(db.session, dispatcher, "responder_emt", "Shift notes", "")
    other = toy.create_board(db.session, dispatcher, "responder_peer", "For peers", "")
    db.session.commit()

    snapshot, cursor = crew.pull_all()
    assert set(_kinds(snapshot, "toy_board")) == {board_id}
    assert _kinds(snapshot, "toy_board")[board_id]["version"] == 1

    toy.readdress_board(db.session, dispatcher, board_id, "responder_peer")
    db.session.commit()
    fed, _ = crew.pull_all(cursor)
    assert [(c["kind"], c["id"], c["op"]) for c in fed] == [("toy_board", board_id, "remove")]
    peer = field_tablet(role=Role.RESPONDER_PEER)
    seen, _ = peer.pull_all()
    assert set(_kinds(seen, "toy_board")) == {board_id, other}


def test_a_plugged_in_document_edit_clashing_on_two_fields_opens_two_conflicts_then_resolves(
        field_tablet: MakeTablet, create_user: Callable[..., User]) -> None:
    crew = field_tablet(role=Role.RESPONDER_EMT)
    dispatcher = create_user(Role.DISPATCHER, username="toydispatch")
    board_id = toy.create_board(db.session, dispatcher, "responder_emt", "Plan", "Go north")
    db.session.commit()
    _, cursor = crew.pull_all()
    toy.edit_board(db.session, dispatcher, board_id, title="Plan B", body="Go south")
    db.session.commit()

    edit = crew.op("toy_board", {"title": "Plan C", "body": "Go east"}, action="update",
                   record_id=board_id, base_version=1)
    result = crew.push([edit]).json["results"][0]
    assert result["outcome"] == "conflict"
    assert len(result["conflict_ids"]) == 2
    assert result["record"]["title"] == "Plan B"  # the server keeps its value meanwhile
    assert (_board(board_id).title, _board(board_id).body) == ("Plan B", "Go south")

    listed = crew.session.get("/api/v1/sync/conflicts").json
    by_field = {c["field"]: c for c in listed}
    assert set(by_field) == {"title", "body"}
    assert {c["record_kind"] for c in listed} == {"toy_board"}
    assert by_field["title"]["server_value"] == "Plan B"
    assert by_field["title"]["device_value"] == "Plan C"
    assert by_field["title"]["reason"] == "both_changed"

    too_long = crew.session.post(f"/api/v1/sync/conflicts/{by_field['title']['id']}/resolve",
                                 json={"choice": "value", "value": "x" * 101})
    assert too_long.status_code == 422
    assert _board(board_id).title == "Plan B"

    took = crew.session.post(f"/api/v1/sync/conflicts/{by_field['title']['id']}/resolve",
                             json={"choice": "device"})
    assert took.status_code == 200, took.json
    kept = crew.session.post(f"/api/v1/sync/conflicts/{by_field['body']['id']}/resolve",
                             json={"choice": "server"})
    assert kept.status_code == 200, kept.json
    assert (_board(board_id).title, _board(board_id).body) == ("Plan C", "Go south")

    fed, _ = crew.pull_all(cursor)
    boards = _kinds(fed, "toy_board")
    assert boards[board_id]["data"]["title"] == "Plan C"
    assert {c["op"] for c in _kinds(fed, "conflict").values()} == {"delete"}


def test_a_plugged_in_document_edited_after_deletion_opens_one_conflict_per_field(
        field_tablet: MakeTablet, create_user: Callable[..., User]) -> None:
    crew = field_tablet(role=Role.RESPONDER_EMT)
    dispatcher = create_user(Role.DISPATCHER, username="toydispatch")
    board_id = toy.create_board(db.session, dispatcher, "responder_emt", "Plan", "Go north")
    db.session.commit()
    toy.delete_board(db.session, board_id)
    db.session.commit()

    edit = crew.op("toy_board", {"title": "Plan C", "body": "Go east"}, action="update",
                   record_id=board_id, base_version=1)
    result = crew.push([edit]).json["results"][0]
    assert result["outcome"] == "conflict"
    listed = crew.session.get("/api/v1/sync/conflicts").json
    assert sorted((c["field"], c["reason"], c["resolvable_by"]) for c in listed) == [
        ("body", "edit_delete", "supervisor"), ("title", "edit_delete", "supervisor")]
    assert len(result["conflict_ids"]) == 2


def test_a_kind_registered_twice_is_refused() -> None:
    kinds = KindRegistry()
    toy.register(kinds)
    with pytest.raises(ValueError, match="toy_sighting"):
        kinds.register(SyncedKind(toy.SIGHTING, applier=kinds.applier("toy_sighting")))


def test_a_kind_devices_push_without_an_applier_is_refused() -> None:
    with pytest.raises(ValueError, match="give it an applier"):
        KindRegistry().register(SyncedKind(toy.SIGHTING))
