"""NENA EIDO JSON (NENA-STA-021.1, the i3 Emergency Incident Data Object) read into calls.

`read_eido(text)` takes one EIDO document or a JSON array of them; `eido_calls(data)` takes
the same already decoded (a POST body). Each document yields a `CadCall`, or a `RowError` for
each bad field (`row` is its place in the list, the first is 1), and the next one is read.
Input that is not JSON, or neither an object nor an array, raises `EidoFormatError`.

A document must be of the standard's version 1.0 and carry its required top-level keys; one
from an earlier draft (an `EIDOVersion` marker, `incidentTrackingIdentifier` at the top, no
`agencyComponent`...) yields "EIDO version X is not supported" and is not read further.

What is read from where:
- incident_number: the incident component's `internalIncidentId` (the CAD's own number),
  else the document's `$id`, its incident tracking identifier (always kept in `extra`).
- call_type: `incidentTypeInternalCode`, else `incidentTypeCommonRegistryText`; reasons:
  `incidentTypeInternalText` and `incidentTypeCommonRegistryText`; priority:
  `incidentCommonPriorityNumber`.
- received_at: the earliest `callStartTimestamp` of the call components, else the incident
  component's `lastUpdateTimeStamp`. Times must carry an offset (RFC 3339).
- address, lat, lon: the location component the incident references, else the first call's,
  else the first one given; its `locationByValue` (PIDF-LO, `server.cad.pidf`). A location
  given only by URL is kept in `extra` and not fetched.
- narrative: the notes' `notesActionComments` (HTML) as plain text, one note a paragraph.
- weapon, violence: a caution component whose type texts name a weapon or violence.
- extra: top-level keys the standard does not define and incident component keys not read
  above, as text (JSON for anything but a string).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, TypeVar

from server.cad.pidf import PidfError, PidfLocation, read_pidf
from server.cad.records import CadCall, RowError
from sync.storable import INT32_MAX, INT32_MIN, value_problems

T = TypeVar("T")

SUPPORTED_VERSION = "1.0"
STANDARD = f'NENA-STA-021.1 (eidoVersion "{SUPPORTED_VERSION}")'
# Required at the top of a version 1.0 EIDO (its prologue, and the EIDO type's own).
REQUIRED_KEYS = ("$id", "lastUpdateTimeStamp", "updatedByAgencyReference", "eidoVersion",
                 "issuingElementIdentification", "agencyComponent")
# Every top-level key version 1.0 defines; any other is kept in `extra`.
STANDARD_KEYS = frozenset({
    *REQUIRED_KEYS, "updatedByAgentReference", "AlternateValueReferences",
    "externalInformationSourceReferences", "mediaReferences", "eidoExtensionId", "mergeComponent",
    "linkComponent", "incidentComponent", "callComponent", "callbackComponent", "dispatchComponent",
    "notesComponent", "emergencyResourceComponent", "alarmsSensorsComponent", "agentComponent",
    "additionalDataComponent", "locationComponent", "personComponent", "vehicleComponent",
    "cautionComponent", "mediaComponent", "sharedCommunicationResourceComponent",
    "externalInformationSourceComponent", "@context",
})
# Incident component keys read into the call's own fields (the others go to `extra`).
READ_INCIDENT_KEYS = frozenset({"internalIncidentId", "incidentTypeInternalCode",
                                "incidentCommonPriorityNumber", "locationReference", "lastUpdateTimeStamp"})
# The standard's caution type registry is open, so cautions are matched on words their type
# texts use; a word must start at a word boundary ("unarmed" is not "armed").
WEAPON_WORDS = re.compile(r"\b(weapon|firearm|gun|knife|knives|armed)", re.IGNORECASE)
VIOLENCE_WORDS = re.compile(r"\b(violen|assault|threat|combative|fight)", re.IGNORECASE)
CAUTION_TEXT_KEYS = ("cautionTypeInternalText", "cautionTypeCommonRegistryText",
                     "cautionTypeCommonSubRegistryText")
# Tags that end a line of text in a note's HTML.
_LINE_TAGS = frozenset({"br", "p", "div", "li", "tr"})


class EidoFormatError(ValueError):
    """The input is not EIDO JSON at all: not JSON, or neither an object nor a list."""


class _BadValueError(ValueError):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def read_eido(text: str | bytes) -> Iterator[CadCall | RowError]:
    """The calls of an EIDO document or a JSON array of them."""
    try:
        decoded = text.decode("utf-8-sig") if isinstance(text, bytes) else text.lstrip("\ufeff")
        data = json.loads(decoded)
    except UnicodeDecodeError as error:
        raise EidoFormatError(f"EIDO JSON must be UTF-8 text: {error}") from None
    except json.JSONDecodeError as error:
        raise EidoFormatError(f"not JSON: {error}") from None
    yield from eido_calls(data)


def eido_calls(data: object) -> Iterator[CadCall | RowError]:
    """The calls of a decoded EIDO document (a dict) or list of them."""
    if isinstance(data, dict):
        documents: list[object] = [data]
    elif isinstance(data, list):
        documents = data
    else:
        raise EidoFormatError("an EIDO document (a JSON object) or a JSON array of them was expected")
    for row, document in enumerate(documents, start=1):
        yield from _read_document(row, document)


def _read_document(row: int, document: object) -> Iterator[CadCall | RowError]:
    if not isinstance(document, dict):
        yield RowError(row, None, "is not an EIDO document (a JSON object)")
        return
    if unsupported := _version_problem(document):
        yield RowError(row, "eidoVersion", unsupported)
        return
    problems = value_problems(document)
    if problems:
        for path, messages in problems.items():
            yield from (RowError(row, None, f"{path} {message}") for message in messages)
        return
    reader = _DocumentReader(row, document)
    call = reader.call()
    if reader.problems:
        yield from reader.problems
    elif call is not None:
        yield call


def _version_problem(document: dict[str, Any]) -> str | None:
    """Why a document is not a version 1.0 EIDO, or None when it is."""
    if "eidoVersion" not in document:
        version = document.get("EIDOVersion")
        if version is not None:
            return (f"EIDO version {version} is not supported: {STANDARD} expected (the document "
                    f"has a draft's 'EIDOVersion' marker)")
        return f"EIDO version (not given) is not supported: {STANDARD} expected"
    version = document["eidoVersion"]
    if version != SUPPORTED_VERSION:
        return f"EIDO version {version} is not supported: {STANDARD} expected"
    missing = [key for key in REQUIRED_KEYS if key not in document]
    if missing:
        return (f"EIDO version {version} is not supported: {STANDARD} expected; the document "
                f"lacks {', '.join(missing)}, as an earlier draft does")
    return None


class _DocumentReader:
    """One version 1.0 document read into a call, collecting a problem per bad field."""

    def __init__(self, row: int, document: dict[str, Any]) -> None:
        self.row = row
        self.document = document
        self.problems: list[RowError] = []
        self.extra: dict[str, str] = {"incidentTrackingIdentifier": _as_text(document["$id"])}

    def call(self) -> CadCall | None:
        try:
            incident = self._incident()
            calls = self._components("callComponent")
            locations = self._components("locationComponent")
            notes = self._components("notesComponent")
            cautions = self._components("cautionComponent")
        except _BadValueError as bad:
            self._problem(bad.field, str(bad))
            return None
        incident_number = self._field("incident_number", lambda: _incident_number(self.document, incident))
        call_type = self._field("call_type", lambda: _call_type(incident))
        priority = self._field("priority", lambda: _priority(incident.get("incidentCommonPriorityNumber")))
        received_at = self._field("received_at", lambda: _received_at(incident, calls))
        location = self._location(incident, calls, locations)
        self._keep_extra(incident)
        if self.problems or incident_number is None or call_type is None or received_at is None:
            return None
        return CadCall(
            incident_number=incident_number,
            call_type=call_type,
            priority=priority,
            received_at=received_at,
            address=location.address,
            lat=location.lat,
            lon=location.lon,
            narrative="\n\n".join(filter(None, (_html_text(note.get("notesActionComments"))
                                               for note in notes))),
            weapon=_any_caution(cautions, WEAPON_WORDS),
            violence=_any_caution(cautions, VIOLENCE_WORDS),
            reasons=list(dict.fromkeys(
                text for key in ("incidentTypeInternalText", "incidentTypeCommonRegistryText")
                if isinstance(text := incident.get(key), str) and text.strip())),
            extra=self.extra,
        )

    def _field(self, field: str, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except _BadValueError as bad:
            self._problem(bad.field or field, str(bad))
            return None

    def _problem(self, field: str | None, message: str) -> None:
        self.problems.append(RowError(self.row, field, message))

    def _incident(self) -> dict[str, Any]:
        incident = self.document.get("incidentComponent")
        if isinstance(incident, list) and len(incident) == 1:  # drafts sent a list of one
            incident = incident[0]
        if incident is None:
            raise _BadValueError("call_type", "the document has no incidentComponent, so no incident type")
        if not isinstance(incident, dict):
            raise _BadValueError(None, "incidentComponent must be one object")
        return incident

    def _components(self, key: str) -> list[dict[str, Any]]:
        components = self.document.get(key, [])
        if not isinstance(components, list) or not all(isinstance(item, dict) for item in components):
            raise _BadValueError(None, f"{key} must be a list of objects")
        return components

    def _location(self, incident: dict[str, Any], calls: list[dict[str, Any]],
                  locations: list[dict[str, Any]]) -> PidfLocation:
        chosen = _chosen_location(incident, calls, locations)
        if chosen is None:
            return PidfLocation("", None, None)
        if isinstance(url := chosen.get("locationByReferenceUrl"), str):
            self.extra["locationByReferenceUrl"] = url
        by_value = chosen.get("locationByValue")
        if by_value is None:
            return PidfLocation("", None, None)
        if not isinstance(by_value, str):
            self._problem("address", "locationByValue must be a PIDF-LO document (a string)")
            return PidfLocation("", None, None)
        try:
            found = read_pidf(by_value)
        except PidfError as bad:
            self._problem(bad.field, str(bad))
            return PidfLocation("", None, None)
        return PidfLocation(found.address, found.lat, found.lon)

    def _keep_extra(self, incident: dict[str, Any]) -> None:
        for key, value in self.document.items():
            if key not in STANDARD_KEYS:
                self.extra[key] = _as_text(value)
        for key, value in incident.items():
            if key not in READ_INCIDENT_KEYS:
                self.extra[f"incidentComponent.{key}"] = _as_text(value)


def _incident_number(document: dict[str, Any], incident: dict[str, Any]) -> str:
    for number in (incident.get("internalIncidentId"), document.get("$id")):
        if isinstance(number, str) and number.strip():
            return number.strip()
    raise _BadValueError("incident_number", "neither internalIncidentId nor the document's $id is given")


def _call_type(incident: dict[str, Any]) -> str:
    for code in (incident.get("incidentTypeInternalCode"), incident.get("incidentTypeCommonRegistryText")):
        if isinstance(code, str) and code.strip():
            return code.strip()
    raise _BadValueError("call_type", "the incident has neither incidentTypeInternalCode nor "
                                      "incidentTypeCommonRegistryText")


def _priority(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not INT32_MIN <= value <= INT32_MAX:
        raise _BadValueError("priority", f"incidentCommonPriorityNumber {value!r} is not a whole number")
    return value


def _received_at(incident: dict[str, Any], calls: list[dict[str, Any]]) -> datetime:
    starts = [_time(f"callComponent[{index}].callStartTimestamp", call["callStartTimestamp"])
              for index, call in enumerate(calls) if "callStartTimestamp" in call]
    if starts:
        return min(starts)
    if "lastUpdateTimeStamp" in incident:
        return _time("incidentComponent.lastUpdateTimeStamp", incident["lastUpdateTimeStamp"])
    raise _BadValueError("received_at", "no callStartTimestamp, nor the incident's lastUpdateTimeStamp")


def _time(path: str, value: object) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _BadValueError("received_at", f"{path} {value!r} is not an RFC 3339 time with an offset")
    return moment.astimezone(UTC)


def _chosen_location(incident: dict[str, Any], calls: list[dict[str, Any]],
                     locations: list[dict[str, Any]]) -> dict[str, Any] | None:
    by_id = {location.get("$id"): location for location in locations}
    for component in (incident, *calls[:1]):
        references = component.get("locationReference")
        for reference in references if isinstance(references, list) else []:
            if isinstance(reference, dict) and reference.get("$ref") in by_id:
                return by_id[reference["$ref"]]
    return locations[0] if locations else None


def _any_caution(cautions: list[dict[str, Any]], words: re.Pattern[str]) -> bool:
    for caution in cautions:
        for key in CAUTION_TEXT_KEYS:
            value = caution.get(key)
            texts = value if isinstance(value, list) else [value]
            if any(isinstance(text, str) and words.search(text) for text in texts):
                return True
    return False


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _LINE_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_text(html: object) -> str:
    """A note's HTML as plain text: tags dropped, entities read, blank lines removed."""
    if not isinstance(html, str):
        return ""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
