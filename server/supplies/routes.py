"""The supply manager's API: catalog, locations, stock and the stock card, GS1 scans, receipts,
transfers, counts, write-offs, discrepancies, alerts, par levels and the reorder report.
Who may call each route is in server/auth/permissions.py; a responder reads their own kit."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from server.extensions import db
from server.models_base import utcnow
from server.supplies import manage, queries, reports, schemas, services
from server.supplies.models import ParLevel, StockLocation, SupplyItem, SupplyTransfer

blp = Blueprint("supplies", __name__, url_prefix="/api/v1", description="Supplies")

# Flask's int converter is unbounded; SQLite overflows past 2^31-1 into a server error.
ITEM_ID = "<int(min=1, max=2147483647):item_id>"
DISCREPANCY_ID = "<int(min=1, max=2147483647):discrepancy_id>"
ALERT_ID = "<int(min=1, max=2147483647):alert_id>"


def _device_id() -> uuid.UUID:
    device_id: uuid.UUID = g.device.id
    return device_id


@blp.route("/supplies/catalog")
class Catalog(MethodView):
    @blp.response(200, schemas.SupplyItemSchema(many=True))
    def get(self) -> list[SupplyItem]:
        """Every supply item."""
        return services.list_catalog(db.session())

    @blp.arguments(schemas.SupplyItemSchema)
    @blp.response(201, schemas.SupplyItemSchema)
    def post(self, data: dict[str, Any]) -> SupplyItem:
        """Add an item to the catalog."""
        item = manage.create_item(db.session(), data)
        db.session.commit()
        return item


@blp.route(f"/supplies/catalog/{ITEM_ID}")
class CatalogItem(MethodView):
    @blp.arguments(schemas.SupplyItemPatchSchema)
    @blp.response(200, schemas.SupplyItemSchema)
    def patch(self, data: dict[str, Any], item_id: int) -> SupplyItem:
        """Edit an item (its GTIN and pack size included)."""
        item = manage.update_item(db.session(), item_id, data)
        db.session.commit()
        return item


@blp.route("/supplies/locations")
class Locations(MethodView):
    @blp.response(200, schemas.LocationSchema(many=True))
    def get(self) -> list[StockLocation]:
        """The warehouse and every vehicle kit."""
        return queries.list_locations(db.session())


@blp.route("/supplies/stock")
class Stock(MethodView):
    @blp.arguments(schemas.StockQuerySchema, location="query")
    @blp.response(200, schemas.StockRowSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Stock on hand per location and lot (a responder: their unit's kit)."""
        places = queries.readable_locations(db.session(), g.actor, g.unit_id, query.get("location_id"))
        return queries.stock_rows(db.session(), places, query.get("item_id"))


@blp.route("/supplies/stock-card")
class StockCard(MethodView):
    @blp.arguments(schemas.StockCardQuerySchema, location="query")
    @blp.response(200, schemas.StockCardSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Every move of an item at a location: when, why, lot, by whom, on which device."""
        [place] = queries.readable_locations(db.session(), g.actor, g.unit_id, query["location_id"])
        return queries.stock_card(db.session(), place, query["item_id"])


@blp.route("/supplies/gs1")
class Gs1(MethodView):
    @blp.arguments(schemas.Gs1CodeSchema)
    @blp.response(200, schemas.Gs1ReadingSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Read a scanned GS1 code (nothing is stored) and name its catalog item."""
        reading, item = manage.read_code(db.session(), data["code"], "code")
        return {**asdict(reading), "item": item}


@blp.route("/supplies/receipts")
class Receipts(MethodView):
    @blp.arguments(schemas.ReceiptSchema)
    @blp.response(201, schemas.ReceiptResultSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Stock received at a location: a scanned GS1 code, or item, lot and expiry typed in."""
        result = manage.receive(db.session(), g.actor, data, _device_id())
        db.session.commit()
        return result


@blp.route("/supplies/transfers")
class Transfers(MethodView):
    @blp.arguments(schemas.TransferQuerySchema, location="query")
    @blp.response(200, schemas.TransferSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Transfers, newest first (?state=in_transit: those not yet received)."""
        return queries.list_transfers(db.session(), query.get("state"))

    @blp.arguments(schemas.NewTransferSchema)
    @blp.response(201, schemas.TransferSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Send stock to another location (lots left out: first expiry first)."""
        transfer = manage.send(db.session(), g.actor, data, _device_id())
        db.session.commit()
        return queries.transfer_dict(transfer)


@blp.route("/supplies/transfers/<uuid:transfer_id>/receipt")
class TransferReceipt(MethodView):
    @blp.response(200, schemas.TransferSchema)
    def post(self, transfer_id: uuid.UUID) -> dict[str, Any]:
        """The transfer arrived: its stock is added at the destination, once."""
        transfer: SupplyTransfer = manage.receive_transfer(db.session(), g.actor, transfer_id,
                                                           _device_id())
        db.session.commit()
        return queries.transfer_dict(transfer)


@blp.route("/supplies/counts")
class Counts(MethodView):
    @blp.arguments(schemas.CountSchema)
    @blp.response(201, schemas.CountResultSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """A shelf count: each lot counted is adjusted to the count."""
        result = manage.count(db.session(), g.actor, data, _device_id())
        db.session.commit()
        return result


@blp.route("/supplies/adjustments")
class Adjustments(MethodView):
    @blp.arguments(schemas.AdjustmentSchema)
    @blp.response(201, schemas.AdjustmentResultSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Write stock off as expired or damaged."""
        result = manage.adjust(db.session(), g.actor, data, _device_id())
        db.session.commit()
        return result


@blp.route("/supplies/discrepancies")
class Discrepancies(MethodView):
    @blp.arguments(schemas.DiscrepancyQuerySchema, location="query")
    @blp.response(200, schemas.DiscrepancySchema(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Lots that went below zero somewhere (?state=open: not yet resolved)."""
        return queries.list_discrepancies(db.session(), query.get("state"))


@blp.route(f"/supplies/discrepancies/{DISCREPANCY_ID}/resolution")
class DiscrepancyResolution(MethodView):
    @blp.arguments(schemas.ResolutionSchema)
    @blp.response(200, schemas.DiscrepancySchema)
    def post(self, data: dict[str, Any], discrepancy_id: int) -> dict[str, Any]:
        """Resolve a discrepancy with a note saying what was found."""
        found = services.resolve_discrepancy(db.session(), g.actor, discrepancy_id, data["note"])
        db.session.commit()
        return queries.discrepancy_dict(db.session(), found)


@blp.route("/supplies/alerts")
class Alerts(MethodView):
    @blp.arguments(schemas.AlertQuerySchema, location="query")
    @blp.response(200, schemas.AlertSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Low-stock, near-expiry and expired alerts (?state=open)."""
        return queries.list_alerts(db.session(), query.get("state"))


@blp.route(f"/supplies/alerts/{ALERT_ID}/acknowledgement")
class AlertAcknowledgement(MethodView):
    @blp.response(200, schemas.AlertSchema)
    def post(self, alert_id: int) -> dict[str, Any]:
        """Acknowledge an alert: it stays until the stock is right, but no longer as new."""
        alert = services.acknowledge_alert(db.session(), g.actor, alert_id)
        db.session.commit()
        return queries.alert_dict(db.session(), alert)


@blp.route("/supplies/par-levels")
class ParLevels(MethodView):
    @blp.arguments(schemas.ParQuerySchema, location="query")
    @blp.response(200, schemas.ParLevelSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[ParLevel]:
        """The stock each location should hold of each item."""
        return queries.list_par_levels(db.session(), query.get("location_id"))

    @blp.arguments(schemas.ParLevelSchema)
    @blp.response(200, schemas.ParLevelSchema)
    def put(self, data: dict[str, Any]) -> ParLevel:
        """Set a location's par level for an item."""
        level = services.set_par_level(db.session(), g.actor, **data)
        db.session.commit()
        return level


@blp.route("/supplies/reorder-report")
class ReorderReport(MethodView):
    @blp.arguments(schemas.ReorderQuerySchema, location="query")
    @blp.response(200, schemas.ReorderRowSchema(many=True))
    @blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True,
                      description="The same rows as a CSV download (?format=csv or Accept: text/csv)")
    def get(self, query: dict[str, Any]) -> Any:
        """What to order per location and item (?format=csv or Accept: text/csv: a download)."""
        now = utcnow()
        rows = reports.reorder_rows(db.session(), now)
        wants_csv = query.get("format") == "csv" or (
            "format" not in query and request.accept_mimetypes.best == "text/csv")
        if not wants_csv:
            return rows
        name = f"reorder-report-{now.date().isoformat()}.csv"
        return Response(reports.to_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
