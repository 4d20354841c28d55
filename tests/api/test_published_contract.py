"""What a client written from the OpenAPI document alone relies on, checked against the served
document and the server's answers: who takes which token, the bodies of the answers the
protocol depends on, one rule for an unusable push, protocol 1 in the document, `total` on
every pull page, the server's HLC in push and pull answers, a query the pull does not know,
and the names in a resolve answer (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jsonschema_rs
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from server.calls.models import Call, CallNote
from server.extensions import db
from server.models_base import utcnow
from sync.hlc import MAX_DRIFT_MS, Timestamp
from sync.ops import MAX_PUSH_BATCH
from sync.push import request_errors
from tests.api.test_openapi_client import _json_schema
from tests.fixtures.sync import PULL, PUSH, Tablet, outcomes

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    served: dict[str, Any] = client.get("/api/openapi.json").json
    return served


def _answer(document: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    answer: dict[str, Any] = document["paths"][path][method]["responses"][status]
    return answer


def _schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


def _valid(document: dict[str, Any], name: str, body: Any) -> bool:
    schema = {"$ref": f"#/components/schemas/{name}",
              "components": _json_schema(document["components"])}
    return bool(jsonschema_rs.is_valid(schema, body))


# --- tokens --------------------------------------------------------------------------------

def test_login_takes_no_token_and_refresh_takes_the_refresh_token_in_the_document(
        document: dict[str, Any]) -> None:
    login = document["paths"][LOGIN]["post"]
    refresh = document["paths"][REFRESH]["post"]
    schemes = document["components"]["securitySchemes"]

    assert login["security"] == []
    [needed] = refresh["security"]
    [scheme] = needed
    assert scheme != "bearerAuth"
    assert (schemes[scheme]["type"], schemes[scheme]["scheme"]) == ("http", "bearer")
    assert "refresh token" in schemes[scheme]["description"]
    assert "refresh_token" in refresh["summary"] + refresh.get("description", "")
    assert "requestBody" not in refresh


# --- answers the protocol depends on -------------------------------------------------------

@pytest.mark.parametrize(("path", "method", "status"), [
    (LOGIN, "post", "401"), (LOGIN, "post", "429"), (REFRESH, "post", "401"),
    (PULL, "get", "410"),
])
def test_every_answer_the_protocol_acts_on_has_the_error_body_in_the_document(
        document: dict[str, Any], path: str, method: str, status: str) -> None:
    content = _answer(document, path, method, status)["content"]["application/json"]

    assert content["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_documented_429_of_login_carries_retry_after_in_seconds(
        document: dict[str, Any]) -> None:
    header = _answer(document, LOGIN, "post", "429")["headers"]["Retry-After"]

    assert header["schema"]["type"] == "integer"


def test_every_action_an_error_body_carries_is_in_the_documented_enum(
        document: dict[str, Any]) -> None:
    actions = _schema(document, "Error")["properties"]["action"]["enum"]

    # configure: the CAD's routes only (its key is missing or wrong); a tablet never sees it.
    assert set(actions) == {"refresh", "login", "wipe", "retire", "configure", "resync"}


@pytest.mark.parametrize(("schema", "field", "values"), [
    ("OpResult", "outcome", {"applied", "merged", "conflict", "rejected", "deferred"}),
    ("Change", "op", {"put", "delete", "remove"}),
    ("Conflict", "reason", {"both_changed", "edit_delete", "out_of_scope"}),
])
def test_closed_lists_of_the_protocol_are_enums_in_the_document(
        document: dict[str, Any], schema: str, field: str, values: set[str]) -> None:
    assert set(_schema(document, schema)["properties"][field]["enum"]) == values


# --- an unusable push: one rule --------------------------------------------------------------

@pytest.mark.parametrize(("change", "field"), [
    ({"ops": "x"}, "ops"),
    ({"ops": [1]}, "ops"),
    ({"ops": [{}] * (MAX_PUSH_BATCH + 1)}, "ops"),
    ({"protocol_version": None}, "protocol_version"),
    ({"protocol_version": "2"}, "protocol_version"),
    ({"protocol_version": 3}, "protocol_version"),
])
def test_an_unusable_push_is_refused_whole_with_422_naming_the_field(
        tablet: MakeTablet, change: dict[str, Any], field: str) -> None:
    device = tablet()
    body = {"protocol_version": 2, "device_time": utcnow().isoformat(),
            "ops": [device.point()], **change}
    if body["protocol_version"] is None:
        del body["protocol_version"]

    response = device.session.post(PUSH, json=body)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    assert device.session.get(PULL).json["total"] == 0


@pytest.mark.parametrize("envelope", [
    {"protocol_version": "2", "ops": "x"},
    {"protocol_version": 3, "ops": [1, {}]},
    {"protocol_version": 2, "ops": [{}] * (MAX_PUSH_BATCH + 1)},
], ids=["a_string_version_and_no_list", "an_unknown_version_and_a_number_op", "501_ops"])
def test_an_unusable_push_is_refused_over_http_in_the_engines_own_words(
        tablet: MakeTablet, envelope: dict[str, Any]) -> None:
    device = tablet()

    response = device.session.post(PUSH, json={"device_time": utcnow().isoformat(), **envelope})

    assert response.status_code == 422, response.json
    assert response.json["errors"]["json"] == request_errors(envelope)


# --- protocol 1 ------------------------------------------------------------------------------

def _v1(op: dict[str, Any]) -> dict[str, Any]:
    """A protocol-2 op as the previous app version sent it."""
    moved = {k: v for k, v in op.items() if k not in ("kind", "action", "device_time")}
    ts = int(utcnow().timestamp() * 1000)
    return {**moved, "type": f"{op['kind']}.{op['action']}", "ts": ts}


def test_a_protocol_1_push_is_valid_by_the_document_and_applied(
        document: dict[str, Any], tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    ops = [_v1(device.status(call, "en_route")), _v1(device.point())]
    body = {"protocol_version": 1, "device_time": utcnow().isoformat(), "ops": ops}

    assert _valid(document, "Push", body)
    assert not _valid(document, "Push", {**body, "ops": [{"type": "call_status.create"}]})
    assert outcomes(device.push(ops, protocol_version=1)) == ["applied", "applied"]


def test_a_protocol_2_push_is_still_valid_by_the_document(
        document: dict[str, Any], tablet: MakeTablet) -> None:
    device = tablet()
    body = {"protocol_version": 2, "device_time": utcnow().isoformat(),
            "ops": [device.point()]}

    assert _valid(document, "Push", body)
    assert not _valid(document, "Push", {**body, "protocol_version": "2"})


# --- pull ------------------------------------------------------------------------------------

def test_every_pull_page_says_how_many_changes_are_still_to_come(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    calls = [create_call(device.unit) for _ in range(3)]
    device.push([device.note(call, "on the way") for call in calls])

    def pages(cursor: str | None) -> tuple[list[tuple[int, int]], str]:
        seen = []
        while True:
            query: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = device.session.get(PULL, query_string=query).json
            seen.append((page["total"], len(page["changes"])))
            cursor = page["cursor"]
            if not page["has_more"]:
                return seen, cursor

    snapshot, cursor = pages(None)
    crewmate = tablet(unit=device.unit)  # a device's own pushes do not come back to it
    crewmate.push([crewmate.point() for _ in range(5)])
    feed, _ = pages(cursor)

    for seen in (snapshot, feed):
        served = [n for _, n in seen]
        assert [total for total, _ in seen] == [sum(served[i:]) for i in range(len(served))]
    assert len(snapshot) > 2
    assert len(feed) > 1


def test_pull_refuses_query_parameters_it_does_not_know_naming_each(
        tablet: MakeTablet) -> None:
    response = tablet().session.get(PULL, query_string={"limit": 5, "since": 3, "page": 2})

    assert response.status_code == 422
    assert set(response.json["errors"]["query"]) == {"since", "page"}


# --- the server's clock ----------------------------------------------------------------------

def _wall_ms(at: Any) -> int:
    return int(at.timestamp() * 1000)


def test_push_and_pull_answers_carry_the_servers_hlc_at_least_its_clock(
        document: dict[str, Any], tablet: MakeTablet) -> None:
    device = tablet()
    before = _wall_ms(utcnow())

    pushed = device.push([device.point()]).json
    pulled = device.session.get(PULL).json

    stamps = [Timestamp.parse(pushed["hlc"]), Timestamp.parse(pulled["hlc"])]
    assert all(stamp.wall_ms >= before for stamp in stamps)
    assert stamps[0] < stamps[1]
    assert _valid(document, "PushResponse", pushed)
    assert _valid(document, "PullResponse", pulled)


def test_an_op_whose_hlc_is_hours_ahead_of_the_server_is_clamped_to_the_allowed_drift(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    note = device.note(call, "the tablet's clock runs three hours ahead")
    ahead = _wall_ms(utcnow() + timedelta(hours=3))
    note["hlc"] = f"{ahead:013d}-0007-{device.session.device_id[:8]}"
    before = _wall_ms(utcnow())

    answer = device.push([note])
    after = _wall_ms(utcnow())

    assert outcomes(answer) == ["applied"]
    stored = Timestamp.parse(db.session.scalar(sa.select(CallNote.hlc)) or "")
    assert before + MAX_DRIFT_MS <= stored.wall_ms <= after + MAX_DRIFT_MS
    assert (stored.counter, stored.node) == (7, device.session.device_id[:8])
    assert Timestamp.parse(answer.json["hlc"]) > stored


def test_an_op_within_the_allowed_drift_keeps_its_hlc(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    note = device.note(call, "a few seconds ahead")
    sent = f"{_wall_ms(utcnow() + timedelta(seconds=5)):013d}-0000-{device.session.device_id[:8]}"
    note["hlc"] = sent

    device.push([note])

    assert db.session.scalar(sa.select(CallNote.hlc)) == sent


# --- conflicts -------------------------------------------------------------------------------

def test_the_resolve_answer_names_who_changed_the_server_value_as_the_list_does(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    first = tablet()
    second = tablet(unit=first.unit)
    call = create_call(first.unit)
    base = call.version
    first.push([first.edit(call, base, disposition="transported")])
    pushed = second.push([second.edit(call, base, disposition="refused care")])
    [conflict_id] = pushed.json["results"][0]["conflict_ids"]
    [listed] = second.session.get("/api/v1/sync/conflicts").json

    resolved = second.session.post(f"/api/v1/sync/conflicts/{conflict_id}/resolve",
                                   json={"choice": "server"})

    assert resolved.status_code == 200, resolved.json
    assert listed["server_changed_by"] == first.user.full_name
    assert resolved.json["server_changed_by"] == listed["server_changed_by"]
