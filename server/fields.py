"""Storable marshmallow fields: every request schema uses these, so what a schema accepts the
databases can store (the limits are in `sync.storable`), and a bad value is a 422 naming its
field instead of a database error.

- `Str` refuses NUL and lone surrogates; `Int` (32-bit, INTEGER columns) and `BigInt` (64-bit)
  are bounded and documented with their range; `Float` refuses NaN, infinities and numbers past
  the float range; `AwareDateTime` refuses a time that has no UTC equivalent (year 1 at
  +01:00). In a JSON body `Int`, `Float` and `Bool` take only JSON numbers and booleans (a
  schema that says `integer` does not take "12" or 1.5); in a query string, where everything
  arrives as text, they are built with `strict=False`.
- `Dict` (free-form objects) refuses the same values anywhere inside, by dotted path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from marshmallow import ValidationError, fields, validate

from sync.storable import INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, text_problem, value_problems


class Str(fields.String):
    """Text a database column holds: no NUL, no lone surrogate."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        why = text_problem(text)
        if why:
            raise ValidationError(why)
        return text


class _BoundedInteger(fields.Integer):
    """An integer within [low, high]: documented as the schema's range (OpenAPI takes the
    narrowest of it and the field's own Range), and refused past it in `_validated`, before
    any validator or the database sees it."""

    low: int
    high: int

    def __init__(self, *, strict: bool = True, **kwargs: Any) -> None:
        kwargs["validate"] = [validate.Range(min=self.low, max=self.high),
                              *_as_list(kwargs.get("validate"))]
        super().__init__(strict=strict, **kwargs)

    def _validated(self, value: Any) -> int:
        if value is True or value is False:
            raise self.make_error("invalid", input=value)
        number = super()._validated(value)
        if not self.low <= number <= self.high:
            raise ValidationError(f"Must be greater than or equal to {self.low} and less than or "
                                  f"equal to {self.high}.")
        return number


class Int(_BoundedInteger):
    """An integer an INTEGER column holds (ids, versions, counts): 32-bit signed."""

    low, high = INT32_MIN, INT32_MAX


class BigInt(_BoundedInteger):
    """An integer a BIGINT column holds: 64-bit signed."""

    low, high = INT64_MIN, INT64_MAX


class Float(fields.Float):
    """A finite number: NaN, ±Infinity and 1e400 (read as infinity) are refused."""

    def __init__(self, *, strict: bool = True, **kwargs: Any) -> None:
        super().__init__(allow_nan=False, **kwargs)
        self.strict = strict

    def _validated(self, value: Any) -> float:
        if value is True or value is False or (self.strict and isinstance(value, str)):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class AwareDateTime(fields.AwareDateTime):
    """An ISO 8601 date-time with a UTC offset that has a UTC equivalent."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> Any:
        when = super()._deserialize(value, attr, data, **kwargs)
        try:
            when.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Not a date-time with a UTC equivalent.") from None
        return when


class Bool(fields.Boolean):
    """true or false; with strict=False (query strings) also the usual spellings of them."""

    def __init__(self, *, strict: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.strict = strict

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> Any:
        if self.strict and value is not True and value is not False:
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class Dict(fields.Dict):
    """A free-form object whose every key and value a JSON column holds."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> Any:
        loaded = super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-untyped-call]
        problems = value_problems(loaded)
        if problems:
            raise ValidationError(problems)
        return loaded


def _as_list(validators: Any) -> list[Any]:
    if validators is None:
        return []
    if callable(validators):
        return [validators]
    return list(validators)
