"""Supply alerts: low stock against par, lots near or past expiry; opened, refreshed,
cleared, acknowledged, and each change in the feed of the people who see it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from server.auth.models import User
from server.errors import DomainError
from server.extensions import db
from server.jobs import run_job
from server.models_base import utcnow
from server.supplies.models import AlertKind, AlertState, LedgerReason, SupplyAlert
from server.supplies.services import acknowledge_alert, adjust, compute_alerts, set_par_level
from server.sync.models import ChangeLogEntry
from server.units.models import Unit

NEAR_DAYS = 30


@pytest.fixture
def kit(unit: Unit, create_location: Callable[..., Any]) -> Any:
    return create_location(unit)


def alerts() -> list[tuple[AlertKind, int | None, AlertState]]:
    return [(a.kind, a.lot_id, a.state) for a in
            db.session.scalars(sa.select(SupplyAlert).order_by(SupplyAlert.id))]


def feed(kind: str = "supply_alert") -> list[tuple[str, str, str]]:
    return [tuple(r) for r in db.session.execute(  # type: ignore[misc]
        sa.select(ChangeLogEntry.scope, ChangeLogEntry.record_id, ChangeLogEntry.op)
        .where(ChangeLogEntry.kind == kind).order_by(ChangeLogEntry.position))]


def run(now: Any = None) -> dict[str, int]:
    summary = compute_alerts(db.session, now or utcnow(), NEAR_DAYS)
    db.session.commit()
    return summary


def test_an_expired_lot_with_stock_is_flagged_and_cleared_when_its_stock_goes(
        manager: User, unit: Unit, kit: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    lot = create_lot(create_item(), timedelta(days=-2))
    put_stock(kit, lot, 3)

    assert run() == {"opened": 1, "refreshed": 0, "cleared": 0}
    [alert] = db.session.scalars(sa.select(SupplyAlert)).all()
    assert (alert.kind, alert.lot_id, alert.on_hand, alert.expires_on) == (
        AlertKind.EXPIRED, lot.id, 3, lot.expires_on)
    assert set(feed()) == {("role:supply_manager", str(alert.id), "put"),
                           (f"unit:{unit.id}", str(alert.id), "put")}

    adjust(db.session, manager, kit.id, lot.id, 3, LedgerReason.EXPIRE)
    db.session.commit()
    assert run() == {"opened": 0, "refreshed": 0, "cleared": 1}
    assert alerts() == [(AlertKind.EXPIRED, lot.id, AlertState.CLEARED)]
    assert feed()[-2:] == [("role:supply_manager", str(alert.id), "remove"),
                           (f"unit:{unit.id}", str(alert.id), "remove")]


def test_lots_expiring_within_the_window_are_near_expiry_and_later_ones_are_not(
        kit: Any, create_item: Callable[..., Any], create_lot: Callable[..., Any],
        put_stock: Any) -> None:
    item = create_item()
    soon = create_lot(item, timedelta(days=NEAR_DAYS))
    later = create_lot(item, timedelta(days=NEAR_DAYS + 1))
    never = create_lot(item, None)
    empty = create_lot(item, timedelta(days=1))
    for lot in (soon, later, never):
        put_stock(kit, lot, 2)
    put_stock(kit, empty, 0)

    run()

    assert alerts() == [(AlertKind.NEAR_EXPIRY, soon.id, AlertState.OPEN)]


def test_low_stock_against_par_opens_refreshes_and_clears(
        manager: User, kit: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    item, unstocked = create_item(), create_item()
    lot = create_lot(item)
    put_stock(kit, lot, 2)
    set_par_level(db.session, manager, kit.id, item.id, 5)
    set_par_level(db.session, manager, kit.id, unstocked.id, 1)
    db.session.commit()

    assert run()["opened"] == 2
    put_stock(kit, lot, 1)
    assert run() == {"opened": 0, "refreshed": 1, "cleared": 0}
    low = db.session.scalars(sa.select(SupplyAlert).where(SupplyAlert.item_id == item.id)).one()
    assert (low.kind, low.on_hand, low.par, low.lot_id) == (AlertKind.LOW_STOCK, 3, 5, None)

    put_stock(kit, lot, 2)
    assert run() == {"opened": 0, "refreshed": 0, "cleared": 1}
    assert low.state == AlertState.CLEARED


def test_an_acknowledged_alert_stays_acknowledged_while_due_and_a_cleared_one_cannot_be(
        manager: User, kit: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    lot = create_lot(create_item(), timedelta(days=-1))
    put_stock(kit, lot, 2)
    run()
    alert = db.session.scalars(sa.select(SupplyAlert)).one()

    acknowledge_alert(db.session, manager, alert.id)
    db.session.commit()
    put_stock(kit, lot, 1)
    run()
    assert (alert.state, alert.on_hand, alert.acknowledged_by) == (
        AlertState.ACKNOWLEDGED, 3, manager.id)

    adjust(db.session, manager, kit.id, lot.id, 3, LedgerReason.EXPIRE)
    run()
    with pytest.raises(DomainError, match="cleared"):
        acknowledge_alert(db.session, manager, alert.id)


def test_a_warehouse_alert_goes_to_supply_managers_only(
        create_location: Callable[..., Any], create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    warehouse = create_location()
    put_stock(warehouse, create_lot(create_item(), timedelta(days=3)), 10)
    run()
    assert [scope for scope, _id, _op in feed()] == ["role:supply_manager"]


def test_the_scheduled_job_uses_the_configured_window_once_an_hour(
        app: Flask, kit: Any, create_item: Callable[..., Any], create_lot: Callable[..., Any],
        put_stock: Any) -> None:
    days = app.config["SUPPLY_NEAR_EXPIRY_DAYS"]
    item = create_item()
    put_stock(kit, create_lot(item, timedelta(days=days)), 1)
    put_stock(kit, create_lot(item, timedelta(days=days + 1)), 1)
    now = utcnow()

    first = run_job(app, "supply_alerts", now)
    again = run_job(app, "supply_alerts", now)

    assert (first.status, first.summary) == ("ran", {"opened": 1, "refreshed": 0, "cleared": 0})
    assert again.status == "skipped"
