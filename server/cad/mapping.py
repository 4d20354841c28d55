"""A CAD vendor's CSV layout: which of its columns hold which of our fields, and how it writes
times, missing values and yes/no flags.

A layout is a TOML file (`mappings/default.toml` shows every key with a comment). Its top
level says how values are written (`timezone`, `date_formats`, `null_markers`, `true_values`,
`false_values`, `encoding`, `delimiter`), `[fields]` names the vendor column of each of our
fields (`reasons` takes a list of columns), and `[caller_answers]` names a column for each
screening answer we keep. A key the format does not know is refused, so a misspelt field is
an error rather than a column quietly read into `extra`.
"""

from __future__ import annotations

import codecs
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Our single-valued fields a layout may map, in the order CadCall lists them.
SINGLE_FIELDS = ("incident_number", "call_type", "priority", "received_at", "address", "lat", "lon",
                 "narrative", "weapon", "violence")
# A call cannot be stored, found again or ordered without these.
REQUIRED_FIELDS = ("incident_number", "call_type", "received_at")
# Case-insensitive, after trimming: how most CAD exports write a flag.
DEFAULT_TRUE_VALUES = ("Y", "YES", "1", "TRUE")
DEFAULT_FALSE_VALUES = ("N", "NO", "0", "FALSE")
# An empty cell is missing in every export; a layout adds its own markers ("NULL", "N/A").
DEFAULT_NULL_MARKERS = ("",)
# Excel and most CAD exports write UTF-8 with a byte-order mark; utf-8-sig reads both.
DEFAULT_ENCODING = "utf-8-sig"

_TOP_KEYS = {"name", "timezone", "date_formats", "null_markers", "true_values", "false_values",
             "encoding", "delimiter", "fields", "caller_answers"}


class MappingError(ValueError):
    """A layout that cannot be used; the message names the key."""


@dataclass(frozen=True)
class CsvMapping:
    """A vendor layout, checked. Markers and flag values are kept casefolded."""

    name: str
    columns: dict[str, str]  # our single-valued field -> the vendor's column
    reason_columns: tuple[str, ...]
    answer_columns: dict[str, str]  # our answer name -> the vendor's column
    date_formats: tuple[str, ...]  # strptime formats, tried in order
    timezone: ZoneInfo  # of times written without an offset
    null_markers: frozenset[str]
    true_values: frozenset[str]
    false_values: frozenset[str]
    encoding: str
    delimiter: str

    def mapped_columns(self) -> list[str]:
        """Every vendor column the layout names, each once, in the layout's order."""
        named = [*self.columns.values(), *self.reason_columns, *self.answer_columns.values()]
        return list(dict.fromkeys(named))


def load_mapping(path: str | Path) -> CsvMapping:
    """Read and check a layout file."""
    with open(path, "rb") as file:
        try:
            data = tomllib.load(file)
        except tomllib.TOMLDecodeError as error:
            raise MappingError(f"{path} is not valid TOML: {error}") from error
    return mapping_from_dict(data)


def mapping_from_dict(data: Mapping[str, Any]) -> CsvMapping:
    """Check a layout already read (the TOML file's tables as dicts)."""
    _refuse_unknown(data, _TOP_KEYS, "")
    fields = _table(data, "fields")
    _refuse_unknown(fields, {*SINGLE_FIELDS, "reasons"}, "fields.")
    missing = [name for name in REQUIRED_FIELDS if name not in fields]
    if missing:
        raise MappingError(f"fields: {', '.join(missing)} must be mapped to a column")
    columns = {name: _text(fields, name, "fields.") for name in SINGLE_FIELDS if name in fields}
    answers = _table(data, "caller_answers") if "caller_answers" in data else {}
    true_values = _casefolded(data, "true_values", DEFAULT_TRUE_VALUES)
    false_values = _casefolded(data, "false_values", DEFAULT_FALSE_VALUES)
    if both := true_values & false_values:
        raise MappingError(f"true_values and false_values share {', '.join(sorted(both))}")
    return CsvMapping(
        name=_text(data, "name", ""),
        columns=columns,
        reason_columns=_texts(fields, "reasons", "fields.", ()),
        answer_columns={name: _text(answers, name, "caller_answers.") for name in answers},
        date_formats=_date_formats(data),
        timezone=_timezone(data),
        null_markers=_casefolded(data, "null_markers", DEFAULT_NULL_MARKERS),
        true_values=true_values,
        false_values=false_values,
        encoding=_encoding(data),
        delimiter=_delimiter(data),
    )


def _refuse_unknown(data: Mapping[str, Any], known: set[str], prefix: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise MappingError(f"unknown key {', '.join(prefix + key for key in unknown)}; "
                           f"known: {', '.join(sorted(known))}")


def _table(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise MappingError(f"[{key}] must be a table")
    return value


def _text(data: Mapping[str, Any], key: str, prefix: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{prefix}{key} must be a non-empty string")
    return value.strip()


def _texts(data: Mapping[str, Any], key: str, prefix: str, default: tuple[str, ...]) -> tuple[str, ...]:
    if key not in data:
        return default
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MappingError(f"{prefix}{key} must be a list of strings")
    return tuple(item.strip() for item in value)


def _casefolded(data: Mapping[str, Any], key: str, default: tuple[str, ...]) -> frozenset[str]:
    return frozenset(item.casefold() for item in _texts(data, key, "", default))


def _date_formats(data: Mapping[str, Any]) -> tuple[str, ...]:
    formats = _texts(data, "date_formats", "", ())
    if not formats or not all(formats):
        raise MappingError("date_formats must list at least one strptime format, e.g. \"%m/%d/%Y %H:%M\"")
    return formats


def _timezone(data: Mapping[str, Any]) -> ZoneInfo:
    name = _text(data, "timezone", "")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise MappingError(f"timezone {name!r} is not an IANA time zone (e.g. America/Chicago)") from error


def _encoding(data: Mapping[str, Any]) -> str:
    encoding = _text(data, "encoding", "") if "encoding" in data else DEFAULT_ENCODING
    try:
        codecs.lookup(encoding)
    except LookupError as error:
        raise MappingError(f"encoding {encoding!r} is not a known text encoding") from error
    return encoding


def _delimiter(data: Mapping[str, Any]) -> str:
    delimiter = data.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        raise MappingError("delimiter must be one character (not a quote or a line break)")
    return delimiter
