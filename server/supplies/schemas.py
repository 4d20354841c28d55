"""Shapes of the supply manager's API: catalog, locations, stock, the stock card, GS1 scans,
receipts, transfers, counts, adjustments, discrepancies, alerts, par levels, reorder report.
Nothing here carries what produced a ledger entry (a harm-reduction fact, a call): the stock
card shows who, on which device, when and why, never for whom."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.fields import AwareDateTime, Bool, Int, Str
from server.supplies.models import (
    GTIN_LENGTH,
    AlertState,
    DiscrepancyState,
    LedgerReason,
    LocationKind,
    SupplyCategory,
    TransferState,
)

POSITIVE = validate.Range(min=1)
# The most units one move, count or par may name: a million is past any stockroom's shelf
# and keeps balances (32-bit integers) far from overflowing however moves add up.
MAX_UNITS = 1_000_000
# The most units of measure one pack may hold (a case of 24 kits has 24).
MAX_PACK_SIZE = 10_000
QUANTITY = validate.Range(min=1, max=MAX_UNITS)
COUNTED = validate.Range(min=0, max=MAX_UNITS)
PACK_SIZE = validate.Range(min=1, max=MAX_PACK_SIZE)
# A scanned code: the longest GS1 element string is 48 data characters plus AIs and
# separators; a Digital Link URL with a lot, serial and expiry stays well inside this.
GS1_CODE = validate.Length(min=1, max=512)
LOT_NUMBER = validate.Length(min=1, max=20)  # GS1 AI (10) holds up to 20 characters
NOTE = validate.Length(min=1, max=500)


def _id(description: str, *, query: bool = False) -> Int:
    return Int(required=True, validate=POSITIVE, strict=not query,
               metadata={"description": description})


def _query_id() -> Int:
    return Int(strict=False, validate=POSITIVE)


class SupplyItemSchema(Schema):
    id = Int(dump_only=True)
    sku = Str(required=True, validate=validate.Length(min=1, max=32))
    name = Str(required=True, validate=validate.Length(min=1, max=120))
    category = fields.Enum(SupplyCategory, by_value=True, load_default=SupplyCategory.OTHER)
    unit_of_measure = Str(required=True, validate=validate.Length(min=1, max=32),
                          metadata={"description": "What one unit on hand is: device, kit, box"})
    pack_size = Int(load_default=1, validate=PACK_SIZE,
                    metadata={"description": "Units of measure in one pack as received"})
    gtin = Str(allow_none=True, load_default=None,
               validate=validate.Regexp(rf"^\d{{{GTIN_LENGTH}}}$"),
               metadata={"description": "GTIN-14 (GS1 AI 01), check digit included"})
    low_stock_threshold = Int(load_default=0, validate=COUNTED)
    harm_reduction = Bool(load_default=True)


class SupplyItemPatchSchema(Schema):
    sku = Str(validate=validate.Length(min=1, max=32))
    name = Str(validate=validate.Length(min=1, max=120))
    category = fields.Enum(SupplyCategory, by_value=True)
    unit_of_measure = Str(validate=validate.Length(min=1, max=32))
    pack_size = Int(validate=PACK_SIZE)
    gtin = Str(allow_none=True, validate=validate.Regexp(rf"^\d{{{GTIN_LENGTH}}}$"))
    low_stock_threshold = Int(validate=COUNTED)
    harm_reduction = Bool()


class LocationSchema(Schema):
    id = Int()
    kind = fields.Enum(LocationKind, by_value=True)
    name = Str()
    unit_id = Int(allow_none=True)


class StockQuerySchema(Schema):
    location_id = _query_id()
    item_id = _query_id()


class StockRowSchema(Schema):
    location_id = Int()
    location_name = Str()
    item_id = Int()
    item_name = Str()
    sku = Str()
    lot_id = Int()
    lot_number = Str()
    expires_on = fields.Date(allow_none=True)
    on_hand = Int()


class StockCardQuerySchema(Schema):
    location_id = _id("The location whose card this is", query=True)
    item_id = _id("The item, every lot of it", query=True)


class StockCardEntrySchema(Schema):
    id = fields.UUID()
    at = AwareDateTime()
    reason = fields.Enum(LedgerReason, by_value=True)
    lot_number = Str()
    delta = Int()
    balance_after = Int()
    user_name = Str(allow_none=True)
    device_name = Str(allow_none=True)


class StockCardSchema(Schema):
    balance = Int()
    entries = fields.List(fields.Nested(StockCardEntrySchema))


class Gs1CodeSchema(Schema):
    code = Str(required=True, validate=GS1_CODE)


class Gs1ItemSchema(Schema):
    id = Int()
    sku = Str()
    name = Str()
    pack_size = Int()
    unit_of_measure = Str()


class Gs1ReadingSchema(Schema):
    gtin = Str()
    lot_number = Str(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    serial = Str(allow_none=True)
    item = fields.Nested(Gs1ItemSchema, allow_none=True,
                         metadata={"description": "The catalog item with this GTIN, if any"})


class QuantityUnit:
    PACKS = "packs"
    UNITS = "units"


class ReceiptSchema(Schema):
    location_id = _id("Where the stock arrived")
    quantity = Int(required=True, validate=QUANTITY)
    quantity_in = Str(required=True, validate=validate.OneOf([QuantityUnit.PACKS, QuantityUnit.UNITS]),
                      metadata={"description": "packs (times the item's pack_size) or units"})
    gs1 = Str(validate=GS1_CODE, metadata={"description": "The code scanned off the pack"})
    item_id = Int(validate=POSITIVE)
    lot_number = Str(validate=LOT_NUMBER)
    expires_on = fields.Date(allow_none=True)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _gs1_or_item(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        if "gs1" in data or (isinstance(original, dict) and "gs1" in original):
            if "item_id" in data:
                raise ValidationError("Give either gs1 or item_id, not both.", "item_id")
            return
        missing = {name: ["Needed without a gs1 code."] for name in ("item_id", "lot_number")
                   if name not in data}
        if missing:
            raise ValidationError(missing)


class ReceiptResultSchema(Schema):
    entry_id = fields.UUID()
    location_id = Int()
    item_id = Int()
    lot_id = Int()
    lot_number = Str()
    expires_on = fields.Date(allow_none=True)
    units = Int(metadata={"description": "Units of measure added to stock"})
    on_hand = Int(metadata={"description": "The lot's stock at the location afterwards"})


class TransferLineInSchema(Schema):
    item_id = _id("The item sent")
    lot_id = Int(validate=POSITIVE, metadata={"description": "Omitted: first-expiry lots first"})
    quantity = Int(required=True, validate=QUANTITY)


class NewTransferSchema(Schema):
    from_location_id = _id("Where the stock leaves")
    to_location_id = _id("Where it goes")
    lines = fields.List(fields.Nested(TransferLineInSchema), required=True,
                        validate=validate.Length(min=1, max=200))

    @validates_schema(skip_on_field_errors=False)
    def _two_places(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "from_location_id" in data and data["from_location_id"] == data.get("to_location_id"):
            raise ValidationError("Send to another location.", "to_location_id")


class TransferLineSchema(Schema):
    item_id = Int()
    item_name = Str()
    lot_id = Int()
    lot_number = Str()
    expires_on = fields.Date(allow_none=True)
    quantity = Int()


class TransferSchema(Schema):
    id = fields.UUID()
    from_location_id = Int()
    from_location_name = Str()
    to_location_id = Int()
    to_location_name = Str()
    state = fields.Enum(TransferState, by_value=True)
    sent_at = AwareDateTime()
    received_at = AwareDateTime(allow_none=True)
    lines = fields.List(fields.Nested(TransferLineSchema))


class TransferQuerySchema(Schema):
    state = fields.Enum(TransferState, by_value=True)


class CountLineSchema(Schema):
    lot_id = Int(validate=POSITIVE)
    gs1 = Str(validate=GS1_CODE)
    counted = Int(required=True, validate=COUNTED)

    @validates_schema
    def _lot_or_gs1(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("lot_id" in data) == ("gs1" in data):
            raise ValidationError("Give either lot_id or gs1.", "lot_id")


class CountSchema(Schema):
    location_id = _id("The location counted")
    lines = fields.List(fields.Nested(CountLineSchema), required=True,
                        validate=validate.Length(min=1, max=500))


class AdjustmentMadeSchema(Schema):
    entry_id = fields.UUID()
    lot_id = Int()
    lot_number = Str()
    item_id = Int()
    delta = Int(metadata={"description": "counted - on hand when counted"})
    on_hand = Int(metadata={"description": "The lot's stock at the location afterwards"})


class CountResultSchema(Schema):
    adjustments = fields.List(fields.Nested(AdjustmentMadeSchema))


class AdjustmentSchema(Schema):
    location_id = _id("Where the stock was")
    lot_id = _id("The lot written off")
    quantity = Int(required=True, validate=QUANTITY, metadata={"description": "Units written off"})
    reason = fields.Enum(LedgerReason, by_value=True, required=True,
                         validate=validate.OneOf([LedgerReason.EXPIRE, LedgerReason.DAMAGE]))


class AdjustmentResultSchema(Schema):
    entry_id = fields.UUID()
    on_hand = Int()


class DiscrepancyQuerySchema(Schema):
    state = fields.Enum(DiscrepancyState, by_value=True)


class DiscrepancySchema(Schema):
    id = Int()
    location_id = Int()
    location_name = Str()
    lot_id = Int()
    lot_number = Str()
    item_id = Int()
    item_name = Str()
    on_hand_when_found = Int()
    on_hand = Int()
    state = fields.Enum(DiscrepancyState, by_value=True)
    opened_at = AwareDateTime()
    resolved_at = AwareDateTime(allow_none=True)
    resolved_by_name = Str(allow_none=True)
    resolution = Str(allow_none=True)


class ResolutionSchema(Schema):
    note = Str(required=True, validate=NOTE)


class AlertQuerySchema(Schema):
    state = fields.Enum(AlertState, by_value=True)


class AlertSchema(Schema):
    id = Int()
    kind = Str()
    location_id = Int()
    location_name = Str()
    item_id = Int()
    item_name = Str()
    lot_id = Int(allow_none=True)
    lot_number = Str(allow_none=True)
    on_hand = Int()
    par = Int(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    state = fields.Enum(AlertState, by_value=True)
    first_seen = AwareDateTime()
    last_seen = AwareDateTime()


class ParQuerySchema(Schema):
    location_id = _query_id()


class ParLevelSchema(Schema):
    location_id = _id("The location")
    item_id = _id("The item")
    par = Int(required=True, validate=COUNTED, metadata={"description": "Units to hold"})


class ReorderQuerySchema(Schema):
    format = Str(validate=validate.OneOf(["json", "csv"]))


class ReorderRowSchema(Schema):
    location_id = Int()
    location_name = Str()
    item_id = Int()
    item_name = Str()
    sku = Str()
    unit_of_measure = Str()
    pack_size = Int()
    on_hand = Int()
    par = Int()
    used_30d = Int(metadata={"description": "Distributed, administered, expired and damaged"})
    suggested_order = Int(metadata={"description": "Units, whole packs: max(0, par - on_hand)"})
    suggested_packs = Int()
