"""Shapes of care navigation: resource search and its answers, referrals with their status
course, follow-ups, and a call as care navigation reads it."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.care.models import ReferralStatus
from server.fields import AwareDateTime, Bool, Float, Int, Str

# A search radius past a city's reach: a county's resources are well within it.
MAX_RADIUS_KM = 200
# The radius a search from a point uses unless it says otherwise: a city and its edges.
DEFAULT_RADIUS_KM = 25
NOTE = validate.Length(max=2000)
NEED = validate.Length(min=1, max=120)


class ResourceQuerySchema(Schema):
    need = Str(validate=validate.Length(max=120),
               metadata={"description": "Words each resource must have in a taxonomy term, its "
                                        "name or description (food, housing, shelter...)."})
    lat = Float(strict=False, validate=validate.Range(min=-90, max=90))
    lon = Float(strict=False, validate=validate.Range(min=-180, max=180))
    call_id = fields.UUID(metadata={"description": "Measure from this call's premise (a call "
                                                   "in care navigation)."})
    language = Str(validate=validate.Length(min=1, max=60), metadata={
        "description": "Only resources offered in this language (its name or code: Spanish, es)."})
    radius_km = Int(strict=False, load_default=DEFAULT_RADIUS_KM,
                    validate=validate.Range(min=1, max=MAX_RADIUS_KM))

    @validates_schema
    def _both_or_neither(self, data: dict[str, Any], **_: Any) -> None:
        if ("lat" in data) != ("lon" in data):
            missing = "lon" if "lat" in data else "lat"
            raise ValidationError({missing: ["A point needs both lat and lon."]})


class ResourceSchema(Schema):
    id = Int()
    hsds_service_id = Str()
    hsds_location_id = Str(allow_none=True)
    organization = Str(allow_none=True)
    name = Str()
    description = Str()
    categories = fields.List(Str())
    address = Str()
    lat = Float(allow_none=True)
    lon = Float(allow_none=True)
    phone = Str(allow_none=True)
    url = Str(allow_none=True)
    email = Str(allow_none=True)
    languages = fields.List(Str(), metadata={"description": "Languages offered (names, else codes)."})
    hours = fields.List(Str(), metadata={"description": "Opening hours, one line per schedule "
                                                       "(days, times, the publisher's words)."})
    distance_m = Int(allow_none=True, metadata={"description": "From the search's point."})


class ReferralInSchema(Schema):
    id = fields.UUID(load_default=None, metadata={
        "description": "made on the tablet: sent again (a lost answer, hours offline) it is the "
                       "same referral"})
    made_by = Int(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1),
                  metadata={"description": "the user id of the person who made it on a tablet "
                                           "the crew shares (as a backup request's pressed_by)"})
    call_id = fields.UUID(required=True)
    resource_id = Int(load_default=None, allow_none=True, validate=validate.Range(min=1))
    need = Str(load_default=None, allow_none=True, validate=NEED)
    note = Str(load_default=None, allow_none=True, validate=NOTE)


class ReferralStatusInSchema(Schema):
    status = fields.Enum(ReferralStatus, by_value=True, required=True)
    note = Str(load_default=None, allow_none=True, validate=NOTE)


class ReferralQuerySchema(Schema):
    status = fields.List(fields.Enum(ReferralStatus, by_value=True))
    call_id = fields.UUID()


class ReferralEventSchema(Schema):
    status = Str()
    at = AwareDateTime()
    by = Str(allow_none=True)
    note = Str(allow_none=True)


class ReferralSchema(Schema):
    id = fields.UUID()
    call_id = fields.UUID()
    cad_number = Str()
    address = Str(allow_none=True, metadata={"description": "Null for readers of figures only."})
    need = Str()
    status = Str()
    note = Str(allow_none=True, metadata={"description": "Null for readers of figures only."})
    resource = fields.Nested(ResourceSchema, allow_none=True)
    created_by = Str(allow_none=True)
    created_at = AwareDateTime()
    updated_at = AwareDateTime()
    events = fields.List(fields.Nested(ReferralEventSchema))


class ReferralListSchema(Schema):
    items = fields.List(fields.Nested(ReferralSchema))


class FollowUpInSchema(Schema):
    call_id = fields.UUID(required=True)
    referral_id = fields.UUID(load_default=None, allow_none=True)
    due_at = AwareDateTime(required=True)
    assigned_to_id = Int(load_default=None, allow_none=True, validate=validate.Range(min=1),
                         metadata={"description": "A care navigator; the author by default."})
    note = Str(load_default=None, allow_none=True, validate=NOTE)


class FollowUpDoneSchema(Schema):
    outcome = Str(required=True, validate=validate.Length(min=1, max=2000))


class FollowUpQuerySchema(Schema):
    overdue = Bool(strict=False, load_default=False)
    due_before = AwareDateTime()
    include_done = Bool(strict=False, load_default=False)
    everyone = Bool(strict=False, load_default=False,
                    metadata={"description": "A navigator sees their own unless this is true."})


class FollowUpSchema(Schema):
    id = Int()
    call_id = fields.UUID()
    cad_number = Str()
    address = Str(allow_none=True)
    referral_id = fields.UUID(allow_none=True)
    due_at = AwareDateTime()
    overdue = Bool()
    assigned_to_id = Int()
    assigned_to = Str(allow_none=True)
    note = Str(allow_none=True)
    done_at = AwareDateTime(allow_none=True)
    done_by = Str(allow_none=True)
    outcome = Str(allow_none=True)
    created_at = AwareDateTime()


class FollowUpListSchema(Schema):
    items = fields.List(fields.Nested(FollowUpSchema))


class CareCallSchema(Schema):
    id = fields.UUID()
    cad_number = Str()
    call_type = Str()
    received_at = AwareDateTime()
    address = Str()
    lat = Float(allow_none=True)
    lon = Float(allow_none=True)
    status = Str()
    narrative = Str(allow_none=True)
    disposition = Str(allow_none=True)
