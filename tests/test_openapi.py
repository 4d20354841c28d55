"""The OpenAPI document is valid and complete, and schemathesis finds no server error.

schemathesis 4 needs the app at module level (its fixture form breaks on pytest 9.2), so this
module builds one SQLite app with a small city in a temporary folder removed at the end.
"""

from __future__ import annotations

import atexit
import functools
import json
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
import schemathesis.checks
from flask import Flask

from server.auth.models import Role
from server.auth.services import create_user
from server.demo import seed_call_types
from server.extensions import db
from server.units.models import Program, Unit
from tests.conftest import make_app
from tests.fixtures.databases import SqliteSnapshot
from tests.fixtures.people import PASSWORD, bearer, put_on_shift

_FOLDER = Path(tempfile.mkdtemp(prefix="heart-openapi-"))
# Collected by every xdist worker, run by one: each removes its own folder at exit.
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)


def _build_app() -> tuple[Flask, dict[Role, dict[str, str]]]:
    app = make_app(f"sqlite:///{_FOLDER / 'heart.sqlite'}")
    app.instance_path = str(_FOLDER)
    # The live stream never ends by itself: a short lifetime lets the checks read its answer.
    app.config["STREAM_MAX_SECONDS"] = 0.3
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
        headers[role] = bearer(client, f"{role.value}-api")
    dispatcher = headers[Role.DISPATCHER]
    for n in range(3):
        created = client.post("/api/v1/calls", headers=dispatcher, json={
            "cad_number": f"S{n}", "call_type": "welfare_check", "address": f"{n} Main St",
            "lat": 35.99, "lon": -78.9, "unit_id": unit_id})
        assert created.status_code == 201, created.json
    return app, headers


APP, HEADERS = _build_app()
# The database as built: each stateful example starts there. What one example created (a call
# type's code, a revoked token) would otherwise change what the next draws, which Hypothesis
# reports as flaky data generation.
PRISTINE = SqliteSnapshot(APP)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)
# The two readings of every route that matter most: a responder (the narrowest field role)
# and a supervisor (who may call nearly everything).
ROLES = (Role.RESPONDER_EMT, Role.SUPERVISOR)
schemathesis.checks.load_all_checks()
# Every check schemathesis has but one. positive_data_acceptance wants every request the
# document allows answered 2xx; rules no JSON Schema states answer 422 naming the field
# instead (a program listed twice in a call type's eligibility, a cursor this server never
# issued, a call type code that does not exist), which is the API's contract for them.
# (The response-time check is not a registered one: time is measured by bench/ scripts.)
EXCLUDED = {"positive_data_acceptance"}
CHECK_NAMES = sorted(c.__name__ for c in schemathesis.checks.CHECKS.get_all()
                     if c.__name__ not in EXCLUDED)
CALLS: Counter[str] = Counter()  # requests sent, by phase and role
CHECKED: Counter[str] = Counter()  # responses each check looked at
SERVER_ERRORS: list[str] = []


def _ops_refused_one_by_one(response: Any, case: Any) -> bool:
    """A push whose ops break their schema is answered op by op (PROTOCOL.md): 200 with each
    such op `rejected`, so the valid ones land. That is the push's way of refusing them. Ops
    after a gap in the device's sequence are `deferred` unread (resend from last_seq + 1, when
    they are judged in order): none is taken either."""
    if case.path != "/api/v1/sync/push" or response.status_code != 200:
        return False
    try:
        results = json.loads(response.content).get("results", [])
    except ValueError:  # not JSON: the check itself says what is wrong
        return False
    return bool(results) and all((r["outcome"] == "rejected" and r["errors"])
                                 or r["outcome"] == "deferred" for r in results)


def _counted(check: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(check)
    def run(ctx: Any, response: Any, case: Any) -> Any:
        CHECKED[check.__name__] += 1
        if response.status_code >= 500:
            SERVER_ERRORS.append(f"{case.method} {case.formatted_path}: {response.status_code}")
        if check.__name__ == "negative_data_rejection" and _ops_refused_one_by_one(response, case):
            return None
        return check(ctx, response, case)
    return run


CHECKS = [_counted(c) for c in schemathesis.checks.CHECKS.get_all() if c.__name__ in CHECK_NAMES]
# The in-process transport does not decompress, and the app gzips what a client accepts.
IDENTITY = {"Accept-Encoding": "identity"}


def _stateless_test(operation: Any) -> Callable[..., None]:
    """One test of one operation: its own name, so pytest-xdist (which keys tests by name)
    runs each one; `schema.parametrize()` names every operation's test alike."""
    only = schema.include(method=operation.method.upper(), path=operation.path)

    @pytest.mark.xdist_group("schemathesis")
    @only.parametrize()
    @hypothesis.settings(max_examples=8, deadline=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck), database=None)
    def test(case: Any) -> None:
        for role in ROLES:
            CALLS[f"stateless {role.value}"] += 1
            case.call_and_validate(headers=_headers(case, role), checks=CHECKS)

    return test


for _result in schema.get_all_operations():
    _operation = _result.ok()
    _name = re.sub(r"\W+", "_", f"{_operation.method} {_operation.path}").strip("_").lower()
    globals()[f"test_{_name}_never_answers_with_a_server_error"] = _stateless_test(_operation)


def _headers(case: Any, role: Role) -> dict[str, str]:
    """`role`'s token in place of the generated one; none where schemathesis left the header
    out on purpose (a negative case: the answer must then be 401)."""
    if any(name.lower() == "authorization" for name in case.headers or {}):
        return {**HEADERS[role], **IDENTITY}
    CALLS["without a token"] += 1
    return IDENTITY


def _machine_for(role: Role) -> type[Any]:
    """schemathesis' state machine over the links it infers (a created call's id feeds
    GET/PATCH/DELETE /calls/{call_id}, a call type's its PATCH ...), signed in as `role`."""
    base = schema.as_state_machine()

    class Machine(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            PRISTINE.restore()
            super().__init__()

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            CALLS[f"stateful {role.value}"] += 1
            return {"headers": _headers(case, role)}

        def validate_response(self, response: Any, case: Any,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"),
                                   transport_kwargs=kwargs or None,
                                   recorder=getattr(self, "recorder", None))

    return Machine


@pytest.mark.xdist_group("schemathesis")
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_linked_calls_never_answer_with_a_server_error(role: Role) -> None:
    _machine_for(role).run(settings=hypothesis.settings(
        max_examples=15, stateful_step_count=6, deadline=None, derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck), database=None))


@pytest.mark.xdist_group("schemathesis")
@pytest.mark.last
def test_schemathesis_summary_reports_every_check_and_no_server_error() -> None:
    """Runs after the runs above (same xdist group, marked last); `-s` shows its JSON line."""
    schema.as_state_machine()  # works out the links (also when run alone)
    summary = {"operations": len(list(schema.get_all_operations())),
               "links": schema.statistic.transitions.total, "requests": dict(CALLS),
               "checked": {name: CHECKED[name] for name in CHECK_NAMES},
               "server_errors": len(SERVER_ERRORS)}
    print("\nschemathesis:", json.dumps(summary, sort_keys=True))
    if not CALLS:
        pytest.skip("run with the schemathesis tests above (e.g. the whole module)")
    assert SERVER_ERRORS == []
    assert summary["links"] > 0
    assert all(CHECKED[name] for name in ("not_a_server_error", "response_schema_conformance",
                                          "status_code_conformance", "ignored_auth"))


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
