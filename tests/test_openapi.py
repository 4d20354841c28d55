"""The OpenAPI document is valid and complete, and schemathesis finds no server error.

schemathesis 4 needs the app at module level (its fixture form breaks on pytest 9.2), so this
module builds one SQLite app with a small city in a temporary folder removed at the end.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import schemathesis
from flask import Flask
from schemathesis.checks import not_a_server_error, response_schema_conformance
from werkzeug.exceptions import HTTPException

from server.auth import permissions
from server.auth.models import Role
from server.auth.services import create_user
from server.demo import seed_call_types
from server.extensions import db
from server.units.models import Program, Unit
from tests.conftest import make_app
from tests.fixtures.people import PASSWORD, put_on_shift

DEFAULT_ROLE = Role.SUPERVISOR  # may call nearly everything; others are picked per route below
_FOLDER = Path(tempfile.mkdtemp(prefix="heart-openapi-"))
# Collected by every xdist worker, run by one: each removes its own folder at exit.
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)


def _build_app() -> tuple[Flask, dict[Role, dict[str, str]]]:
    app = make_app(f"sqlite:///{_FOLDER / 'heart.sqlite'}")
    app.instance_path = str(_FOLDER)
    headers: dict[Role, dict[str, str]] = {}
    with app.app_context():
        db.create_all()
        seed_call_types(db.session)
        units = [Unit(call_sign=f"U-{p.value}", program=p) for p in Program]
        db.session.add_all(units)
        db.session.flush()
        for role in Role:
            user = create_user(db.session, username=f"{role.value}-api", full_name=role.value,
                               role=role, password=PASSWORD)
            put_on_shift(units[0], user)
        db.session.commit()
        unit_id = units[0].id
    client = app.test_client()
    for role in Role:
        response = client.post("/api/v1/auth/login",
                               json={"username": f"{role.value}-api", "password": PASSWORD})
        assert response.status_code == 200, response.json
        headers[role] = {"Authorization": f"Bearer {response.json['access_token']}"}
    dispatcher = headers[Role.DISPATCHER]
    for n in range(3):
        created = client.post("/api/v1/calls", headers=dispatcher, json={
            "cad_number": f"S{n}", "call_type": "welfare_check", "address": f"{n} Main St",
            "lat": 35.99, "lon": -78.9, "unit_id": unit_id})
        assert created.status_code == 201, created.json
    return app, headers


APP, HEADERS = _build_app()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)


def headers_for(method: str, path: str) -> dict[str, str]:
    """A token of a role the permission table lets through, so the view itself is exercised."""
    try:
        endpoint, _args = APP.url_map.bind("localhost").match(path, method=method)
    except HTTPException:
        return HEADERS[DEFAULT_ROLE]
    rule = permissions.rule_for(endpoint, method)
    if isinstance(rule, frozenset) and DEFAULT_ROLE not in rule:
        return HEADERS[sorted(rule)[0]]
    return HEADERS[DEFAULT_ROLE]


@schema.parametrize()
@hypothesis.settings(max_examples=15, deadline=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck), database=None)
def test_api_never_answers_with_a_server_error(case: Any) -> None:
    # The in-process transport does not decompress, and the app gzips what a client accepts.
    headers = {**headers_for(case.method, case.formatted_path), "Accept-Encoding": "identity"}
    case.call_and_validate(headers=headers,
                           checks=[not_a_server_error, response_schema_conformance])


def test_openapi_document_is_openapi_3_with_the_auth_endpoints() -> None:
    response = APP.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"]
    assert spec["info"]["version"]
    assert "post" in spec["paths"]["/api/v1/auth/login"]
    assert "post" in spec["paths"]["/api/v1/auth/refresh"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, operations in spec["paths"].items():
        assert path.startswith("/api/v1/"), path
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation["responses"], f"{method} {path} documents no response"
            for ref in _refs(operation):
                name = ref.rsplit("/", 1)[1]
                assert name in spec["components"]["schemas"], f"{method} {path}: dangling {ref}"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and value.startswith("#/components/schemas/"):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)
