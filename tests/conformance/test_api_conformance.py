"""The conformance cases against the HTTP API, on SQLite and on PostgreSQL.

Each setup name becomes a real unit, call or signed-in tablet (a responder on shift with its
unit); server-side changes are a dispatcher's edits. Every case makes units, people and calls
of its own, and a device sees only its unit's records and its own conflicts, so the cases of
one run share one database (emptied once) instead of paying for an empty one each. HLC
vectors need no server and run in the memory and PWA runners only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from server.calls.models import Call
from server.extensions import db
from server.models_base import utcnow
from server.sync.models import SyncConflict
from server.units.models import Unit
from tests.conformance.cases import (
    GARBAGE_CURSOR,
    Json,
    Names,
    build_ops,
    check_order,
    check_pages,
    check_pull,
    check_results,
    params,
    steps,
    tampered,
)
from tests.conftest import _truncate_all
from tests.fixtures.people import Session
from tests.fixtures.sync import PULL, PUSH, Tablet

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database for every case of this module, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('conformance') / 'heart.sqlite'}"
        return
    url = request.getfixturevalue("pg_database")
    _truncate_all(url)
    yield url


class ApiRun:
    """One case against the app's database (fresh per test)."""

    def __init__(self, setup: Json, tablet: MakeTablet, create_call: MakeCall,
                 create_unit: Callable[..., Unit], dispatcher: Session) -> None:
        self.names = Names()
        self.dispatcher = dispatcher
        self.units = {name: create_unit() for name in setup["units"]}
        self.devices = {name: tablet(unit=self.units[unit])
                        for name, unit in setup["devices"].items()}
        self.cursors: dict[str, str] = {}
        for name, unit in setup.get("calls", {}).items():
            self.names.entities[name] = str(create_call(self.units[unit]).id)
        self.names.setup_versions = {name: self.version_of(cid)
                                     for name, cid in self.names.entities.items()}

    @staticmethod
    def version_of(record_id: str) -> int:
        db.session.expire_all()
        call = db.session.get(Call, uuid.UUID(record_id))
        return call.version if call is not None else 0

    @staticmethod
    def conflict_of(conflict_id: str) -> tuple[str, str]:
        conflict = db.session.get(SyncConflict, uuid.UUID(conflict_id))
        assert conflict is not None
        return conflict.field, conflict.reason

    def push(self, body: Json) -> None:
        device = self.devices[body["device"]]
        version = body.get("protocol_version", 2)
        ops = build_ops(body["ops"], self.names, body["device"], utcnow(), self.version_of,
                        version)
        sent = {"protocol_version": version, "device_time": utcnow().isoformat(),
                "ops": body.get("ops_body", ops)}
        response = device.session.post(PUSH, json=sent)
        want = body.get("expect", {})
        if "refused" in want:
            _check_refused(response, want["refused"], "json")
            return
        assert response.status_code == 200, response.json
        check_results(response.json["results"], body["ops"], self.conflict_of)
        if "last_seq" in want:
            assert response.json["last_seq"] == want["last_seq"]
        for name in want.get("answer_has", []):
            assert name in response.json, name

    def server(self, body: Json) -> None:
        if "edit" in body:
            url = f"/api/v1/calls/{self.names.entities[body['edit']]}"
            answer = self.dispatcher.patch(url, json=body["fields"])
            assert answer.status_code == 200, answer.json
        elif "cancel" in body:
            url = f"/api/v1/calls/{self.names.entities[body['cancel']]}"
            assert self.dispatcher.delete(url).status_code == 204
        else:
            url = f"/api/v1/calls/{self.names.entities[body['move']]}"
            answer = self.dispatcher.patch(url, json={"unit_id": self.units[body["to"]].id})
            assert answer.status_code == 200, answer.json

    def pull(self, body: Json) -> None:
        name, want = body["device"], body["expect"]
        session = self.devices[name].session
        cursor = self.cursors.get(name) if body["from"] == "saved" else None
        if body.get("cursor") == "garbage":
            cursor = GARBAGE_CURSOR
        elif body.get("cursor") == "tampered":
            assert cursor is not None
            cursor = tampered(cursor)
        changes: list[Json] = []
        sizes: list[int] = []
        while True:
            query: dict[str, Any] = {"limit": body["limit"]} if "limit" in body else {}
            if cursor:
                query["cursor"] = cursor
            response = session.get(PULL, query_string=query)
            if "refused" in want:
                _check_refused(response, want["refused"], "query")
                return
            assert response.status_code == 200, response.json
            page = response.json
            for field_name in want.get("answer_has", []):
                assert field_name in page, field_name
            sizes.append(len(page["changes"]))
            changes += page["changes"]
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        self.cursors[name] = cursor
        check_pull(changes, want, self.names)
        check_order(changes, want, self.names)
        check_pages(sizes, want)


def _check_refused(response: Any, want: Json, location: str) -> None:
    assert response.status_code == want["status"], response.json
    if "errors" in want:
        assert sorted(response.json["errors"].get(location, {})) == sorted(want["errors"]), \
            response.json
    if "action" in want:
        assert response.json.get("action") == want["action"], response.json


@pytest.mark.parametrize("case", params("api"))
def test_case(case: Json, tablet: MakeTablet, create_call: MakeCall,
              create_unit: Callable[..., Unit], dispatcher: Session) -> None:
    run = ApiRun(case["setup"], tablet, create_call, create_unit, dispatcher)
    for verb, body in steps(case):
        getattr(run, verb)(body)
