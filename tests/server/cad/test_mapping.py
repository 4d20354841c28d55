"""CSV layouts: the shipped ones load, and a layout that cannot be used says which key is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.cad.mapping import MappingError, load_mapping, mapping_from_dict

MAPPINGS = Path(__file__).resolve().parents[3] / "server" / "cad" / "mappings"


def _layout(**changes: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "name": "Test CAD",
        "timezone": "America/Denver",
        "date_formats": ["%m/%d/%Y %H:%M"],
        "fields": {"incident_number": "INC", "call_type": "TYPE", "received_at": "TIME"},
    }
    layout.update(changes)
    return layout


@pytest.mark.parametrize("path", sorted(MAPPINGS.glob("*.toml")), ids=lambda path: path.stem)
def test_every_shipped_layout_loads(path: Path) -> None:
    mapping = load_mapping(path)

    assert mapping.name
    assert {"incident_number", "call_type", "received_at"} <= set(mapping.columns)


def test_the_vendor_layout_maps_several_reason_columns_and_answers() -> None:
    mapping = load_mapping(MAPPINGS / "sample_vendor.toml")

    assert mapping.reason_columns == ("Complaint 1", "Complaint 2", "Complaint 3", "Complaint 4")
    assert mapping.answer_columns["danger_to_self"] == "Q_SuicidalIdeation"
    assert mapping.timezone == ZoneInfo("America/Chicago")
    assert {"", "null", "n/a"} <= mapping.null_markers


def test_a_layout_with_only_the_required_fields_takes_the_defaults() -> None:
    mapping = mapping_from_dict(_layout())

    assert mapping.null_markers == frozenset({""})
    assert mapping.true_values == frozenset({"y", "yes", "1", "true"})
    assert (mapping.encoding, mapping.delimiter) == ("utf-8-sig", ",")
    assert mapping.mapped_columns() == ["INC", "TYPE", "TIME"]


@pytest.mark.parametrize(("changes", "named"), [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../etc"}, "timezone"),
    ({"date_formats": []}, "date_formats"),
    ({"date_formats": "%m/%d/%Y"}, "date_formats"),
    ({"fields": {"incident_number": "INC", "call_type": "TYPE"}}, "received_at"),
    ({"fields": {"incident_number": "INC", "call_type": "TYPE", "received_at": "T", "recieved": "X"}},
     "fields.recieved"),
    ({"fields": {"incident_number": "", "call_type": "TYPE", "received_at": "T"}}, "fields.incident_number"),
    ({"caller_answers": ["Q1"]}, "caller_answers"),
    ({"true_values": ["Y", "N"], "false_values": ["N"]}, "share n"),
    ({"encoding": "klingon-8"}, "encoding"),
    ({"delimiter": ";;"}, "delimiter"),
    ({"timezones": "UTC"}, "unknown key timezones"),
])
def test_a_layout_that_cannot_be_used_names_the_key(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(MappingError, match=named):
        mapping_from_dict(_layout(**changes))


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("name = \n")

    with pytest.raises(MappingError, match="not valid TOML"):
        load_mapping(path)
