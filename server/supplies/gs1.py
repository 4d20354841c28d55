"""GS1 barcodes on received supplies, read with biip: the GTIN, lot, expiry and serial.

Scanners send element strings with parentheses as printed under the barcode, raw with GS
(\\x1d) separators and a symbology prefix (]d2, ]C1, ]Q3), GS1 Digital Link URLs, or a plain
EAN/UPC. tests/fixtures/gs1_cases.json holds the cases this parser and the web app's agree on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

import biip
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message


class Gs1Problem(enum.StrEnum):
    EMPTY = "empty"
    UNREADABLE = "unreadable"
    CHECK_DIGIT = "check_digit"
    BAD_DATE = "bad_date"
    NO_GTIN = "no_gtin"


MESSAGES = {
    Gs1Problem.EMPTY: "Scan or type a GS1 code.",
    Gs1Problem.UNREADABLE: "This is not a GS1 code that can be read.",
    Gs1Problem.CHECK_DIGIT: "The GTIN's check digit is wrong: scan the code again.",
    Gs1Problem.BAD_DATE: "The expiry date in the code is not a real date.",
    Gs1Problem.NO_GTIN: "The code carries no GTIN (01): scan the code that does.",
}

GTIN, EXPIRY, LOT, SERIAL = "01", "17", "10", "21"


class Gs1Error(ValueError):
    def __init__(self, problem: Gs1Problem) -> None:
        super().__init__(MESSAGES[problem])
        self.problem = problem


@dataclass(frozen=True)
class Gs1Reading:
    gtin: str
    lot_number: str | None = None
    expires_on: date | None = None
    serial: str | None = None


def _problem_in(errors: list[str | None]) -> Gs1Problem:
    """What went wrong, from biip's messages (it says which AI and why)."""
    text = " ".join(e for e in errors if e)
    if "check digit" in text:
        return Gs1Problem.CHECK_DIGIT
    if f"AI ({EXPIRY})" in text:
        return Gs1Problem.BAD_DATE
    return Gs1Problem.UNREADABLE


def _element_strings(text: str) -> list[GS1ElementString] | str:
    """The element strings of a code, or a bare GTIN-14 (a plain EAN/UPC carries nothing else)."""
    if text.startswith("("):
        try:
            return list(GS1Message.parse_hri(text).element_strings)
        except biip.ParseError as exc:
            raise Gs1Error(_problem_in([str(exc)])) from exc
    result = biip.parse(text)
    message = result.gs1_message
    if message is not None and message.element_strings.get(ai=GTIN) is not None:
        return list(message.element_strings)
    if result.gs1_digital_link_uri is not None:
        return list(result.gs1_digital_link_uri.as_gs1_message().element_strings)
    if result.gtin is not None:
        return result.gtin.as_gtin_14()
    if message is not None:
        raise Gs1Error(Gs1Problem.NO_GTIN)
    raise Gs1Error(_problem_in([result.gs1_message_error, result.gs1_digital_link_uri_error,
                                result.gtin_error]))


def parse_gs1(code: str) -> Gs1Reading:
    """The GTIN-14, lot, expiry (day 00: the month's last day) and serial a code carries;
    Gs1Error naming the problem otherwise. Application identifiers not used here are skipped."""
    text = code.strip()
    if not text:
        raise Gs1Error(Gs1Problem.EMPTY)
    elements = _element_strings(text)
    if isinstance(elements, str):
        return Gs1Reading(gtin=elements)
    found = {e.ai.ai: e for e in elements}
    if GTIN not in found:
        raise Gs1Error(Gs1Problem.NO_GTIN)
    if found[GTIN].gtin is None:  # biip leaves it unset when the check digit is wrong
        raise Gs1Error(Gs1Problem.CHECK_DIGIT)
    expiry = found.get(EXPIRY)
    return Gs1Reading(
        gtin=found[GTIN].value,
        lot_number=found[LOT].value if LOT in found else None,
        expires_on=expiry.date if expiry is not None else None,
        serial=found[SERIAL].value if SERIAL in found else None,
    )
