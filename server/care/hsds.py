"""Open Referral HSDS 3.0 read into flat community resources: one `Resource` for each place a
service is offered (a service at no location is one resource without a position), with its
organization, taxonomy terms, address, position, phone, languages, opening hours and the
fields HSDS has and we do not name kept as they were.

Pure (no Flask, no database). Two inputs: `read_json` (HSDS 3.0 service, organization or
service_at_location objects: a list, an API page `{"contents": [...]}` or `{"items": [...]}`,
or one object, with their locations, phones and attributes nested) and `read_tables` (the CSV
tables, from a directory, a zip or one CSV file; `load_tables` names the files it does not
read). Both yield a `Resource` for each good service and location and an `HsdsError` for each
record that cannot be read, naming its file (or item) and row, and carry on. Text and numbers
no database keeps (NUL, lone surrogates, NaN) are repaired, not refused. Only a file that is
not HSDS at all raises `HsdsFormatError`.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The tables read, by the name HSDS 3.0 gives them; exports also use the other spellings.
TABLE_ALIASES: dict[str, str] = {
    "organization": "organizations", "service": "services", "location": "locations",
    "service_at_locations": "service_at_location", "services_at_location": "service_at_location",
    "services_at_locations": "service_at_location", "address": "addresses",
    "language": "languages", "schedule": "schedules",
    "phone": "phones", "taxonomy_term": "taxonomy_terms", "attribute": "attributes",
    "service_taxonomies": "service_taxonomy", "services_taxonomy": "service_taxonomy",
}
TABLES = frozenset(TABLE_ALIASES.values())
# What each table's columns become on a resource; any other column is kept in `extra`.
KNOWN_COLUMNS: dict[str, frozenset[str]] = {
    "organizations": frozenset({"id", "name", "description", "url", "website", "email"}),
    "services": frozenset({"id", "organization_id", "name", "description", "url", "email"}),
    "locations": frozenset({"id", "organization_id", "name", "latitude", "longitude"}),
}
# HSDS text fields are free; these bound what one resource keeps (column lengths in models).
MAX_ID = 100
MAX_NAME = 300
MAX_ADDRESS = 300
MAX_PHONE = 60
MAX_URL = 500
MAX_LANGUAGE = 60
# One line of opening hours: the days, the times and the publisher's words beside them.
MAX_HOURS_LINE = 200
# The days as a schedule's byday names them (iCalendar), in the week's order.
WEEKDAYS = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat",
            "SU": "Sun"}
# Consecutive days from this many on are written as a range (Mon-Fri), fewer one by one.
DAY_RANGE_FROM = 3
# What a language or schedule row's link names, in an error line.
OWNER_WORDS = {"service_id": "service", "location_id": "location",
               "service_at_location_id": "service at a location"}
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})")
# Where a location's addresses are: HSDS 3.0, its generated examples' spelling, HSDS 2.
ADDRESS_KEYS = ("addresses", "addresss", "physical_addresses", "postal_addresses")
# Address kinds in order of use: where a person goes first, a postal address last.
ADDRESS_ORDER = ("physical", "", "virtual", "postal")
# A CSV cell may hold a long description; the csv module's default limit (128 KiB) refuses it.
CSV_FIELD_LIMIT = 16 * 1024 * 1024
# Where a JSON document keeps its records: HSDS 3.0 API pages say "contents", others "items".
PAGE_KEYS = ("contents", "items", "data")
# Keys that make an object something other than a service: a taxonomy term or a location alone.
TERM_KEYS = frozenset({"term_uri", "taxonomy", "taxonomy_id", "parent_id"})
LOCATION_KEYS = frozenset({"location_type", "latitude", "longitude"})
# Keys an organization has and a service does not (an organization listed without its services).
ORGANIZATION_KEYS = frozenset({"website", "tax_status", "year_incorporated", "legal_status",
                               "parent_organization_id", "organization_identifiers", "logo"})
# Keys only a service has: with one of them, an object is read as a service.
SERVICE_KEYS = frozenset({"organization_id", "organization", "service_at_locations"})
# Halves of UTF-16 pairs standing alone: JSON escapes such as \ud800 decode to them; UTF-8 has none.
SURROGATES = re.compile("[\ud800-\udfff]")
# The largest integer a JSON column keeps as a number on every database (64-bit).
INT64 = 2**63


class HsdsFormatError(ValueError):
    """The input is not HSDS at all (not JSON, no known CSV table)."""


@dataclass(frozen=True)
class HsdsError:
    """A record that was not imported: where (`services.csv row 4`, `item 2`), the field when
    one is to blame, and why. The header is row 1, as a spreadsheet numbers rows."""

    where: str
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field + ': ' if self.field else ''}{self.message}"


@dataclass(frozen=True)
class Resource:
    """One service at one location (location_id "" for a service at none)."""

    service_id: str
    location_id: str
    name: str
    organization_id: str | None = None
    organization: str | None = None
    description: str = ""
    categories: tuple[str, ...] = ()  # taxonomy term names (the needs it meets)
    category_codes: tuple[str, ...] = ()
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    phone: str | None = None
    url: str | None = None
    email: str | None = None
    languages: tuple[str, ...] = ()  # language names (the code when a publisher gives no name)
    language_codes: tuple[str, ...] = ()
    hours: tuple[str, ...] = ()  # one line per schedule: "Mon-Fri 09:00-17:00 · intake until 4"
    extra: dict[str, Any] = field(default_factory=dict)


Row = dict[str, Any]
Item = Resource | HsdsError


# --- small readers shared by both inputs ----------------------------------------------------

def storable(value: Any) -> Any:
    """A decoded JSON value every database keeps: NUL removed, lone surrogates replaced, NaN
    and infinities None, integers past 64 bits as text (what a publisher's file may hold)."""
    if isinstance(value, str):
        if value.isascii():
            return value.replace("\x00", "")
        return SURROGATES.sub("\ufffd", value.replace("\x00", ""))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value if -INT64 <= value < INT64 else str(value)
    if isinstance(value, dict):
        return {str(storable(k)): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return str(value)


def _items(record: Mapping[str, Any] | None, key: str) -> list[Any]:
    """The record's list under `key`; nothing when it has none or something else there."""
    value = (record or {}).get(key)
    return value if isinstance(value, list) else []


def _phone(value: Any) -> str | None:
    """A phone number as published, without the quotes some exports wrap it in."""
    text = _text(value)
    return _text(text.strip("\"' "), MAX_PHONE) if text else None


def _text(value: Any, limit: int | None = None) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    if not text:
        return None
    return text[:limit] if limit else text


def _coordinate(value: Any, name: str, bound: float) -> float | None:
    """A latitude or longitude, None when empty; ValueError naming the value when bad."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number) or abs(number) > bound:
        raise ValueError(f"{value!r} is outside -{bound:g}..{bound:g} for a {name}")
    return number


def _position(row: Mapping[str, Any], where: str) -> tuple[float | None, float | None] | HsdsError:
    try:
        lat = _coordinate(row.get("latitude"), "latitude", 90)
    except ValueError as error:
        return HsdsError(where, "latitude", f"{error}; not imported")
    try:
        lon = _coordinate(row.get("longitude"), "longitude", 180)
    except ValueError as error:
        return HsdsError(where, "longitude", f"{error}; not imported")
    if (lat is None) != (lon is None):
        return HsdsError(where, "latitude" if lat is None else "longitude",
                         "a position needs both latitude and longitude; not imported")
    return lat, lon


def _address_line(address: Mapping[str, Any]) -> str:
    street = ", ".join(t for t in (_text(address.get(k)) for k in ("address_1", "address_2")) if t)
    region = _text(address.get("state_province")) or _text(address.get("region"))
    place = " ".join(t for t in (region, _text(address.get("postal_code"))) if t)
    parts = [street, _text(address.get("city")), place]
    return ", ".join(p for p in parts if p)[:MAX_ADDRESS]


def _best_address(addresses: Iterable[Mapping[str, Any]]) -> str:
    def rank(address: Mapping[str, Any]) -> int:
        kind = (_text(address.get("address_type")) or "").lower()
        return ADDRESS_ORDER.index(kind) if kind in ADDRESS_ORDER else len(ADDRESS_ORDER)
    for address in sorted(addresses, key=rank):
        if line := _address_line(address):
            return line
    return ""


def _extra(row: Mapping[str, Any], table: str) -> dict[str, Any]:
    known = KNOWN_COLUMNS[table]
    return {k: v for k, v in row.items()
            if k not in known and v not in (None, "", [], {})}


def _sections(**sections: dict[str, Any]) -> dict[str, Any]:
    """The unnamed fields by HSDS table, tables with none left out."""
    return {table: fields for table, fields in sections.items() if fields}


def _terms(names: Iterable[tuple[str | None, str | None]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names, codes) without repeats, in first-seen order."""
    kept_names: dict[str, None] = {}
    kept_codes: dict[str, None] = {}
    for code, name in names:
        if name:
            kept_names[name] = None
        if code:
            kept_codes[code] = None
    return tuple(kept_names), tuple(kept_codes)


def _clock(value: Any) -> str | None:
    """HH:MM of a schedule's opens_at or closes_at ("09:00:00", "9:00+05:00")."""
    found = CLOCK.match(str(value).strip()) if value not in (None, "") else None
    return f"{int(found[1]):02d}:{found[2]}" if found and int(found[1]) < 24 else None


def _days(value: Any) -> str:
    """A byday list ("MO,TU,WE", "1MO", ["SA", "SU"]) in words, consecutive days as a range."""
    order = list(WEEKDAYS)
    listed = value if isinstance(value, list) else [value]  # a string by HSDS; some publish a list
    tokens = ",".join(str(v) for v in listed if v is not None).replace(";", ",").split(",")
    days = sorted({order.index(t.strip().upper()[-2:]) for t in tokens
                   if t.strip().upper()[-2:] in WEEKDAYS})
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    words = []
    for run in runs:
        names = [WEEKDAYS[order[d]] for d in run]
        words.extend([f"{names[0]}-{names[-1]}"] if len(run) >= DAY_RANGE_FROM else names)
    return ", ".join(words)


def _hours_line(schedule: Mapping[str, Any]) -> str | None:
    """One schedule as a line: its days and times, then the publisher's description."""
    opens, closes = _clock(schedule.get("opens_at")), _clock(schedule.get("closes_at"))
    times = f"{opens or '?'}-{closes or '?'}" if opens or closes else ""
    when = " ".join(part for part in (_days(schedule.get("byday")), times) if part)
    words = _text(schedule.get("description")) or _text(schedule.get("notes"))
    line = " · ".join(part for part in (when, words) if part)
    return line[:MAX_HOURS_LINE] or None


def _languages(records: Iterable[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names, codes) of HSDS language records, without repeats."""
    return _terms((_text(r.get("code"), MAX_LANGUAGE), _text(r.get("name"), MAX_LANGUAGE)
                   or _text(r.get("code"), MAX_LANGUAGE)) for r in records if isinstance(r, Mapping))


def _hours(*owners: Iterable[Any]) -> tuple[str, ...]:
    """The hours of the first owner that has any (the service at this location, the
    location, the service): the most particular schedule is the one that holds here."""
    for schedules in owners:
        lines = [line for s in schedules if isinstance(s, Mapping) and (line := _hours_line(s))]
        if lines:
            return tuple(dict.fromkeys(lines))
    return ()


# --- HSDS JSON ------------------------------------------------------------------------------

def read_json(data: bytes) -> Iterator[Item]:
    """Resources from an HSDS 3.0 JSON document; errors for the items that cannot be read."""
    try:
        document = storable(json.loads(data.decode("utf-8-sig")))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HsdsFormatError(f"not a JSON document: {error}") from None
    except RecursionError:
        raise HsdsFormatError("not a JSON document HEART Field reads: nested too deep") from None
    page = next((k for k in PAGE_KEYS if isinstance(document, dict)
                 and isinstance(document.get(k), list)), None)
    if page is not None:
        items = document[page]
    elif isinstance(document, list):
        items = document
    elif isinstance(document, dict):
        items = [document]
    else:
        raise HsdsFormatError("expected HSDS services or organizations: a list, "
                              "{\"items\": [...]} or one object")
    for number, item in enumerate(items, start=1):
        where = f"item {number}"
        if not isinstance(item, dict):
            yield HsdsError(where, None, f"not an object ({type(item).__name__}); not imported")
        elif isinstance(item.get("services"), list):
            yield from _organization_json(item, where)
        elif isinstance(item.get("service"), dict):  # a service_at_location with its service
            service = item["service"]
            yield from _service_json({**service, "service_at_locations": [item]}, where,
                                     organization=service.get("organization"))
        elif not item.keys() & SERVICE_KEYS and item.keys() & ORGANIZATION_KEYS:
            yield HsdsError(where, None, "an organization that lists no services; nothing to "
                                         "import (its services are read from their own records)")
        elif not item.keys() & SERVICE_KEYS and (item.keys() & TERM_KEYS or "location_type" in item
                                                 or item.keys() >= {"latitude", "longitude"}):
            kind = "location" if item.keys() & LOCATION_KEYS else "taxonomy term"
            yield HsdsError(where, None, f"a {kind}, not a service; not imported (a location or "
                                         "term is read with the services that name it)")
        else:
            yield from _service_json(item, where, organization=item.get("organization"))


def _organization_json(org: dict[str, Any], where: str) -> Iterator[Item]:
    if _text(org.get("id")) is None:
        yield HsdsError(where, "id", "an organization needs an id; its services not imported")
        return
    locations = {str(loc["id"]): loc for loc in _items(org, "locations")
                 if isinstance(loc, dict) and _text(loc.get("id"))}
    for number, service in enumerate(org["services"], start=1):
        inner = f"{where} service {number}"
        if not isinstance(service, dict):
            yield HsdsError(inner, None, "not an object; not imported")
        else:
            yield from _service_json(service, inner, organization=org, org_locations=locations)


def _json_terms(record: Mapping[str, Any]) -> list[tuple[str | None, str | None]]:
    found = []
    for attribute in _items(record, "attributes"):
        term = attribute.get("taxonomy_term") if isinstance(attribute, dict) else None
        if isinstance(term, dict):
            found.append((_text(term.get("code")), _text(term.get("name"))))
    for term in _items(record, "taxonomy_terms"):  # some publishers list terms directly
        if isinstance(term, dict):
            found.append((_text(term.get("code")), _text(term.get("name"))))
    return found


def _first_phone(*records: Mapping[str, Any] | None) -> str | None:
    for record in records:
        for phone in _items(record, "phones"):
            if isinstance(phone, dict) and (number := _phone(phone.get("number"))):
                return number
    return None


def _service_json(service: dict[str, Any], where: str, organization: Any,
                  org_locations: Mapping[str, dict[str, Any]] | None = None) -> Iterator[Item]:
    service_id, name = _text(service.get("id")), _text(service.get("name"), MAX_NAME)
    if service_id is None or name is None:
        yield HsdsError(where, "id" if service_id is None else "name",
                        "a service needs an id and a name; not imported")
        return
    if len(service_id) > MAX_ID:
        yield HsdsError(where, "id", f"longer than {MAX_ID} characters; not imported")
        return
    org = organization if isinstance(organization, dict) else {}
    places: list[tuple[str, dict[str, Any]]] = []
    for number, sal in enumerate(_items(service, "service_at_locations"), start=1):
        location = sal.get("location") if isinstance(sal, dict) else None
        location_id = _text(sal.get("location_id")) if isinstance(sal, dict) else None
        if not isinstance(location, dict) and location_id and org_locations:
            location = org_locations.get(location_id)
        if not isinstance(location, dict) or not (location_id or _text(location.get("id"))):
            yield HsdsError(f"{where} service_at_location {number}", "location",
                            "no location with an id; not imported")
            continue
        location_id = str(location_id or location["id"])
        if len(location_id) > MAX_ID:
            yield HsdsError(f"{where} service_at_location {number}", "location",
                            f"id longer than {MAX_ID} characters; not imported")
            continue
        position = _position(location, f"{where} location {location_id!r}")
        if isinstance(position, HsdsError):
            yield position
            continue
        places.append((location_id, {**location, "_sal": sal, "_position": position}))
    base: dict[str, Any] = {
        "service_id": service_id, "name": name,
        "organization_id": _text(service.get("organization_id"), MAX_ID) or _text(org.get("id"), MAX_ID),
        "organization": _text(org.get("name"), MAX_NAME),
        "description": _text(service.get("description")) or "",
        "url": _text(service.get("url"), MAX_URL) or _text(org.get("website"), MAX_URL)
        or _text(org.get("url"), MAX_URL),
        "email": _text(service.get("email"), MAX_URL) or _text(org.get("email"), MAX_URL),
    }
    service_extra = {k: v for k, v in service.items() if k not in KNOWN_COLUMNS["services"]
                     and k not in {"service_at_locations", "phones", "attributes", "organization",
                                   "taxonomy_terms", "languages", "schedules"}
                     and v not in (None, "", [], {})}
    org_extra = {k: v for k, v in org.items() if k not in KNOWN_COLUMNS["organizations"]
                 and k not in {"services", "locations", "phones"} and v not in (None, "", [], {})}
    if not places:
        names, codes = _terms(_json_terms(service))
        spoken, spoken_codes = _languages(_items(service, "languages"))
        yield Resource(**base, location_id="", categories=names, category_codes=codes,
                       languages=spoken, language_codes=spoken_codes,
                       hours=_hours(_items(service, "schedules")),
                       phone=_first_phone(service, org),
                       extra=_sections(service=service_extra, organization=org_extra))
        return
    for location_id, location in places:
        position = location["_position"]
        addresses: list[Any] = next(
            (location[k] for k in ADDRESS_KEYS if isinstance(location.get(k), list)), [])
        names, codes = _terms(_json_terms(service) + _json_terms(location))
        location_extra = {k: v for k, v in location.items() if k not in KNOWN_COLUMNS["locations"]
                          and k not in {"_sal", "_position", "phones", "attributes", "languages",
                                        "schedules", *ADDRESS_KEYS}
                          and v not in (None, "", [], {})}
        spoken, spoken_codes = _languages(_items(service, "languages")
                                          + _items(location, "languages"))
        yield Resource(**base, location_id=location_id, categories=names, category_codes=codes,
                       languages=spoken, language_codes=spoken_codes,
                       hours=_hours(_items(location["_sal"], "schedules"),
                                    _items(location, "schedules"), _items(service, "schedules")),
                       address=_best_address(a for a in addresses if isinstance(a, dict)),
                       lat=position[0], lon=position[1],
                       phone=_first_phone(location["_sal"], service, location, org),
                       extra=_sections(service=service_extra, location=location_extra,
                                       organization=org_extra))


# --- HSDS CSV tables --------------------------------------------------------------------------

@dataclass(frozen=True)
class CsvTable:
    file: str  # as the export names it (address.csv or addresses.csv), for error lines
    data: bytes


@dataclass(frozen=True)
class Unread:
    """A CSV file of the export that is not read, and why (schedules, contacts...)."""

    file: str
    why: str = "HEART Field keeps no such records"


def load_tables(path: Path) -> tuple[dict[str, CsvTable], list[Unread]]:
    """The CSV tables of a directory, a zip (any folder inside it) or one CSV file, by their
    HSDS name; and the CSV files that are no table read here."""
    found: dict[str, CsvTable] = {}
    unread: list[Unread] = []

    def take(name: str, read: Callable[[], bytes]) -> None:
        if not name.lower().endswith(".csv"):
            return
        table = table_name(name)
        if table is None:
            unread.append(Unread(name))
        elif table in found:  # services.csv and service.csv: the export holds the table twice
            unread.append(Unread(name, f"a second {table} table; {found[table].file} was read"))
        else:
            found[table] = CsvTable(name, read())

    if path.is_dir():
        for file in sorted(path.iterdir()):
            take(file.name, file.read_bytes)
    elif zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        take(Path(info.filename).name, functools.partial(archive.read, info))
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as error:  # damaged, encrypted
            raise HsdsFormatError(f"{path.name}: the zip cannot be read ({error})") from None
    else:
        take(path.name, path.read_bytes)
    if "services" not in found:
        raise HsdsFormatError(f"no services.csv in {path.name} (tables found: "
                              f"{', '.join(sorted(t.file for t in found.values())) or 'none'})")
    return found, unread


def table_name(file_name: str) -> str | None:
    stem = file_name.rsplit(".", 1)[0].strip().lower().replace("-", "_").replace(" ", "_")
    stem = TABLE_ALIASES.get(stem, stem)
    return stem if stem in TABLES else None


def _csv_rows(table: CsvTable | None) -> Iterator[tuple[str, Row | HsdsError]]:
    """(where, row) for each row, the header's names trimmed and lowercased, empty cells None;
    text that is not UTF-8 is read as Windows-1252 (what spreadsheets save)."""
    if table is None:
        return
    try:
        text = table.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = table.data.decode("cp1252", errors="replace")
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(storable(text), newline=""))
    file = table.file
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        for number, cells in enumerate(reader, start=2):
            where = f"{file} row {number}"
            if not any(c.strip() for c in cells):
                continue
            row: Row = {name: (cell.strip() or None) for name, cell in zip(header, cells, strict=False)
                        if name}
            if len(cells) > len(header):
                row["_extra_cells"] = cells[len(header):]
            yield where, row
    except csv.Error as error:
        yield f"{file} row {reader.line_num}", HsdsError(
            f"{file} row {reader.line_num}", None, f"unreadable CSV ({error}); the rest of "
            f"{file} not imported")


class _Tables:
    """The tables read into lookups by id; each row that cannot be used becomes an error."""

    def __init__(self, files: Mapping[str, CsvTable]) -> None:
        self.errors: list[HsdsError] = []
        self.organizations = self._by_id("organizations", files)
        self.locations = self._by_id("locations", files)
        self.services = self._by_id("services", files)
        self.terms = self._by_id("taxonomy_terms", files)
        self.positions: dict[str, tuple[float | None, float | None]] = {}
        for location_id, (where, row) in list(self.locations.items()):
            position = _position(row, where)
            if isinstance(position, HsdsError):
                self.errors.append(position)
                del self.locations[location_id]
            else:
                self.positions[location_id] = position
        self.addresses: dict[str, list[Row]] = defaultdict(list)
        self.phones: dict[str, str] = {}
        self.entity_terms: dict[str, list[tuple[str | None, str | None]]] = defaultdict(list)
        self.places: dict[str, list[tuple[str, str]]] = defaultdict(list)  # service -> [(sal, loc)]
        self.sal_ids: set[str] = set()
        self._service_at_location(files.get("service_at_location"))
        self._addresses(files.get("addresses"))
        self._phones(files.get("phones"))
        self._attributes(files.get("attributes"), "link_id")
        self._attributes(files.get("service_taxonomy"), "service_id")
        self.languages: dict[str, list[Row]] = defaultdict(list)  # service or location -> rows
        self.schedules: dict[str, list[Row]] = defaultdict(list)  # sal, location or service
        self._owned(files.get("languages"), ("service_id", "location_id"), self.languages)
        self._owned(files.get("schedules"), ("service_at_location_id", "location_id",
                                             "service_id"), self.schedules)

    def _by_id(self, table: str, files: Mapping[str, CsvTable]) -> dict[str, tuple[str, Row]]:
        kept: dict[str, tuple[str, Row]] = {}
        for where, row in _csv_rows(files.get(table)):
            if isinstance(row, HsdsError):
                self.errors.append(row)
                continue
            record_id = row.get("id")
            if record_id is None:
                self.errors.append(HsdsError(where, "id", "no id; not imported"))
            elif len(record_id) > MAX_ID:
                self.errors.append(HsdsError(where, "id", f"longer than {MAX_ID} characters; "
                                             "not imported"))
            elif record_id in kept:
                self.errors.append(HsdsError(where, "id", f"{record_id!r} again (first at "
                                             f"{kept[record_id][0]}); not imported"))
            elif table == "services" and row.get("name") is None:
                self.errors.append(HsdsError(where, "name", "a service needs a name; not imported"))
            elif table == "taxonomy_terms" and not (row.get("name") or row.get("code")):
                self.errors.append(HsdsError(where, "name", "a term needs a name or a code; "
                                             "not imported"))
            else:
                kept[record_id] = (where, row)
        return kept

    def _rows(self, table: CsvTable | None) -> Iterator[tuple[str, Row]]:
        for where, row in _csv_rows(table):
            if isinstance(row, HsdsError):
                self.errors.append(row)
            else:
                yield where, row

    def _service_at_location(self, table: CsvTable | None) -> None:
        for where, row in self._rows(table):
            service_id, location_id = row.get("service_id"), row.get("location_id")
            if service_id not in self.services:
                self.errors.append(HsdsError(where, "service_id", f"no service {service_id!r}; "
                                             "not imported"))
            elif location_id not in self.locations:
                self.errors.append(HsdsError(where, "location_id", f"no location {location_id!r}; "
                                             "not imported"))
            else:
                self.places[service_id].append((row.get("id") or "", location_id))
                self.sal_ids.add(row.get("id") or "")

    def _addresses(self, table: CsvTable | None) -> None:
        for where, row in self._rows(table):
            location_id = row.get("location_id")
            if location_id not in self.locations:
                self.errors.append(HsdsError(where, "location_id", f"no location {location_id!r}; "
                                             "not imported"))
            else:
                self.addresses[location_id].append(row)

    def _phones(self, table: CsvTable | None) -> None:
        links = ("service_at_location_id", "service_id", "location_id", "organization_id")
        for where, row in self._rows(table):
            number = _phone(row.get("number"))
            owners = [row[k] for k in links if row.get(k)]
            if number is None:
                self.errors.append(HsdsError(where, "number", "no number; not imported"))
            elif not any(o in self.services or o in self.locations or o in self.organizations
                         or o in self.sal_ids for o in owners):
                self.errors.append(HsdsError(where, None, "belongs to no service, location or "
                                             "organization in the files; not imported"))
            else:
                for owner in owners:
                    self.phones.setdefault(owner, number)

    def _owned(self, table: CsvTable | None, links: tuple[str, ...],
               into: dict[str, list[Row]]) -> None:
        """Rows that belong to a service, location or service at a location (the first link
        a row fills in), by that owner's id."""
        known = {"service_id": self.services, "location_id": self.locations,
                 "service_at_location_id": self.sal_ids}
        for where, row in self._rows(table):
            link = next((k for k in links if row.get(k)), None)
            if link is None or row[link] not in known[link]:
                owners = " or ".join(OWNER_WORDS[k] for k in links)
                self.errors.append(HsdsError(where, link or links[-1], f"belongs to no {owners} "
                                             "in the files; not imported"))
            else:
                into[row[link]].append(row)

    def _attributes(self, table: CsvTable | None, link: str) -> None:
        for where, row in self._rows(table):
            term_id = row.get("taxonomy_term_id") or row.get("taxonomy_id")
            owner = row.get(link)
            known_owner = owner in self.services or owner in self.locations or \
                owner in self.organizations
            if term_id not in self.terms:
                self.errors.append(HsdsError(where, "taxonomy_term_id", f"no taxonomy term "
                                             f"{term_id!r}; not imported"))
            elif not known_owner:
                self.errors.append(HsdsError(where, link, f"no service, location or organization "
                                             f"{owner!r}; not imported"))
            else:
                term = self.terms[term_id][1]
                self.entity_terms[str(owner)].append((term.get("code"), term.get("name")))


def read_tables(files: Mapping[str, CsvTable]) -> Iterator[Item]:
    """Resources from HSDS CSV tables (by HSDS table name, as `load_tables` reads them)."""
    tables = _Tables(files)
    yield from tables.errors
    for service_id, (_where, service) in tables.services.items():
        org_id = service.get("organization_id")
        org = tables.organizations.get(org_id or "", ("", {}))[1]
        base: dict[str, Any] = {
            "service_id": service_id, "name": _text(service["name"], MAX_NAME) or service_id,
            "organization_id": _text(org_id, MAX_ID), "organization": _text(org.get("name"), MAX_NAME),
            "description": service.get("description") or "",
            "url": _text(service.get("url"), MAX_URL) or _text(org.get("website"), MAX_URL)
            or _text(org.get("url"), MAX_URL),
            "email": _text(service.get("email"), MAX_URL) or _text(org.get("email"), MAX_URL),
        }
        extra = {"service": _extra(service, "services"),
                 "organization": _extra(org, "organizations") if org else {}}
        service_terms = tables.entity_terms[service_id] + tables.entity_terms[org_id or ""]
        places = tables.places.get(service_id) or [("", "")]
        for sal_id, location_id in places:
            location = tables.locations.get(location_id, ("", {}))[1]
            lat, lon = tables.positions.get(location_id, (None, None))
            names, codes = _terms(service_terms + tables.entity_terms[location_id]
                                  + tables.entity_terms[sal_id])
            phone = next((tables.phones[k] for k in (sal_id, service_id, location_id, org_id or "")
                          if k in tables.phones), None)
            spoken, spoken_codes = _languages(tables.languages[service_id]
                                              + tables.languages[location_id])
            yield Resource(**base, location_id=location_id, categories=names,
                           category_codes=codes, languages=spoken, language_codes=spoken_codes,
                           hours=_hours(tables.schedules[sal_id], tables.schedules[location_id],
                                        tables.schedules[service_id]),
                           address=_best_address(tables.addresses[location_id]),
                           lat=lat, lon=lon, phone=phone,
                           extra=_sections(**extra, location=_extra(location, "locations")
                                           if location else {}))


def read_path(path: Path) -> Iterator[Item | Unread]:
    """A directory, zip or CSV file of HSDS tables; any other file is read as HSDS JSON."""
    if path.is_dir() or zipfile.is_zipfile(path) or path.suffix.lower() == ".csv":
        tables, unread = load_tables(path)
        yield from unread
        yield from read_tables(tables)
        return
    yield from read_json(path.read_bytes())
