"""The demo-data command builds a believable city, and keeps an existing database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from server.auth.models import Role, User
from server.calls.models import Call, CallType, PremiseHazard
from server.calls.seed import CALL_TYPES
from server.demo import DEMO_CAD_KEY, DEMO_CALLS, DEMO_DAYS, DEMO_PASSWORD
from server.extensions import db
from server.models_base import utcnow
from server.supplies.models import (
    LocationKind,
    StockLedgerEntry,
    StockLocation,
    SupplyItem,
    SupplyLot,
)
from server.units.models import Program, Shift, ShiftMember, Unit
from tests.fixtures.dispatch import cad_call


def count(model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def run(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["demo-data", *args])
    db.session.expire_all()
    return result


def test_demo_data_builds_a_city_with_every_role_program_and_supply(app: Flask) -> None:
    result = run(app)
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output
    assert "dispatcher" in result.output

    assert set(db.session.scalars(sa.select(User.role))) == set(Role)

    now = utcnow()
    on_shift = set(db.session.scalars(
        sa.select(Unit.program).join(Shift, Shift.unit_id == Unit.id)
        .join(ShiftMember, ShiftMember.shift_id == Shift.id)
        .where(Shift.starts_at <= now, Shift.ends_at > now)))
    assert on_shift == set(Program)

    assert count(Call) == DEMO_CALLS
    oldest = db.session.scalar(sa.select(sa.func.min(Call.received_at)))
    assert oldest is not None
    assert now - oldest <= timedelta(days=DEMO_DAYS)
    assert now - oldest > timedelta(days=DEMO_DAYS // 2), "calls should spread over the month"
    used_types = set(db.session.scalars(
        sa.select(CallType.code).join(Call, Call.call_type_id == CallType.id)))
    assert used_types <= {code for code, *_ in CALL_TYPES}
    assert len(used_types) > 3
    assert count(PremiseHazard) > 0

    names = " ".join(db.session.scalars(sa.select(SupplyItem.name))).lower()
    for wanted in ("naloxone nasal spray 4 mg", "safer-sex kit", "wound care kit", "syringe",
                   "sharps container"):
        assert wanted in names
    assert db.session.scalar(sa.select(sa.func.count()).where(SupplyLot.expires_on.is_not(None)))
    stock = dict(db.session.execute(
        sa.select(StockLocation.kind, sa.func.sum(StockLedgerEntry.delta))
        .join(StockLedgerEntry, StockLedgerEntry.location_id == StockLocation.id)
        .group_by(StockLocation.kind)).all())
    assert stock[LocationKind.WAREHOUSE] > 0
    assert stock[LocationKind.VEHICLE_KIT] > 0

    response = app.test_client().post("/api/v1/auth/login",
                                      json={"username": "dispatcher", "password": DEMO_PASSWORD})
    assert response.status_code == 200
    assert response.json["user"]["role"] == "dispatcher"


def test_a_second_run_keeps_the_existing_city(app: Flask) -> None:
    assert run(app).exit_code == 0
    counts = (count(User), count(Call), count(SupplyLot))

    again = run(app, "--if-empty")
    assert again.exit_code == 0
    assert "keeping it" in again.output
    assert "dispatcher" in again.output
    assert (count(User), count(Call), count(SupplyLot)) == counts

    refused = run(app)
    assert refused.exit_code != 0
    assert (count(User), count(Call), count(SupplyLot)) == counts


def test_opening_the_demo_again_days_later_puts_its_units_back_on_shift(app: Flask) -> None:
    assert run(app).exit_code == 0
    db.session.execute(sa.update(Shift).values(starts_at=utcnow() - timedelta(days=3),
                                               ends_at=utcnow() - timedelta(days=2)))
    db.session.commit()

    again = run(app, "--if-empty")

    assert again.exit_code == 0
    now = utcnow()
    db.session.expire_all()
    shifts = db.session.scalars(sa.select(Shift)).all()
    assert shifts
    assert all(s.starts_at <= now < s.ends_at for s in shifts)
    signed = app.test_client().post("/api/v1/auth/login",
                                    json={"username": "clinician1", "password": DEMO_PASSWORD})
    assert signed.json["user"]["unit_id"] is not None


def test_the_demo_cad_key_posts_a_call_into_the_demo_city(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert DEMO_CAD_KEY in result.output
    answer = app.test_client().post("/api/v1/cad/calls", headers={"X-CAD-Key": DEMO_CAD_KEY},
                                    json=cad_call(incident_number="DEMO-CAD-1"))
    assert answer.status_code == 201, answer.json
    assert answer.json["eligible"] is True


def test_the_demo_navigator_has_referrals_and_follow_ups_one_overdue(app: Flask) -> None:
    assert run(app).exit_code == 0
    client = app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": "navigator",
                                                    "password": DEMO_PASSWORD}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.get("/api/v1/care/follow-ups", headers=headers)
    assert answer.status_code == 200, answer.json
    tasks = answer.json["items"]
    assert [t["overdue"] for t in tasks] == [True, False, False]
    referrals = client.get("/api/v1/care/referrals", headers=headers).json["items"]
    assert sorted(r["status"] for r in referrals) == ["accepted", "connected", "made"]
    found = client.get("/api/v1/care/resources", headers=headers,
                       query_string={"need": "shelter", "lat": 35.99, "lon": -78.9})
    assert [r["name"] for r in found.json] == ["Night shelter"]
