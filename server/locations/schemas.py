"""Shapes of unit positions, the track export's query and the tablets' field settings."""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, fields, validate

from server.fields import Float, Int, Str

TRACK_FORMATS = ("geojson", "csv")
# The days a track can be asked for: no point predates the epoch (the devices' clocks count
# from it), and a day's end (the next midnight) must be a date Python can hold.
FIRST_TRACK_DAY = date(1970, 1, 1)
LAST_TRACK_DAY = date(9999, 12, 30)


class UnitPositionSchema(Schema):
    unit_id = Int()
    call_sign = Str()
    lat = Float()
    lon = Float()
    accuracy_m = Float(allow_none=True)
    at = fields.AwareDateTime(metadata={"description": "when it was recorded (server clock)"})


class TrackQuerySchema(Schema):
    date = fields.Date(required=True, validate=validate.Range(FIRST_TRACK_DAY, LAST_TRACK_DAY),
                       metadata={
                           "description": "YYYY-MM-DD, a day in the department's time zone"
                                          " (DEPARTMENT_TIMEZONE)"})
    format = Str(load_default="geojson", validate=validate.OneOf(TRACK_FORMATS))


class CheckinSettingsSchema(Schema):
    after_minutes = Int(metadata={"description": "on scene this long with no status change "
                                  "or check-in: the crew is asked to check in"})
    after_minutes_by_call_type = fields.Dict(keys=Str(), values=Int(), metadata={
        "description": "call type code -> minutes, for the types that differ"})
    grace_seconds = Int(metadata={"description": "unanswered this long: a backup request"})


class FieldSettingsSchema(Schema):
    location_interval_s = Int(metadata={"description": "a point at most this often, seconds"})
    location_min_accuracy_m = Int(metadata={
        "description": "fixes less accurate than this (metres) are dropped"})
    location_min_move_m = Int(metadata={
        "description": "within the interval, a point only when the unit moved this far (m)"})
    checkin = fields.Nested(CheckinSettingsSchema)
