"""Who may do what with supplies: a supply manager is refused every clinical route and reads
nothing about calls or the people served on any route they may call; responders move stock
only through their tablets' facts, never by REST."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.auth import permissions
from server.auth.models import FIELD_ROLES, Role
from server.calls.models import Call
from server.extensions import db
from server.supplies import services
from server.supplies.models import LedgerReason, StockLedgerEntry
from server.units.models import Unit
from tests.fixtures.people import Session
from tests.fixtures.supplies import Stockroom, make_stockroom
from tests.fixtures.sync import Tablet, outcomes
from tests.test_authorization import call, routes, sample_url

NARRATIVE = "Neighbor says he has not eaten in days"
# Keys that would carry clinical content, or tie a stock move to a call or a person.
CLINICAL_KEYS = frozenset({"narrative", "notes", "note", "body", "disposition", "call_id",
                           "contact_id", "source_id", "source_kind", "cad_number"})


def keys_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from keys_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from keys_in(inner)


@pytest.fixture
def naloxone_given_on_a_call(room: Stockroom, unit: Unit, create_call: Callable[..., Call]
                             ) -> tuple[Call, uuid.UUID]:
    """A call with a narrative, and the dose given on it as the harm-reduction fact posts it."""
    the_call = create_call(unit, narrative=NARRATIVE)
    fact_id = uuid.uuid4()
    room.move(room.kit, room.late_lot, 5, LedgerReason.RECEIVE)
    services.post_entries(db.session, [services.NewEntry(
        location_id=room.kit.id, lot_id=room.late_lot.id, delta=-1, reason=LedgerReason.ADMINISTER,
        at=None, device_id=None, source_kind="harm_reduction_entry", source_id=fact_id)], None)
    db.session.commit()
    return the_call, fact_id


def test_a_supply_manager_is_refused_every_route_the_table_keeps_from_them(
        app: Flask, client: FlaskClient, signed_in: Callable[..., Session]) -> None:
    manager = signed_in(Role.SUPPLY_MANAGER)
    refused, wrong = [], []
    for rule, method in routes(app):
        allowed = permissions.rule_for(rule.endpoint, method)
        if not isinstance(allowed, frozenset) or Role.SUPPLY_MANAGER in allowed:
            continue
        status = call(client, method, sample_url(rule), manager.headers).status_code
        refused.append(f"{method} {rule.rule}")
        if status != 403:
            wrong.append(f"{method} {rule.rule}: {status}")
    assert wrong == []
    assert {"GET /api/v1/calls/<uuid:call_id>", "GET /api/v1/audit", "POST /api/v1/sync/push",
            "GET /api/v1/calls"} <= set(refused)


def _query_for(rule: Any, room: Stockroom) -> dict[str, int]:
    """The query a GET needs to show something (the stock card of the kit's naloxone)."""
    if rule.endpoint == "supplies.StockCard":
        return {"location_id": room.kit.id, "item_id": room.naloxone.id}
    return {}


# The live stream never ends: a walk skips it (its audiences: tests/api/test_stream.py).
STREAM = "text/event-stream"


@pytest.mark.parametrize("role", [Role.SUPPLY_MANAGER, Role.SUPERVISOR], ids=lambda r: r.value)
def test_no_get_a_role_may_call_shows_clinical_fields_or_ties_stock_to_a_call(
        app: Flask, client: FlaskClient, room: Stockroom, role: Role,
        naloxone_given_on_a_call: tuple[Call, uuid.UUID],
        signed_in: Callable[..., Session]) -> None:
    """The supervisor's walk reads the call (a clinical reader) and so proves the walk sees
    such content; neither role reads the source of a stock move on any supply route."""
    the_call, fact_id = naloxone_given_on_a_call
    session = signed_in(role)
    seen: dict[str, set[str]] = {}
    card_moves = 0
    for rule, method in routes(app):
        allowed = permissions.rule_for(rule.endpoint, method)
        if method != "GET" or not isinstance(allowed, frozenset) or role not in allowed:
            continue
        url = sample_url(rule, str(the_call.id))
        answer = client.get(url, headers=session.headers, query_string=_query_for(rule, room),
                            buffered=False)
        if answer.mimetype == STREAM:
            answer.close()
            continue
        body = answer.get_data(as_text=True)
        found = {text for text in (NARRATIVE, str(the_call.id), str(fact_id)) if text in body}
        if answer.is_json and isinstance(answer.json, dict | list):
            found |= CLINICAL_KEYS & set(keys_in(answer.json))
        answer.close()
        if rule.endpoint == "supplies.StockCard":
            card_moves = len(answer.json["entries"])
        if found:
            seen[rule.rule] = found
    assert card_moves == 2  # the receipt and the dose, both on the card
    supplies = {rule: texts for rule, texts in seen.items() if rule.startswith("/api/v1/supplies")}
    assert supplies == {}
    if role == Role.SUPPLY_MANAGER:
        assert seen == {}
    else:
        assert NARRATIVE in seen["/api/v1/calls/<uuid:call_id>"]


# POST /supplies/gs1 only reads a code (a responder may check a box's label): not a write.
READS_BY_POST = {("supplies.Gs1", "POST")}
SUPPLY_WRITES = sorted((endpoint, method) for endpoint, methods in permissions.ROUTES.items()
                       if endpoint.startswith("supplies.")
                       for method in methods if method != "GET"
                       and (endpoint, method) not in READS_BY_POST)


def test_the_supply_writes_are_the_supply_managers_and_admins_only() -> None:
    assert len(SUPPLY_WRITES) >= 10
    assert {permissions.ROUTES[e][m] for e, m in SUPPLY_WRITES} == {permissions.SUPPLY_WRITERS}
    assert permissions.SUPPLY_WRITERS.isdisjoint(FIELD_ROLES | {Role.SUPERVISOR})


@pytest.mark.parametrize("role", sorted(FIELD_ROLES), ids=lambda r: r.value)
def test_a_responder_cannot_move_stock_by_rest(
        app: Flask, client: FlaskClient, room: Stockroom, unit: Unit, role: Role,
        signed_in: Callable[..., Session]) -> None:
    room.move(room.kit, room.late_lot, 5, LedgerReason.RECEIVE)
    responder = signed_in(role, unit=unit)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(StockLedgerEntry))
    bodies = {"supplies.Receipts": {"location_id": room.kit.id, "item_id": room.naloxone.id,
                                    "lot_number": "LATE1", "quantity": 1, "quantity_in": "units"},
              "supplies.Adjustments": {"location_id": room.kit.id, "lot_id": room.late_lot.id,
                                       "quantity": 1, "reason": "damage"},
              "supplies.Counts": {"location_id": room.kit.id,
                                  "lines": [{"lot_id": room.late_lot.id, "counted": 0}]}}
    statuses = {}
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH"}):
            if (rule.endpoint, method) in SUPPLY_WRITES:
                answer = client.open(sample_url(rule), method=method, headers=responder.headers,
                                     json=bodies.get(rule.endpoint, {}))
                statuses[f"{method} {rule.rule}"] = answer.status_code
    assert len(statuses) == len(SUPPLY_WRITES)
    assert set(statuses.values()) == {403}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockLedgerEntry)) == before


def test_a_dose_pushed_from_a_tablet_shows_on_the_card_and_report_but_not_its_call(
        app: Flask, client: FlaskClient, tablet: Callable[..., Tablet],
        create_call: Callable[..., Call], signed_in: Callable[..., Session]) -> None:
    """The whole way: a responder's tablet records naloxone given on a call; the supply
    manager sees the dose (who, device, lot) and the use, never the call or the fact."""
    device = tablet()
    room = make_stockroom(device.unit)
    room.move(room.kit, room.early_lot, 4, LedgerReason.RECEIVE)
    the_call = create_call(device.unit, narrative=NARRATIVE)
    op = device.op("harm_reduction_entry", {
        "category": "naloxone_administered", "quantity": 2, "call_id": str(the_call.id),
        "route": "intranasal", "response": "breathing_restored"})
    assert outcomes(device.push([op])) == ["applied"]

    manager = signed_in(Role.SUPPLY_MANAGER)
    card = manager.get("/api/v1/supplies/stock-card", query_string={
        "location_id": room.kit.id, "item_id": room.naloxone.id})
    assert [(e["reason"], e["delta"], e["balance_after"]) for e in card.json["entries"]] == [
        ("receive", 4, 4), ("administer", -2, 2)]
    dose = card.json["entries"][1]
    assert (dose["user_name"], dose["lot_number"]) == (device.user.full_name, "EARLY1")
    assert dose["device_name"]
    [row] = [r for r in manager.get("/api/v1/supplies/reorder-report").json
             if r["location_id"] == room.kit.id and r["item_id"] == room.naloxone.id]
    assert (row["on_hand"], row["used_30d"]) == (2, 2)
    leaks = {}
    for rule, method in routes(app):
        allowed = permissions.rule_for(rule.endpoint, method)
        if method != "GET" or not isinstance(allowed, frozenset) or Role.SUPPLY_MANAGER not in allowed:
            continue
        answer = client.get(sample_url(rule, str(the_call.id)), headers=manager.headers,
                            query_string=_query_for(rule, room), buffered=False)
        if answer.mimetype == STREAM:
            answer.close()
            continue
        body = answer.get_data(as_text=True)
        answer.close()
        found = {t for t in (str(the_call.id), op["record_id"], NARRATIVE) if t in body}
        if found:
            leaks[rule.rule] = found
    assert leaks == {}
