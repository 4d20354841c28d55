"""The server's GS1 parser reads every shared case (tests/fixtures/gs1_cases.json) as listed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from server.supplies.gs1 import Gs1Error, Gs1Problem, parse_gs1

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "gs1_cases.json").read_text())["cases"]


def test_the_shared_cases_cover_every_form_scanners_send() -> None:
    inputs = [c["input"] for c in CASES]
    assert len(CASES) >= 25
    assert any(i.startswith("(01)") for i in inputs)
    assert any("\x1d" in i for i in inputs)
    assert {"]d2", "]C1", "]Q3"} <= {i[:3] for i in inputs}
    assert any(i.startswith("https://") for i in inputs)
    assert {c.get("error") for c in CASES} == {None, *Gs1Problem}


@pytest.mark.parametrize("case", [c for c in CASES if "error" not in c], ids=lambda c: c["name"])
def test_a_readable_code_gives_gtin_lot_expiry_and_serial(case: dict[str, Any]) -> None:
    reading = parse_gs1(case["input"])
    assert {"gtin": reading.gtin, "lot_number": reading.lot_number,
            "expires_on": reading.expires_on.isoformat() if reading.expires_on else None,
            "serial": reading.serial} == {k: case[k] for k in ("gtin", "lot_number", "expires_on",
                                                               "serial")}


@pytest.mark.parametrize("case", [c for c in CASES if "error" in c], ids=lambda c: c["name"])
def test_an_unreadable_code_is_refused_with_its_problem(case: dict[str, Any]) -> None:
    with pytest.raises(Gs1Error) as refused:
        parse_gs1(case["input"])
    assert refused.value.problem == case["error"]
    assert str(refused.value)  # a sentence the supply manager reads
