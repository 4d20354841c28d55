"""The permission table covers every route, and the guard applies it for every role.

The routes come from the app's URL map at test time, so a blueprint registered later (the
sync endpoints, say) is checked too, and a route nobody classified fails with its name.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule as UrlRule
from werkzeug.routing.converters import AnyConverter, IntegerConverter, UUIDConverter

from server.auth import permissions
from server.auth.models import Role
from server.calls.models import Call
from tests.fixtures.people import Session
from tests.fixtures.sync import Tablet

IGNORED_METHODS = {"HEAD", "OPTIONS"}
# Routes after which the caller's tokens are refused: the role walk calls them last.
ENDS_THE_SESSION = {("auth.Logout", "POST")}


def routes(app: Flask) -> Iterator[tuple[UrlRule, str]]:
    """Every (URL rule, method) the app answers, HEAD and OPTIONS aside."""
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            yield rule, method


def sample_url(rule: UrlRule, record_id: str | None = None) -> str:
    """The rule's URL with each path parameter filled with a syntactically valid value (UUIDs
    with `record_id` when given)."""
    values: dict[str, Any] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, UUIDConverter):
            values[name] = record_id or uuid.uuid4()
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = min(converter.items)
        else:
            values[name] = "x"
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"cannot build a URL for {rule.rule}"
    return built[1]


def call(client: FlaskClient, method: str, url: str, headers: dict[str, str] | None = None) -> Any:
    # Unbuffered: the live stream's answer never ends; its status is all a caller reads.
    kwargs: dict[str, Any] = {"headers": headers or {}, "buffered": False}
    if method in {"POST", "PUT", "PATCH"}:
        kwargs["json"] = {}
    return client.open(url, method=method, **kwargs)


def test_every_route_and_method_is_in_the_permission_table(app: Flask) -> None:
    unclassified = [f"{rule.endpoint} {method} {rule.rule}" for rule, method in routes(app)
                    if permissions.rule_for(rule.endpoint, method) is None]
    assert unclassified == [], "routes missing from server.auth.permissions.ROUTES"


def test_the_route_walk_sees_the_api_routes(app: Flask) -> None:
    """Guards the walk itself: if it found nothing, the other tests would pass vacuously."""
    seen = {(rule.endpoint, method) for rule, method in routes(app)}
    assert {("calls.CallById", "DELETE"), ("auth.Users", "POST"), ("health.healthz", "GET"),
            ("calls.CallTypeById", "PATCH"), ("auth.DeviceById", "PATCH"),
            ("auth.DeviceRevocation", "POST")} <= seen


def test_an_unclassified_route_is_refused_to_everyone(
        app: Flask, signed_in: Callable[..., Session]) -> None:
    app.add_url_rule("/api/v1/unclassified", "unclassified", lambda: {"secret": True})
    admin = signed_in(Role.ADMIN)
    assert admin.get("/api/v1/unclassified").status_code == 403
    assert admin.client.get("/api/v1/unclassified").status_code == 403


def test_each_role_gets_exactly_the_routes_the_table_grants(
        app: Flask, client: FlaskClient, signed_in: Callable[..., Session]) -> None:
    sessions = {role: signed_in(role) for role in Role}
    wrong: list[str] = []
    checked = 0
    walk = sorted(routes(app), key=lambda r: (r[0].endpoint, r[1]) in ENDS_THE_SESSION)
    for rule, method in walk:
        allowed = permissions.rule_for(rule.endpoint, method)
        if not isinstance(allowed, frozenset):
            continue  # public or refresh-token routes: no role applies
        url = sample_url(rule)
        for role, session in sessions.items():
            status = call(client, method, url, session.headers).status_code
            checked += 1
            if role in allowed and status in (401, 403, 500):
                wrong.append(f"{role.value} {method} {url}: {status}, expected access")
            if role not in allowed and status != 403:
                wrong.append(f"{role.value} {method} {url}: {status}, expected 403")
    assert wrong == []
    assert checked >= 10 * len(Role)


def test_every_protected_route_without_a_token_is_401_asking_to_sign_in(
        app: Flask, client: FlaskClient) -> None:
    wrong: list[str] = []
    for rule, method in routes(app):
        if permissions.rule_for(rule.endpoint, method) == permissions.PUBLIC:
            continue
        response = call(client, method, sample_url(rule))
        body = response.get_json(silent=True) or {}
        # A CAD's route asks for its integration key, not a person's sign-in.
        action = ("configure" if permissions.rule_for(rule.endpoint, method)
                  == permissions.CAD_INTEGRATION else "login")
        if response.status_code != 401 or body.get("action") != action:
            wrong.append(f"{method} {rule.rule}: {response.status_code} {body}")
    assert wrong == []


def test_a_persons_sign_in_does_not_open_a_cad_route(
        app: Flask, client: FlaskClient, signed_in: Callable[..., Session]) -> None:
    cad_routes = [(rule, method) for rule, method in routes(app)
                  if permissions.rule_for(rule.endpoint, method) == permissions.CAD_INTEGRATION]
    assert cad_routes
    for role in (Role.ADMIN, Role.DISPATCHER):
        session = signed_in(role)
        for rule, method in cad_routes:
            assert call(client, method, sample_url(rule), session.headers).status_code == 401


# --- clinical content: who reads it --------------------------------------------------------

NOTE = "Says the voices are worse at night"
DISPOSITION = "Referred to the mobile crisis clinician"
CLASH = "Declined the referral"
REJECTED = "Mother has the medication list"
CLINICAL_TEXTS = (NOTE, DISPOSITION, CLASH, REJECTED)
# Roles that read no clinical text anywhere: outside the call readers and the clinical
# content readers (a care navigator, of a call nobody referred; an admin; supply; program lead).
NO_CLINICAL_TEXT = frozenset(Role) - permissions.CALL_READERS - permissions.CLINICAL_CONTENT_READERS


@pytest.fixture
def clinical_records(tablet: Callable[..., Tablet], create_call: Callable[..., Call]) -> str:
    """A call with a note, a disposition, a clash (conflict) and a rejected note; its id."""
    device = tablet()
    crewmate = tablet(unit=device.unit)
    call = create_call(device.unit)
    device.push([device.note(call, NOTE), device.edit(call, 1, disposition=DISPOSITION),
                 device.note(call, f"{REJECTED}\x00")])
    crewmate.push([crewmate.edit(call, 1, disposition=CLASH)])
    return str(call.id)


def _texts_in(answer: Any) -> set[str]:
    if answer.mimetype == "text/event-stream":
        return set()  # the live stream carries no records; its events are tested on their own
    body = answer.get_data(as_text=True)
    return {text for text in CLINICAL_TEXTS if text in body}


def test_only_clinical_readers_read_the_content_of_the_audit_and_of_rejected_ops(
        clinical_records: str, signed_in: Callable[..., Session]) -> None:
    readers = permissions.ROUTES["audit.AuditLog"]["GET"]
    assert isinstance(readers, frozenset)
    assert readers == permissions.ROUTES["sync.RejectedOps"]["GET"]
    assert readers > permissions.CLINICAL_CONTENT_READERS  # an admin reads the trail, not its content
    seen = {}
    for role in sorted(readers):
        session = signed_in(role)
        audit = session.get("/api/v1/audit", query_string={"page_size": 100})
        rejected = session.get("/api/v1/sync/rejected")
        assert (audit.status_code, rejected.status_code) == (200, 200)
        clinical = role in permissions.CLINICAL_CONTENT_READERS
        seen[role] = (len(audit.json), len(rejected.json))
        assert _texts_in(audit) == ({NOTE, DISPOSITION} if clinical else set()), role
        assert _texts_in(rejected) == ({REJECTED} if clinical else set()), role
        assert {e["redacted"] for e in audit.json + rejected.json} == {not clinical}, role
    assert len(set(seen.values())) == 1, f"every reader sees the same entries: {seen}"


def test_a_role_outside_the_clinical_readers_reads_no_clinical_text_on_any_route(
        app: Flask, client: FlaskClient, clinical_records: str,
        signed_in: Callable[..., Session]) -> None:
    """Every GET route, with the call's id in it, for each role that reads nothing clinical
    (a care navigator reads only calls in care navigation, on care's routes: this one is not;
    tests/api/test_care.py reads a referred one); the same walk as a
    supervisor finds every text, so the walk reaches them."""
    assert Role.CARE_NAVIGATOR in NO_CLINICAL_TEXT
    assert Role.ADMIN in NO_CLINICAL_TEXT
    urls = [sample_url(rule, clinical_records) for rule, method in routes(app) if method == "GET"]
    assert f"/api/v1/calls/{clinical_records}" in urls

    def walk(session: Session) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for url in urls:
            answer = call(client, "GET", url, session.headers)
            texts = _texts_in(answer)
            answer.close()  # the web app's files are streamed from disk
            if texts:
                found[url] = texts
        return found

    everything = set().union(*walk(signed_in(Role.SUPERVISOR)).values())
    assert everything == set(CLINICAL_TEXTS)
    leaks = {role.value: walk(signed_in(role)) for role in NO_CLINICAL_TEXT}
    assert leaks == {role.value: {} for role in NO_CLINICAL_TEXT}
    navigator = signed_in(Role.CARE_NAVIGATOR)
    assert navigator.get(f"/api/v1/calls/{clinical_records}").status_code == 403

