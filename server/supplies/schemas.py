"""Shapes of the supply catalog."""

from __future__ import annotations

from marshmallow import Schema, fields


class SupplyItemSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    unit_of_issue = fields.String()
    low_stock_threshold = fields.Integer()
    harm_reduction = fields.Boolean()
