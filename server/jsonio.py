"""JSON in and out of the API through orjson (several times faster than the stdlib `json`).

Sync pushes and pulls move hundreds of objects per request; the stdlib encoder and decoder
were a few microseconds per operation of the worker's CPU. Both classes here keep what the
wire carried before, parsed: keys sorted, UUIDs as strings, and every type orjson does not
handle itself (dates and datetimes, dataclasses, Decimal, `__html__`) through Flask's own
`default`, so it is rendered exactly as before. Only the bytes differ: non-ASCII text is sent
as UTF-8 instead of `\\u` escapes. Anything orjson refuses (integers beyond 64 bits, non-string
keys of mixed types, a `default` that fails) goes through the stdlib path as before, so what
used to succeed still succeeds and what used to fail fails the same way.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider, _default
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.sansio.response import Response

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)


def _dumpb(obj: Any) -> bytes | None:
    """orjson's bytes, or None when orjson cannot encode `obj` (the caller uses the stdlib)."""
    try:
        return orjson.dumps(obj, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return None


def _loads(data: str | bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # orjson is stricter than the stdlib (NaN, Infinity, huge integers): keep accepting
        # what was accepted, and raise the stdlib's error for what never was.
        return json.loads(data)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider (`app.json`, used by `jsonify` and flask-smorest) over orjson."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if not kwargs:
            encoded = _dumpb(obj)
            if encoded is not None:
                return encoded.decode()
        return super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if kwargs:
            return super().loads(s, **kwargs)
        return _loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)  # indented: the stdlib's layout
        encoded = _dumpb(self._prepare_response_obj(args, kwargs))
        if encoded is None:
            return super().response(*args, **kwargs)
        response: Response = self._app.response_class(mimetype=self.mimetype)
        response.set_data(encoded + b"\n")  # type: ignore[attr-defined]  # a flask.Response
        return response


class OrjsonParser(FlaskParser):
    """webargs' Flask parser (request bodies of every `@blp.arguments`) decoding with orjson."""

    def load_json(self, req: Any, schema: Any) -> Any:
        """Every body the API declares is required: a request without one (or not sent as JSON)
        is refused under `json`, not read as an empty object that a PATCH would accept."""
        data = super().load_json(req, schema)
        if data is core.missing:
            raise ValidationError(["A JSON body is required (Content-Type: application/json)."])
        return data

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return core.parse_json(data)  # the stdlib: same result or the same error as before
