"""Bad input on every write endpoint: a 4xx naming each bad field, and the database unchanged.

The endpoints and their fields come from the app's own OpenAPI document, so a write endpoint
added later is covered without editing this file (the sync endpoints are tested by their owner).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.auth import permissions
from server.auth.models import Role
from server.calls.models import Call, CallType, Premise
from server.extensions import db
from server.models_base import Base
from tests.fixtures.people import Session

WRITE_METHODS = {"post", "put", "patch", "delete"}
# The gateway's receipts answer 401 to an unsigned body before reading it (a caller without the
# secret learns nothing of the shape); tests/server/notifiers/test_gateway_receipts.py sends
# signed bad bodies.
EXCLUDED_PREFIXES = ("/api/v1/sync", "/api/v1/notifications/receipts")
JSON = {"Content-Type": "application/json"}
# A value of the wrong JSON type for each OpenAPI type.
WRONG_TYPE: dict[str, Any] = {"string": 12345, "integer": "twelve", "number": "north",
                              "boolean": "maybe", "array": "not-a-list", "object": 7}


@dataclass
class WriteEndpoint:
    method: str
    url: str
    endpoint: str
    schema: dict[str, Any] | None  # the JSON body schema, None when the endpoint takes no body

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.url}"

    @property
    def writable(self) -> dict[str, Any]:
        assert self.schema is not None
        return {k: v for k, v in self.schema.get("properties", {}).items() if not v.get("readOnly")}


@dataclass
class World:
    """One of everything a path parameter can point at, plus a signed-in person per role."""

    call_type_id: int
    call_id: str
    device_id: str
    sessions: dict[Role, Session]
    cad_key: str

    def session_for(self, endpoint: str, method: str) -> Session | None:
        rule = permissions.rule_for(endpoint, method.upper())
        if not isinstance(rule, frozenset):
            return None
        return self.sessions[sorted(rule)[0]]

    def headers_for(self, endpoint: str, method: str) -> dict[str, str]:
        """A person's token, or the CAD's key on the CAD's routes."""
        if permissions.rule_for(endpoint, method.upper()) == permissions.CAD_INTEGRATION:
            return {"X-CAD-Key": self.cad_key}
        session = self.session_for(endpoint, method)
        return session.headers if session else {}


def count_rows() -> dict[str, int]:
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables}


def snapshot() -> dict[str, Any]:
    """Row counts of every table, plus the editable fields of the records the writes target."""
    db.session.expire_all()
    call = db.session.scalars(sa.select(Call)).one()
    call_type = db.session.scalars(sa.select(CallType).order_by(CallType.id)).first()
    assert call_type is not None
    return {
        "rows": count_rows(),
        "call": (call.priority, call.narrative, call.unit_id, call.disposition, call.version),
        "call_type": (call_type.name, call_type.default_priority,
                      sorted((e.program.value, e.rank) for e in call_type.eligibility)),
    }


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return dict(spec["components"]["schemas"][name])
    return schema


# A path parameter the world has no record for: a well-formed id of its type (the body is
# checked before the view looks the record up).
PLACEHOLDER_IDS = {"integer": "1", "uuid": "00000000-0000-4000-8000-000000000001"}


def fill_path(path: str, operations: dict[str, Any], world: World) -> str:
    """The path with each parameter set: the world's record where it has one, else an id."""
    values: dict[str, object] = {"call_type_id": world.call_type_id, "call_id": world.call_id,
                                 "device_id": world.device_id}
    for parameter in operations.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] not in values:
            schema = parameter["schema"]
            values[parameter["name"]] = (schema["enum"][0] if "enum" in schema  # any(...)
                                         else PLACEHOLDER_IDS[schema.get("format", schema["type"])])
    return path.format(**values)


def write_endpoints(app: Flask, spec: dict[str, Any], world: World) -> Iterator[WriteEndpoint]:
    rules = {re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", r.rule): r.endpoint
             for r in app.url_map.iter_rules()}
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1") or path.startswith(EXCLUDED_PREFIXES):
            continue
        for method, operation in operations.items():
            if method not in WRITE_METHODS:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            schema = _resolve(spec, body["schema"]) if body else None
            yield WriteEndpoint(method, fill_path(path, operations, world), rules[path], schema)


@pytest.fixture
def world(create_call: Callable[..., Call], create_unit: Callable[..., Any],
          signed_in: Callable[..., Session], cad_key: str) -> World:
    call = create_call(unit=create_unit())
    sessions = {role: signed_in(role) for role in Role}
    call_type_id = db.session.scalars(sa.select(CallType.id).order_by(CallType.id)).first()
    assert call_type_id is not None
    return World(call_type_id, str(call.id), sessions[Role.RESPONDER_EMT].device_id, sessions,
                 cad_key)


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return dict(response.json)


@pytest.fixture
def endpoints(app: Flask, spec: dict[str, Any], world: World) -> list[WriteEndpoint]:
    found = list(write_endpoints(app, spec, world))
    # The generator must see the write endpoints we know of, or every test below is vacuous.
    assert {("auth.Login", "post"), ("auth.Users", "post"), ("calls.CallTypes", "post"),
            ("calls.CallTypeById", "patch"), ("calls.Calls", "post"), ("calls.CallById", "patch"),
            ("calls.CallById", "delete")} <= {(e.endpoint, e.method) for e in found}
    return [e for e in found if e.schema is not None]


def send(client: FlaskClient, world: World, endpoint: WriteEndpoint, data: str) -> Any:
    headers = {**JSON, **world.headers_for(endpoint.endpoint, endpoint.method)}
    return client.open(endpoint.url, method=endpoint.method.upper(), data=data, headers=headers)


def json_errors(response: Any) -> dict[str, Any]:
    body = response.get_json(silent=True) or {}
    return dict(body.get("errors", {}).get("json", {}))


def test_malformed_json_is_400_naming_the_body_and_writes_nothing(
        client: FlaskClient, world: World, endpoints: list[WriteEndpoint]) -> None:
    before = snapshot()
    wrong = []
    for endpoint in endpoints:
        response = send(client, world, endpoint, '{"name": "unterminated')
        if response.status_code != 400 or "json" not in response.json.get("errors", {}):
            wrong.append(f"{endpoint.name}: {response.status_code} {response.json}")
    assert wrong == []
    assert snapshot() == before


def test_a_missing_body_is_422_naming_the_body_and_writes_nothing(
        client: FlaskClient, world: World, endpoints: list[WriteEndpoint]) -> None:
    """A PATCH whose fields are all optional took no body as an empty edit and answered 200."""
    before = snapshot()
    wrong = []
    for endpoint in endpoints:
        for content_type in ("application/json", "text/plain"):
            headers = {"Content-Type": content_type,
                       **world.headers_for(endpoint.endpoint, endpoint.method)}
            response = client.open(endpoint.url, method=endpoint.method.upper(), headers=headers)
            body = response.get_json(silent=True) or {}
            if response.status_code != 422 or "json" not in body.get("errors", {}):
                wrong.append(f"{endpoint.name} ({content_type}): {response.status_code} {body}")
    assert wrong == []
    assert snapshot() == before


def test_unknown_field_is_422_naming_it_and_writes_nothing(
        client: FlaskClient, world: World, endpoints: list[WriteEndpoint]) -> None:
    before = snapshot()
    wrong = []
    for endpoint in endpoints:
        response = send(client, world, endpoint, json.dumps({"is_admin": True}))
        if response.status_code != 422 or "is_admin" not in json_errors(response):
            wrong.append(f"{endpoint.name}: {response.status_code} {response.json}")
    assert wrong == []
    assert snapshot() == before


def test_missing_required_fields_are_422_naming_each_and_write_nothing(
        client: FlaskClient, world: World, endpoints: list[WriteEndpoint]) -> None:
    before = snapshot()
    wrong = []
    with_required = [e for e in endpoints if e.schema and e.schema.get("required")]
    assert len(with_required) >= 4
    for endpoint in with_required:
        assert endpoint.schema is not None
        response = send(client, world, endpoint, "{}")
        missing = set(endpoint.schema["required"]) - set(json_errors(response))
        if response.status_code != 422 or missing:
            wrong.append(f"{endpoint.name}: {response.status_code}, not named: {sorted(missing)}")
    assert wrong == []
    assert snapshot() == before


def test_wrong_types_are_422_naming_each_field_and_write_nothing(
        client: FlaskClient, world: World, endpoints: list[WriteEndpoint]) -> None:
    before = snapshot()
    wrong = []
    for endpoint in endpoints:
        body = {name: WRONG_TYPE[prop.get("type", "object")]
                for name, prop in endpoint.writable.items() if "$ref" not in prop}
        body.update({name: 7 for name, prop in endpoint.writable.items() if "$ref" in prop})
        assert body, endpoint.name
        response = send(client, world, endpoint, json.dumps(body))
        unnamed = set(body) - set(json_errors(response))
        if response.status_code != 422 or unnamed:
            wrong.append(f"{endpoint.name}: {response.status_code}, not named: {sorted(unnamed)}")
    assert wrong == []
    assert snapshot() == before


def test_a_call_refused_by_a_rule_leaves_no_premise_behind(
        world: World) -> None:
    dispatcher = world.sessions[Role.DISPATCHER]
    premises = count_rows()["premises"]
    response = dispatcher.post("/api/v1/calls", json={
        "cad_number": "X-1", "call_type": "no_such_type", "address": "1 Nowhere Ln",
        "lat": 35.9, "lon": -78.9, "unit_id": 999})
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) & {"call_type", "unit_id"}
    assert count_rows()["premises"] == premises
    assert db.session.scalar(sa.select(Premise).where(Premise.address == "1 Nowhere Ln")) is None


def test_duplicate_eligibility_program_is_422_and_the_call_type_is_unchanged(
        world: World) -> None:
    lead = world.sessions[Role.PROGRAM_LEAD]
    before = snapshot()
    response = lead.patch(f"/api/v1/call-types/{world.call_type_id}", json={
        "name": "Renamed", "eligibility": [{"program": "community_response"},
                                           {"program": "community_response", "rank": 2}]})
    assert response.status_code == 422
    assert "eligibility" in response.json["errors"]["json"]
    assert snapshot() == before


# Values no database column stores, per OpenAPI type, as JSON text: PostgreSQL text refuses
# NUL and both drivers a lone surrogate; integer columns are 32 or 64 bits; Python's json reads
# NaN, Infinity and 1e400 (which overflows) as floats that are not numbers.
UNSTORABLE: dict[str, list[str]] = {
    "string": ['"nul\\u0000byte"', '"lone \\ud800 surrogate"'],
    "integer": [str(2**31), str(2**63), str(10**30), "1e400", "NaN"],
    "number": ["NaN", "Infinity", "-Infinity", "1e400", str(10**400)],
}


@pytest.mark.parametrize("openapi_type", sorted(UNSTORABLE))
def test_values_no_database_stores_are_422_naming_each_field_and_write_nothing(
        client: FlaskClient, world: World, endpoints: list[WriteEndpoint],
        openapi_type: str) -> None:
    before = snapshot()
    wrong, tried = [], 0
    for endpoint in endpoints:
        names = [name for name, prop in endpoint.writable.items()
                 if prop.get("type") == openapi_type]
        for value in UNSTORABLE[openapi_type] if names else ():
            body = "{" + ", ".join(f'"{name}": {value}' for name in names) + "}"
            response = send(client, world, endpoint, body)
            tried += 1
            unnamed = set(names) - set(json_errors(response))
            if response.status_code != 422 or unnamed:
                wrong.append(f"{endpoint.name} {value}: {response.status_code}, "
                             f"not named: {sorted(unnamed)}")
    assert tried >= 3  # every type is some endpoint's field, or this test is vacuous
    assert wrong == []
    assert snapshot() == before


QUERY_VALUES = {"string": ["nul%00byte", "%ED%A0%80"], "integer": [str(2**31), str(10**30), "1.5"],
                "boolean": ["%00"]}


def test_query_strings_out_of_range_or_unstorable_are_422_naming_the_parameter(
        client: FlaskClient, world: World, spec: dict[str, Any]) -> None:
    wrong, tried = [], 0
    for path, operations in spec["paths"].items():
        parameters = operations.get("get", {}).get("parameters", [])
        for parameter in (p for p in parameters if p["in"] == "query"):
            url = fill_path(path, operations, world)
            rules = {re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", r.rule): r.endpoint
                     for r in client.application.url_map.iter_rules()}
            headers = world.headers_for(rules[path], "get")
            kind = parameter["schema"].get("type", "string")
            for value in QUERY_VALUES.get(kind, []):
                response = client.get(f"{url}?{parameter['name']}={value}", headers=headers)
                tried += 1
                named = parameter["name"] in (response.json or {}).get("errors", {}).get("query", {})
                # Invalid UTF-8 reads as U+FFFD, which is storable text: any answer but a 500.
                if value == "%ED%A0%80" and response.status_code < 500:
                    continue
                if response.status_code != 422 or not named:
                    wrong.append(f"GET {url}?{parameter['name']}={value}: {response.status_code}")
    assert tried >= 10
    assert wrong == []


@pytest.mark.parametrize("path", [f"/api/v1/call-types/{2**31}", f"/api/v1/call-types/{10**30}",
                                  f"/api/v1/sync/rejected/{2**63}/reapply", "/api/v1/calls/%00"])
def test_path_ids_beyond_their_column_are_404_not_a_server_error(
        world: World, path: str) -> None:
    supervisor = world.sessions[Role.SUPERVISOR]
    assert supervisor.get(path).status_code in {404, 405}
    assert supervisor.post(path, json={"data": {}}).status_code in {404, 405}


@pytest.mark.parametrize("authorization", ["Bearer \x7f", "Bearer " + "x" * 10_000, "Basic Og==",
                                           "Bearer é.é.é", "Bearer a.b.c"])
def test_unreadable_authorization_headers_are_401(client: FlaskClient, world: World,
                                                  authorization: str) -> None:
    response = client.get("/api/v1/auth/me", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json["code"] == 401
