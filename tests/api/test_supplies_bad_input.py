"""Bad input to each supply write is a 422 naming every bad field, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.extensions import db
from server.supplies.models import StockLedgerEntry, SupplyItem, SupplyTransfer
from server.units.models import Unit
from tests.fixtures.people import Session
from tests.fixtures.supplies import make_stockroom

# (method, url, body, the fields the answer must name)
CASES: list[tuple[str, str, dict[str, Any], set[str]]] = [
    ("POST", "/api/v1/supplies/catalog", {}, {"sku", "name", "unit_of_measure"}),
    ("POST", "/api/v1/supplies/catalog",
     {"sku": "", "name": "x" * 121, "unit_of_measure": "kit", "pack_size": 0, "gtin": "123",
      "category": "snacks"}, {"sku", "name", "pack_size", "gtin", "category"}),
    ("PATCH", "/api/v1/supplies/catalog/1", {"pack_size": -1, "gtin": "abc"}, {"pack_size", "gtin"}),
    ("POST", "/api/v1/supplies/gs1", {}, {"code"}),
    ("POST", "/api/v1/supplies/gs1", {"code": "hello"}, {"code"}),
    ("POST", "/api/v1/supplies/receipts", {}, {"location_id", "quantity", "quantity_in", "item_id",
                                               "lot_number"}),
    ("POST", "/api/v1/supplies/receipts",
     {"location_id": "1", "quantity": 0, "quantity_in": "boxes", "gs1": ""},
     {"location_id", "quantity", "quantity_in", "gs1"}),
    ("POST", "/api/v1/supplies/receipts",
     {"location_id": 1, "quantity": 1, "quantity_in": "units", "gs1": "(01)09506000134353(10)A"},
     {"gs1"}),
    ("POST", "/api/v1/supplies/receipts",
     {"location_id": 999, "quantity": 1, "quantity_in": "units", "item_id": 1, "lot_number": "A"},
     {"location_id"}),
    ("POST", "/api/v1/supplies/receipts",  # 2 x 2^31-1 devices: past any column's integer
     {"location_id": 1, "quantity": 2147483647, "quantity_in": "packs", "item_id": 1,
      "lot_number": "A"}, {"quantity"}),
    ("POST", "/api/v1/supplies/receipts",  # within the limit as packs, past it as units
     {"location_id": 1, "quantity": 600_000, "quantity_in": "packs", "item_id": 1,
      "lot_number": "A"}, {"quantity"}),
    ("POST", "/api/v1/supplies/transfers", {}, {"from_location_id", "to_location_id", "lines"}),
    ("POST", "/api/v1/supplies/transfers",
     {"from_location_id": 1, "to_location_id": 1, "lines": []}, {"to_location_id", "lines"}),
    ("POST", "/api/v1/supplies/transfers",
     {"from_location_id": 1, "to_location_id": 2, "lines": [{"quantity": 0}]}, {"lines"}),
    ("POST", "/api/v1/supplies/counts", {}, {"location_id", "lines"}),
    ("POST", "/api/v1/supplies/counts",
     {"location_id": 1, "lines": [{"counted": -1}, {"lot_id": 1, "gs1": "x", "counted": 1}]}, {"lines"}),
    ("POST", "/api/v1/supplies/adjustments", {}, {"location_id", "lot_id", "quantity", "reason"}),
    ("POST", "/api/v1/supplies/adjustments",
     {"location_id": 1, "lot_id": 1, "quantity": 1, "reason": "distribute"}, {"reason"}),
    ("POST", "/api/v1/supplies/discrepancies/1/resolution", {}, {"note"}),
    ("POST", "/api/v1/supplies/discrepancies/1/resolution", {"note": "x" * 501}, {"note"}),
    ("PUT", "/api/v1/supplies/par-levels", {}, {"location_id", "item_id", "par"}),
    ("PUT", "/api/v1/supplies/par-levels", {"location_id": 1, "item_id": 999, "par": 1}, {"item_id"}),
    ("PUT", "/api/v1/supplies/par-levels", {"location_id": 1, "item_id": 1, "par": -1}, {"par"}),
]


@pytest.fixture
def manager(create_unit: Callable[..., Unit], signed_in: Callable[..., Session]) -> Session:
    make_stockroom(create_unit())
    return signed_in(Role.SUPPLY_MANAGER)


def _written() -> tuple[int | None, ...]:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (StockLedgerEntry, SupplyItem, SupplyTransfer))


@pytest.mark.parametrize(("method", "url", "body", "fields"), CASES,
                         ids=[f"{m} {u.split('/api/v1/supplies/')[1]} {sorted(f)}" for m, u, _, f in CASES])
def test_bad_input_names_each_bad_field_and_writes_nothing(
        manager: Session, method: str, url: str, body: dict[str, Any], fields: set[str]) -> None:
    before = _written()
    answer = manager.client.open(url, method=method, headers=manager.headers, json=body)
    assert answer.status_code in (404, 422), answer.json  # 404: a named record does not exist
    assert set(answer.json["errors"]["json"]) == fields
    assert all(answer.json["errors"]["json"].values())
    db.session.expire_all()
    assert _written() == before


def test_query_strings_name_their_bad_field(manager: Session) -> None:
    card = manager.get("/api/v1/supplies/stock-card", query_string={"location_id": "kit"})
    assert card.status_code == 422
    assert set(card.json["errors"]["query"]) == {"location_id", "item_id"}
    report = manager.get("/api/v1/supplies/reorder-report", query_string={"format": "xlsx"})
    assert set(report.json["errors"]["query"]) == {"format"}
    transfers = manager.get("/api/v1/supplies/transfers", query_string={"state": "lost"})
    assert set(transfers.json["errors"]["query"]) == {"state"}
