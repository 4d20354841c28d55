"""Shapes of the indicators' query (period, days, call type, area) and their answers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.fields import Str
from server.indicators.services import PERIODS
from server.units.models import Program

FORMATS: Final = ("json", "csv")
# A range of at most two years of days: a year compared with the one before, and a bound on
# what one request reads (366 day rows per group at most a year).
MAX_RANGE_DAYS: Final = 731
# Without dates: the last 12 weeks up to today, enough for a trend by week.
DEFAULT_RANGE_DAYS: Final = 84
# No call predates the epoch, and the day after the last must be a date Python holds.
FIRST_DAY: Final = date(1970, 1, 1)
LAST_DAY: Final = date(9999, 12, 30)


class IndicatorQuerySchema(Schema):
    period = Str(load_default="week", validate=validate.OneOf(PERIODS),
                 metadata={"description": "day, week (from Monday) or month"})
    start = fields.Date(data_key="from", load_default=None,
                        validate=validate.Range(FIRST_DAY, LAST_DAY), metadata={
                            "description": "first day (YYYY-MM-DD, department's time zone); "
                                           f"default {DEFAULT_RANGE_DAYS - 1} days before to"})
    end = fields.Date(data_key="to", load_default=None,
                      validate=validate.Range(FIRST_DAY, LAST_DAY), metadata={
                          "description": "last day, included (default today)"})
    call_type = Str(load_default=None, validate=validate.Length(min=1, max=48),
                    metadata={"description": "a call type code: only calls of that type"})
    area = Str(load_default=None, validate=validate.Length(min=1, max=40), metadata={
        "description": "a service area id: only calls at a premise in that area"})
    program = Str(load_default=None, validate=validate.OneOf([p.value for p in Program]),
                  metadata={"description": "a program: only its rows, in the indicators grouped "
                                           "by program (the others show every program)"})
    format = Str(load_default="json", validate=validate.OneOf(FORMATS),
                 metadata={"description": "json, or csv (text/csv, small cells suppressed)"})

    @validates_schema
    def _range(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data["start"], data["end"]
        if start is not None and end is not None:
            if end < start:
                raise ValidationError("must not be before from", "to")
            if (end - start) >= timedelta(days=MAX_RANGE_DAYS):
                raise ValidationError(f"at most {MAX_RANGE_DAYS} days from from", "to")


class DefinitionSchema(Schema):
    id = Str()
    title = Str()
    definition = Str()
    source_fields = fields.List(Str())
    common = Str(metadata={"description": "what every indicator shares: periods, programs, "
                                          "suppression in exports"})


class FiltersSchema(Schema):
    period = Str()
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    time_zone = Str()
    call_type = Str(allow_none=True)
    area = Str(allow_none=True)
    area_applied = fields.Bool()
    program = Str(allow_none=True)
    program_applied = fields.Bool(metadata={"description": "whether the program filter kept "
                                                           "this indicator's rows of one program"})


class MeasureSchema(Schema):
    name = Str()
    description = Str()
    suppressed_with = fields.List(Str(), metadata={
        "description": "the counts that, from 1 to 4, suppress this value in exports"})


class RowSchema(Schema):
    period = Str(metadata={"description": "the period's first day, YYYY-MM-DD"})
    group = fields.Dict(keys=Str(), values=Str())
    values = fields.Dict(keys=Str(), values=fields.Float(allow_none=True))
    suppressed_in_exports = fields.Bool(metadata={
        "description": "a count from 1 to 4 here: the CSV export shows it as <5"})


class IndicatorSchema(DefinitionSchema):
    filters = fields.Nested(FiltersSchema)
    periods = fields.List(Str(), metadata={"description": "every period of the range"})
    groups = fields.List(Str())
    measures = fields.List(fields.Nested(MeasureSchema))
    rows = fields.List(fields.Nested(RowSchema))
    suppressed_in_exports = fields.Bool()
    notes = fields.List(Str())


class BaselineQuerySchema(Schema):
    start = fields.Date(data_key="from", load_default=None,
                        validate=validate.Range(FIRST_DAY, LAST_DAY), metadata={
                            "description": "first day received (YYYY-MM-DD, department's time "
                                           "zone); default: the first imported call"})
    end = fields.Date(data_key="to", load_default=None,
                      validate=validate.Range(FIRST_DAY, LAST_DAY), metadata={
                          "description": "last day, included; default: the last imported call"})

    @validates_schema
    def _order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["start"] is not None and data["end"] is not None and data["end"] < data["start"]:
            raise ValidationError("must not be before from", "to")


class BaselineCellSchema(Schema):
    calls = fields.Int()
    eligible = fields.Int()
    eligible_share = fields.Float(allow_none=True)


class BaselineTypeSchema(BaselineCellSchema):
    call_type = Str()
    name = Str()


class BaselineHourSchema(BaselineCellSchema):
    weekday = fields.Int(metadata={"description": "0 Monday to 6 Sunday"})
    hour = fields.Int(metadata={"description": "0 to 23, local time"})


class BaselineFiltersSchema(Schema):
    start = fields.Date(data_key="from", allow_none=True)
    end = fields.Date(data_key="to", allow_none=True)
    time_zone = Str()


class BaselineSchema(Schema):
    definition = Str()
    filters = fields.Nested(BaselineFiltersSchema)
    total = fields.Nested(BaselineCellSchema)
    by_call_type = fields.List(fields.Nested(BaselineTypeSchema))
    by_hour_of_week = fields.List(fields.Nested(BaselineHourSchema), metadata={
        "description": "all 168 hours, Monday 00:00 first"})
    suppressed_in_exports = fields.Bool()


class AreaSchema(Schema):
    id = Str()
    name = Str()
