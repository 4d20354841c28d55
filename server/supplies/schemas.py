"""Shapes of the supply catalog."""

from __future__ import annotations

from marshmallow import Schema

from server.fields import Bool, Int, Str


class SupplyItemSchema(Schema):
    id = Int()
    sku = Str()
    name = Str()
    unit_of_issue = Str()
    low_stock_threshold = Int()
    harm_reduction = Bool()
