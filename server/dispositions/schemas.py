"""Shapes of the disposition list on the API."""

from __future__ import annotations

from marshmallow import Schema, validate

from server.dispositions.models import MAX_CODE_LENGTH, MAX_LABEL_LENGTH
from server.fields import AwareDateTime, Bool, Int, Str

CODE = validate.Regexp(rf"^[a-z0-9_]{{2,{MAX_CODE_LENGTH}}}$",
                       error="must be 2 to 40 lowercase letters, digits or underscores")
LABEL = validate.Length(min=1, max=MAX_LABEL_LENGTH)
# Sort orders are small numbers a person types; the list has tens of entries.
SORT_ORDER = validate.Range(min=0, max=100_000)


class DispositionSchema(Schema):
    id = Int(dump_only=True)
    code = Str(required=True, validate=CODE,
               metadata={"description": "what a call holds (never changes once made)"})
    label_en = Str(required=True, validate=LABEL)
    label_es = Str(required=True, validate=LABEL)
    active = Bool(load_default=True,
                  metadata={"description": "offered on the tablet; calls keep an inactive code"})
    sort_order = Int(load_default=0, validate=SORT_ORDER)
    updated_at = AwareDateTime(dump_only=True)


class DispositionPatchSchema(Schema):
    label_en = Str(validate=LABEL)
    label_es = Str(validate=LABEL)
    active = Bool()
    sort_order = Int(validate=SORT_ORDER)
