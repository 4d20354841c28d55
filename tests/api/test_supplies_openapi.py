"""schemathesis on the supply routes, signed in as a supply manager and as a responder on the
kit's unit, over a stocked stockroom (tests/test_openapi.py signs in roles that are refused
every supply write): no server error, answers as documented.

Like tests/test_openapi.py it builds its app at module level (schemathesis 4 needs that), on
SQLite in a temporary folder removed at exit; each example starts from the database as built.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
import schemathesis.checks

from server.auth.models import Role
from server.auth.services import create_user
from server.extensions import db
from server.supplies.models import LedgerReason, ParLevel
from server.units.models import Program, Unit
from tests.conftest import make_app
from tests.fixtures.databases import SqliteSnapshot
from tests.fixtures.people import PASSWORD, bearer, put_on_shift
from tests.fixtures.supplies import make_stockroom

_FOLDER = Path(tempfile.mkdtemp(prefix="heart-supplies-openapi-"))
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)
ROLES = (Role.SUPPLY_MANAGER, Role.RESPONDER_EMT)


def _build_app() -> tuple[Any, dict[Role, dict[str, str]]]:
    app = make_app(f"sqlite:///{_FOLDER / 'heart.sqlite'}")
    app.instance_path = str(_FOLDER)
    with app.app_context():
        db.create_all()
        unit = Unit(call_sign="SUP-1", program=Program.COMMUNITY_RESPONSE)
        db.session.add(unit)
        db.session.flush()
        for role in ROLES:
            user = create_user(db.session, username=role.value, full_name=role.value, role=role,
                               password=PASSWORD)
            put_on_shift(unit, user)
        db.session.commit()
        room = make_stockroom(unit)
        room.move(room.warehouse, room.late_lot, 40, LedgerReason.RECEIVE)
        room.move(room.kit, room.early_lot, 4, LedgerReason.RECEIVE)
        room.move(room.kit, room.strips_lot, -1, LedgerReason.DISTRIBUTE)  # a discrepancy
        db.session.add(ParLevel(location_id=room.kit.id, item_id=room.naloxone.id, par=6))
        db.session.commit()
    client = app.test_client()
    headers = {}
    for role in ROLES:
        # The in-process transport does not unzip.
        headers[role] = {**bearer(client, role.value), "Accept-Encoding": "identity"}
    return app, headers


APP, HEADERS = _build_app()
PRISTINE = SqliteSnapshot(APP)  # each example starts from the database as built


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)
schemathesis.checks.load_all_checks()
# As in tests/test_openapi.py: rules no JSON Schema states (a location that does not exist, more
# than the source holds) answer 4xx naming the field, which positive_data_acceptance calls wrong.
CHECKS = [c for c in schemathesis.checks.CHECKS.get_all() if c.__name__ != "positive_data_acceptance"]


def _stateless_test(operation: Any) -> Callable[..., None]:
    only = schema.include(method=operation.method.upper(), path=operation.path)

    @pytest.mark.xdist_group("schemathesis-supplies")
    @only.parametrize()
    @hypothesis.settings(max_examples=8, deadline=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck), database=None)
    def test(case: Any) -> None:
        for role in ROLES:
            PRISTINE.restore()
            given = {name.lower() for name in case.headers or {}}
            headers = HEADERS[role] if "authorization" in given else {"Accept-Encoding": "identity"}
            case.call_and_validate(headers=headers, checks=CHECKS)

    return test


OPERATIONS = [result.ok() for result in schema.get_all_operations()
              if result.ok().path.startswith("/api/v1/supplies")]
for _operation in OPERATIONS:
    _name = re.sub(r"\W+", "_", f"{_operation.method} {_operation.path}").strip("_").lower()
    globals()[f"test_{_name}_as_supply_manager_and_responder"] = _stateless_test(_operation)


def test_every_supply_route_is_exercised() -> None:
    assert len(OPERATIONS) >= 20
