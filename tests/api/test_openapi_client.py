"""A client that knows only the OpenAPI document (not `sync.client`, not PROTOCOL.md) signs
in, pushes, replays a push whose answer it lost, and pulls; every body it sends and every
answer it gets is checked against the document's schemas (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
from flask.testing import FlaskClient

from server.auth.models import Role, User
from server.units.models import Unit
from tests.fixtures.people import PASSWORD


class DocumentClient:
    """Paths, methods and body shapes read from /api/openapi.json; bodies and answers checked
    against its schemas (OpenAPI 3.0 `nullable` read as JSON Schema's null type)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.document: dict[str, Any] = client.get("/api/openapi.json").json
        self.components = _json_schema(self.document["components"])
        self.token = ""

    def schema(self, path: str, method: str, part: str) -> dict[str, Any]:
        operation = self.document["paths"][path][method]
        content = (operation["requestBody"] if part == "request"
                   else operation["responses"][part])["content"]["application/json"]
        return _json_schema(content["schema"])

    def check(self, schema: dict[str, Any], body: Any) -> None:
        jsonschema_rs.validate({**schema, "components": self.components}, body)

    def call(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None,
             expect: str = "200") -> Any:
        if body is not None:
            self.check(self.schema(path, method, "request"), body)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.client.open(path, method=method.upper(), json=body, query_string=query,
                                    headers=headers)
        assert str(response.status_code) == expect, response.json
        self.check(self.schema(path, method, expect), response.json)
        return response.json

    def example_operation(self, seq: int, data: dict[str, Any]) -> dict[str, Any]:
        """An op filled in from the Operation schema's own fields, formats and patterns."""
        operation = self.document["components"]["schemas"]["Operation"]
        assert set(operation["required"]) >= {"id", "seq", "hlc", "kind", "action", "record_id",
                                              "device_time", "data"}
        assert "create" in operation["properties"]["action"]["enum"]
        now = datetime.now(UTC)
        return {"id": str(uuid.uuid4()), "seq": seq,
                "hlc": f"{int(now.timestamp() * 1000):013d}-{seq:04d}-docclient",
                "kind": "location_point", "action": "create", "record_id": str(uuid.uuid4()),
                "base_version": None, "device_time": now.isoformat(), "data": data}


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema's `type: [..., "null"]`, everywhere."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") and "type" in node:
        converted["type"] = [node["type"], "null"]
    elif node.get("nullable"):
        converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


def test_a_client_written_from_the_openapi_document_alone_pushes_replays_and_pulls(
        client: FlaskClient, create_unit: Callable[..., Unit],
        create_user: Callable[..., User]) -> None:
    user = create_user(Role.RESPONDER_EMT, unit=create_unit())
    api = DocumentClient(client)
    signed_in = api.call("post", "/api/v1/auth/login",
                         {"username": user.username, "password": PASSWORD})
    api.token = signed_in["access_token"]
    ops = [api.example_operation(seq, {"lat": 35.99, "lon": -78.9 + seq / 1000})
           for seq in (1, 2)]
    push = {"protocol_version": 2, "device_time": datetime.now(UTC).isoformat(), "ops": ops}

    first = api.call("post", "/api/v1/sync/push", push)
    replayed = api.call("post", "/api/v1/sync/push", push)  # the first answer was lost
    changes: list[dict[str, Any]] = []
    page: dict[str, Any] = {"has_more": True}
    query: dict[str, Any] = {}
    while page["has_more"]:
        page = api.call("get", "/api/v1/sync/pull", query=query)
        changes += page["changes"]
        query = {"cursor": page["cursor"]}

    assert [r["outcome"] for r in first["results"]] == ["applied", "applied"]
    assert first["last_seq"] == replayed["last_seq"] == 2
    assert [r["replayed"] for r in replayed["results"]] == [True, True]
    assert [{**r, "replayed": False} for r in replayed["results"]] == first["results"]
    points = {c["id"]: c["data"] for c in changes if c["kind"] == "location_point"}
    assert set(points) == {op["record_id"] for op in ops}
    assert points[ops[1]["record_id"]]["lon"] == ops[1]["data"]["lon"]
