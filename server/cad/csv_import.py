"""A CAD's CSV export read into calls, one row at a time.

`read_csv(lines, mapping)` reads text lines (a file opened with `newline=""`, so CRLF and
line breaks inside quoted values are the csv module's business); `read_csv_path` and
`read_csv_stream` open a file or an uploaded byte stream in the layout's encoding. Each is a
generator: the whole export is never held, so a 100,000-row file reads in flat memory.

- Before the first row, a header that lacks a column the layout names raises one
  `CsvHeaderError` listing every missing column (a missing weapon column must not read as
  "no weapon" on every call).
- A good row yields a `CadCall`. A bad row yields one `RowError` for each bad field (row 2 is
  the first after the header, as a spreadsheet numbers it) and nothing else; reading goes on.
- Values are trimmed; a null marker (case-insensitive) is a missing value. Times without an
  offset are in the layout's time zone and come out in UTC. Columns the layout does not name
  are kept in `extra` (missing values left out).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypeVar

from server.cad.mapping import CsvMapping
from server.cad.records import CadCall, RowError
from sync.storable import INT32_MAX, INT32_MIN, text_problem

T = TypeVar("T")

# The header is row 1: the first call is row 2, as a spreadsheet shows it.
FIRST_DATA_ROW = 2
# Degrees; a value outside is a vendor's other unit (microdegrees, state plane feet) or a typo.
LAT_RANGE = (-90.0, 90.0)
LON_RANGE = (-180.0, 180.0)


class CsvHeaderError(ValueError):
    """The export cannot be read with this layout at all (no header, or columns missing)."""


class _BadValueError(ValueError):
    """One value that cannot be read; the message says why."""


@dataclass(frozen=True)
class _Layout:
    """Where the layout's columns sit in this file's header."""

    width: int
    fields: dict[str, int]  # our field -> column index
    reasons: tuple[int, ...]
    answers: dict[str, int]
    extra: tuple[tuple[str, int], ...]  # (name, index) of the columns the layout does not name
    names: tuple[str, ...]


def read_csv_path(path: str | Path, mapping: CsvMapping) -> Iterator[CadCall | RowError]:
    """The calls of an export file, read in the layout's encoding."""
    with open(path, encoding=mapping.encoding, newline="") as file:
        yield from read_csv(file, mapping)


def read_csv_stream(stream: IO[bytes], mapping: CsvMapping) -> Iterator[CadCall | RowError]:
    """The calls of an uploaded export; the stream is left open."""
    text = io.TextIOWrapper(stream, encoding=mapping.encoding, newline="")
    try:
        yield from read_csv(text, mapping)
    finally:
        text.detach()


def read_csv(lines: Iterable[str], mapping: CsvMapping) -> Iterator[CadCall | RowError]:
    """The calls of an export, one per row, or the errors of the rows that cannot be read."""
    reader = csv.reader(lines, delimiter=mapping.delimiter)
    layout = _read_header(reader, mapping)
    for row in itertools.count(FIRST_DATA_ROW):
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield RowError(row, None, f"cannot be read as CSV: {error}")
            continue
        except UnicodeDecodeError as error:
            yield RowError(row, None, f"the file is not {mapping.encoding} text from here on "
                                      f"({error.reason}); the rest of it was not read")
            return
        if values:  # a blank line is an empty spreadsheet row
            yield from _RowReader(row, values, layout, mapping).read()


def _read_header(reader: Iterator[list[str]], mapping: CsvMapping) -> _Layout:
    try:
        header = next(reader)
    except StopIteration:
        raise CsvHeaderError("the file is empty: a header row naming the columns was expected") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise CsvHeaderError(f"the header row cannot be read as {mapping.encoding} CSV: {error}") from error
    names = [cell.strip() for cell in header]
    if names:  # a byte-order mark the file was not opened to strip
        names[0] = names[0].lstrip("\ufeff").strip()
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        positions.setdefault(name, []).append(index)
    wanted = mapping.mapped_columns()
    missing = [name for name in wanted if name not in positions]
    if missing:
        raise CsvHeaderError(
            f"the header has no column {', '.join(map(repr, missing))} (layout {mapping.name!r} "
            f"maps {_fields_of(mapping, missing)}); its columns are {', '.join(map(repr, names))}")
    repeated = [name for name in wanted if len(positions[name]) > 1]
    if repeated:
        raise CsvHeaderError(f"the header has column {', '.join(map(repr, repeated))} more than once, "
                             f"so which one to read is unclear")
    return _Layout(
        width=len(names),
        fields={field: positions[column][0] for field, column in mapping.columns.items()},
        reasons=tuple(positions[column][0] for column in mapping.reason_columns),
        answers={answer: positions[column][0] for answer, column in mapping.answer_columns.items()},
        extra=_extra_columns(names, set(wanted)),
        names=tuple(names),
    )


def _fields_of(mapping: CsvMapping, columns: list[str]) -> str:
    """Which of our fields the missing columns were to fill, for the header error."""
    fields = [field for field, column in mapping.columns.items() if column in columns]
    fields += ["reasons"] if set(mapping.reason_columns) & set(columns) else []
    fields += [f"caller_answers.{answer}" for answer, column in mapping.answer_columns.items()
               if column in columns]
    return ", ".join(fields)


def _extra_columns(names: list[str], mapped: set[str]) -> tuple[tuple[str, int], ...]:
    """The columns kept in `extra`; a name seen again is kept as "name#2", "name#3"..."""
    seen: dict[str, int] = {}
    extra = []
    for index, name in enumerate(names):
        if name in mapped:
            continue
        seen[name] = seen.get(name, 0) + 1
        extra.append((name if seen[name] == 1 else f"{name}#{seen[name]}", index))
    return tuple(extra)


class _RowReader:
    """One row's values read into a call, collecting a problem per bad field."""

    def __init__(self, row: int, values: list[str], layout: _Layout, mapping: CsvMapping) -> None:
        self.row = row
        self.values = values
        self.layout = layout
        self.mapping = mapping
        self.problems: list[RowError] = []

    def read(self) -> Iterator[CadCall | RowError]:
        if len(self.values) != self.layout.width:
            yield RowError(self.row, None, f"has {len(self.values)} values where the header has "
                                           f"{self.layout.width} columns")
            return
        call = self._call()
        if self.problems:
            yield from self.problems
        else:
            yield call

    def _call(self) -> CadCall:
        lat = self._field("lat", _coordinate(LAT_RANGE), None)
        lon = self._field("lon", _coordinate(LON_RANGE), None)
        coordinates_read = not self.problems  # lat and lon are the only fields read so far
        if coordinates_read and (lat is None) != (lon is None):
            given, absent = ("lat", "lon") if lon is None else ("lon", "lat")
            self._problem(absent, f"is missing while {given} is given (a position needs both)")
        return CadCall(
            incident_number=self._field("incident_number", _required, ""),
            call_type=self._field("call_type", _required, ""),
            priority=self._field("priority", _priority, None),
            received_at=self._field("received_at", self._time, datetime.min.replace(tzinfo=UTC)),
            address=self._field("address", _optional, ""),
            lat=lat,
            lon=lon,
            narrative=self._field("narrative", _optional, ""),
            weapon=self._field("weapon", self._flag, False),
            violence=self._field("violence", self._flag, False),
            caller_answers=self._present(self.layout.answers.items(), "caller_answers"),
            reasons=[reason for index in self.layout.reasons
                     if (reason := self._text(index, "reasons")) is not None],
            extra=self._present(self.layout.extra, None),
        )

    def _field(self, field: str, parse: Callable[[str | None], T], fallback: T) -> T:
        """Our field read from its column (an unmapped field reads as missing)."""
        index = self.layout.fields.get(field)
        try:
            return parse(None if index is None else self._value(index))
        except _BadValueError as bad:
            column = "" if index is None else f" (column {self.layout.names[index]!r})"
            self._problem(field, f"{bad}{column}")
            return fallback

    def _present(self, columns: Iterable[tuple[str, int]], field: str | None) -> dict[str, str]:
        """The values that are there, by name, of columns read as text."""
        values = {}
        for name, index in columns:
            if (value := self._text(index, field)) is not None:
                values[name] = value
        return values

    def _text(self, index: int, field: str | None) -> str | None:
        try:
            return self._value(index)
        except _BadValueError as bad:
            self._problem(field, f"{bad} (column {self.layout.names[index]!r})")
            return None

    def _value(self, index: int) -> str | None:
        text = self.values[index].strip()
        if text.casefold() in self.mapping.null_markers:
            return None
        if problem := text_problem(text):
            raise _BadValueError(problem)
        return text

    def _problem(self, field: str | None, message: str) -> None:
        self.problems.append(RowError(self.row, field, message))

    def _time(self, text: str | None) -> datetime:
        if text is None:
            raise _BadValueError("is missing: every call needs the time it was received")
        for date_format in self.mapping.date_formats:
            try:
                moment = datetime.strptime(text, date_format)  # noqa: DTZ007 - zone set below
            except ValueError:
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.mapping.timezone)
            return moment.astimezone(UTC)
        formats = ", ".join(self.mapping.date_formats)
        raise _BadValueError(f"{text!r} matches none of the date formats {formats}")

    def _flag(self, text: str | None) -> bool:
        if text is None:
            return False
        if text.casefold() in self.mapping.true_values:
            return True
        if text.casefold() in self.mapping.false_values:
            return False
        raise _BadValueError(f"{text!r} is neither a yes ({', '.join(sorted(self.mapping.true_values))}) "
                   f"nor a no ({', '.join(sorted(self.mapping.false_values))})")


def _required(text: str | None) -> str:
    if text is None:
        raise _BadValueError("is missing")
    return text


def _optional(text: str | None) -> str:
    return "" if text is None else text


def _priority(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        priority = int(text)
    except ValueError:
        raise _BadValueError(f"{text!r} is not a whole number") from None
    if not INT32_MIN <= priority <= INT32_MAX:
        raise _BadValueError(f"{text!r} is out of range")
    return priority


def _coordinate(bounds: tuple[float, float]) -> Callable[[str | None], float | None]:
    low, high = bounds

    def parse(text: str | None) -> float | None:
        if text is None:
            return None
        try:
            degrees = float(text)
        except ValueError:
            raise _BadValueError(f"{text!r} is not a number") from None
        if not (math.isfinite(degrees) and low <= degrees <= high):
            raise _BadValueError(f"{text!r} is not between {low:g} and {high:g} degrees")
        return degrees

    return parse
