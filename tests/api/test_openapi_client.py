"""A client that knows only the OpenAPI document (not `sync.client`, not PROTOCOL.md) signs
in, pushes, replays a push whose answer it lost, and pulls; every body it sends and every
answer it gets is checked against the document's schemas (SQLite and PostgreSQL). And a
client generated from the served document by openapi-python-client sees the answers the
protocol acts on (401, 410 resync, 429 with Retry-After) with their bodies."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.auth.models import Role, User
from server.units.models import Unit
from tests.conftest import make_app
from tests.fixtures.people import PASSWORD

# The package the generator writes (a name no other module uses).
GENERATED = "heart_generated_client"
# Generator settings: no formatting hooks (nothing to run but the generator, offline).
GENERATOR_CONFIG = f"post_hooks: []\npackage_name_override: {GENERATED}\n"


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


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client openapi-python-client generates from the document the server serves."""
    folder = tmp_path_factory.mktemp("generated")
    app = make_app(f"sqlite:///{folder / 'document.sqlite'}")
    app.instance_path = str(folder)
    document = folder / "openapi.json"
    document.write_text(json.dumps(app.test_client().get("/api/openapi.json").json))
    config = folder / "config.yaml"
    config.write_text(GENERATOR_CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    subprocess.run([str(generator), "generate", "--path", str(document), "--config", str(config),
                    "--meta", "none", "--output-path", str(folder / GENERATED)],
                   check=True, capture_output=True, timeout=120)
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(GENERATED)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m.split(".")[0] == GENERATED]:
            del sys.modules[name]


def _part(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_a_generated_client_sees_401_410_resync_and_429_with_their_bodies(
        generated: ModuleType, app: Flask, create_unit: Callable[..., Unit],
        create_user: Callable[..., User]) -> None:
    user = create_user(Role.RESPONDER_EMT, unit=create_unit())
    models = _part(generated, "models")
    login = _part(generated, "api.auth.post_api_v1_auth_login")
    refresh = _part(generated, "api.auth.post_api_v1_auth_refresh")
    pull = _part(generated, "api.sync.get_api_v1_sync_pull")
    push = _part(generated, "api.sync.post_api_v1_sync_push")
    transport = httpx.WSGITransport(app=app)
    anonymous = generated.Client(base_url="http://heart.test")
    anonymous.set_httpx_client(httpx.Client(base_url="http://heart.test", transport=transport))

    def signed_in(token: str) -> Any:
        client = generated.AuthenticatedClient(base_url="http://heart.test", token=token)
        return client.set_httpx_client(httpx.Client(
            base_url="http://heart.test", transport=transport,
            headers={"Authorization": f"Bearer {token}"}))

    tokens = login.sync_detailed(client=anonymous,
                                 body=models.Login(username=user.username, password=PASSWORD))
    wrong = login.sync_detailed(client=anonymous,
                                body=models.Login(username=user.username, password="not it"))
    answers = [login.sync_detailed(client=anonymous,
                                   body=models.Login(username=user.username, password="not it"))
               for _ in range(app.config["LOGIN_FREE_FAILURES_PER_NAME"])]
    refused = refresh.sync_detailed(client=signed_in("not a refresh token"))
    device = signed_in(tokens.parsed.access_token)
    gone = pull.sync_detailed(client=device, cursor="edited")
    pushed = push.sync_detailed(client=device, body=models.Push.from_dict(
        {"protocol_version": 2, "device_time": datetime.now(UTC).isoformat(), "ops": []}))

    assert isinstance(tokens.parsed, models.Tokens)
    assert (wrong.status_code, wrong.parsed.action) == (401, models.ErrorAction.LOGIN)
    throttled = answers[-1]
    assert throttled.status_code == 429
    assert isinstance(throttled.parsed, models.Error)
    assert int(throttled.headers["Retry-After"]) >= 1
    assert (refused.status_code, refused.parsed.action) == (401, models.ErrorAction.LOGIN)
    assert (gone.status_code, gone.parsed.action) == (410, models.ErrorAction.RESYNC)
    assert isinstance(pushed.parsed, models.PushResponse)
    assert pushed.parsed.hlc
