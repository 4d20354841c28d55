"""The location an EIDO carries by value: a PIDF-LO document (RFC 4119) read into an address
line (its civic address, RFC 5139) and a point (the first GML position, RFC 5491: latitude
then longitude, WGS 84).

A document with a DTD is refused before parsing, so no entity is ever expanded.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

CIVIC_NS = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
GML_NS = "http://www.opengis.net/gml"
# The civic address elements of the street line, in the order a US address writes them:
# house number and suffix, leading direction, road name, street suffix, trailing direction.
STREET_PARTS = ("HNO", "HNS", "PRM", "PRD", "RD", "STS", "POD", "POM")
_DTD = re.compile(r"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class PidfError(ValueError):
    """A location that cannot be read; `field` is the call field it was to fill."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PidfLocation:
    address: str
    lat: float | None
    lon: float | None


def read_pidf(document: str) -> PidfLocation:
    """The address line and point of a PIDF-LO document (either may be absent)."""
    if _DTD.search(document):
        raise PidfError("address", "locationByValue has a DTD, which a location document never needs")
    try:
        root = ET.fromstring(document.strip())  # noqa: S314 - no DTD, so no entity expansion
    except ET.ParseError as error:
        raise PidfError("address", f"locationByValue is not well-formed XML: {error}") from None
    civic = root.find(f".//{{{CIVIC_NS}}}civicAddress")
    position = root.find(f".//{{{GML_NS}}}pos")
    lat, lon = _position(position.text or "") if position is not None else (None, None)
    return PidfLocation(address=_address_line(civic) if civic is not None else "", lat=lat, lon=lon)


def _address_line(civic: ET.Element) -> str:
    """"42 W Cellular Street, Unit 3, Wilmington, DE 19801" from the civic address elements."""

    def part(name: str) -> str:
        element = civic.find(f"{{{CIVIC_NS}}}{name}")
        return " ".join((element.text or "").split()) if element is not None else ""

    street = " ".join(filter(None, (part(name) for name in STREET_PARTS)))
    unit = part("UNIT")
    region = " ".join(filter(None, (part("A1"), part("PC"))))
    return ", ".join(filter(None, (street, f"Unit {unit}" if unit else "", part("A3"), region)))


def _position(text: str) -> tuple[float, float]:
    numbers = text.split()
    try:
        lat, lon = float(numbers[0]), float(numbers[1])
    except (IndexError, ValueError):
        raise PidfError("lat", f"gml:pos {text.strip()!r} is not a latitude and a longitude") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise PidfError("lat", f"gml:pos {text.strip()!r} is not a position on Earth (latitude first)")
    return lat, lon
