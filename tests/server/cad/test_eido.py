"""NENA EIDO JSON (STA-021.1) read into calls: one document or a list, bad ones reported."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from server.cad.eido import EidoFormatError, eido_calls, read_eido
from server.cad.records import CadCall, RowError

SAMPLES = Path(__file__).parent / "samples"


def _document(name: str = "eido_valid") -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def _only_call(results: list[CadCall | RowError]) -> CadCall:
    (call,) = results
    assert isinstance(call, CadCall), call
    return call


def _errors(results: list[CadCall | RowError]) -> list[tuple[int, str | None]]:
    return [(result.row, result.field) for result in results if isinstance(result, RowError)]


def test_a_valid_eido_reads_into_one_call() -> None:
    call = _only_call(list(read_eido((SAMPLES / "eido_valid.json").read_bytes())))

    assert call.incident_number == "26-000001"  # the CAD's internalIncidentId
    assert call.call_type == "WELF"
    assert call.priority == 3
    assert call.reasons == ["WELFARE CHECK", "Welfare Check"]
    assert (call.weapon, call.violence) == (False, False)


def test_the_call_start_is_the_time_received_in_utc() -> None:
    call = _only_call(list(eido_calls(_document())))

    assert call.received_at == datetime(2026, 3, 7, 15, 1, 30, tzinfo=UTC)  # 09:01:30-06:00


def test_the_earliest_of_several_calls_is_the_time_received() -> None:
    document = _document()
    later = copy.deepcopy(document["callComponent"][0])
    later["callStartTimestamp"] = "2026-03-07T15:30:00Z"
    earlier = copy.deepcopy(later)
    earlier["callStartTimestamp"] = "2026-03-07T14:58:00Z"
    document["callComponent"] += [later, earlier]

    assert _only_call(list(eido_calls(document))).received_at == datetime(2026, 3, 7, 14, 58, tzinfo=UTC)


def test_without_a_call_the_incidents_last_update_is_the_time_received() -> None:
    document = _document()
    del document["callComponent"]

    assert _only_call(list(eido_calls(document))).received_at == datetime(2026, 3, 7, 15, 5, tzinfo=UTC)


def test_the_incidents_location_gives_the_civic_address_and_point() -> None:
    call = _only_call(list(eido_calls(_document())))

    assert call.address == "120 W Madison St, Unit 4B, Chicago, IL 60602"
    assert (call.lat, call.lon) == (41.88194, -87.63061)


def test_a_location_given_only_by_url_is_kept_in_extra_not_fetched() -> None:
    document = _document()
    document["incidentComponent"]["locationReference"] = [{"$ref": "routing-1"}]

    call = _only_call(list(eido_calls(document)))

    assert (call.address, call.lat, call.lon) == ("", None, None)
    assert call.extra["locationByReferenceUrl"] == "https://lis.example.net/loc/abc"


def test_notes_become_the_narrative_as_plain_text() -> None:
    call = _only_call(list(eido_calls(_document())))

    assert call.narrative == ("Caller says her brother is not eating & talking to himself.\n\n"
                              "No weapons seen.\nUnarmed.")


def test_weapon_and_violence_cautions_set_the_flags() -> None:
    armed = [r for r in read_eido((SAMPLES / "eido_list.json").read_text()) if isinstance(r, CadCall)][-1]

    assert armed.incident_number == "26-000002"
    assert (armed.weapon, armed.violence) == (True, True)


def test_a_caution_that_says_unarmed_is_not_a_weapon() -> None:
    document = _document()
    document["cautionComponent"] = [{"$id": "c1", "cautionTypeInternalText": "SUBJECT UNARMED",
                                     "cautionTypeCommonRegistryText": "Other", "cautionSeverity": "low"}]

    assert _only_call(list(eido_calls(document))).weapon is False


def test_the_tracking_id_and_unknown_fields_are_kept_in_extra() -> None:
    call = _only_call(list(eido_calls(_document())))

    tracking_id = "urn:emergency:uid:incidentid:00000001:psap.example.gov"
    assert call.extra["incidentTrackingIdentifier"] == tracking_id
    assert call.extra["vendorRoutingHint"] == '{"queue": "behavioral-health"}'
    assert call.extra["incidentComponent.beatOrDispatchGroupText"] == "B12"
    assert "agencyComponent" not in call.extra  # defined by the standard, not unknown


def test_without_an_internal_id_the_tracking_id_is_the_incident_number() -> None:
    document = _document()
    del document["incidentComponent"]["internalIncidentId"]

    call = _only_call(list(eido_calls(document)))

    assert call.incident_number == "urn:emergency:uid:incidentid:00000001:psap.example.gov"


def test_a_list_of_eidos_yields_each_and_reports_the_broken_one_by_place() -> None:
    results = list(read_eido((SAMPLES / "eido_list.json").read_text()))

    assert [r.incident_number for r in results if isinstance(r, CadCall)] == ["26-000004", "26-000002"]
    assert _errors(results) == [(2, "priority"), (2, "received_at")]
    messages = [r.message for r in results if isinstance(r, RowError)]
    assert "'yesterday at nine' is not an RFC 3339 time" in messages[1]


def test_an_older_draft_eido_is_refused_with_the_version_expected() -> None:
    results = list(read_eido((SAMPLES / "eido_draft.json").read_text()))

    assert _errors(results) == [(1, "eidoVersion")]
    assert isinstance(results[0], RowError)
    assert results[0].message.startswith("EIDO version 1.0 is not supported: NENA-STA-021.1")
    assert "EIDOVersion" in results[0].message


@pytest.mark.parametrize(("change", "expected"), [
    ({"eidoVersion": "0.9"}, "EIDO version 0.9 is not supported: NENA-STA-021.1"),
    ({"eidoVersion": None}, "EIDO version None is not supported"),
])
def test_another_version_marker_is_refused(change: dict[str, Any], expected: str) -> None:
    document = _document() | change

    (error,) = list(eido_calls(document))

    assert isinstance(error, RowError)
    assert (error.row, error.field) == (1, "eidoVersion")
    assert expected in error.message


def test_a_version_one_document_without_its_required_structure_is_refused() -> None:
    document = _document()
    del document["agencyComponent"], document["issuingElementIdentification"]

    (error,) = list(eido_calls(document))

    assert isinstance(error, RowError)
    assert "EIDO version 1.0 is not supported" in error.message
    assert "agencyComponent" in error.message
    assert "issuingElementIdentification" in error.message


def test_a_document_without_a_version_is_refused_not_crashed_on() -> None:
    (error,) = list(eido_calls([{"hello": "world"}]))

    assert isinstance(error, RowError)
    assert "EIDO version (not given) is not supported" in error.message


def test_a_draft_in_a_list_does_not_stop_the_others() -> None:
    results = list(eido_calls([_document("eido_draft"), "not an object", _document()]))

    assert _errors(results) == [(1, "eidoVersion"), (2, None)]
    assert isinstance(results[-1], CadCall)


def test_a_call_transfer_eido_without_an_incident_has_no_call_type() -> None:
    document = _document()
    del document["incidentComponent"]

    assert _errors(list(eido_calls(document))) == [(1, "call_type")]


def test_a_location_that_is_not_well_formed_xml_is_an_address_error() -> None:
    document = _document()
    document["locationComponent"][1]["locationByValue"] = "<presence><unclosed></presence>"

    assert _errors(list(eido_calls(document))) == [(1, "address")]


def test_a_location_with_a_dtd_is_refused_before_parsing() -> None:
    document = _document()
    document["locationComponent"][1]["locationByValue"] = (
        '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]><presence>&a;</presence>')

    (error,) = list(eido_calls(document))

    assert isinstance(error, RowError)
    assert (error.row, error.field) == (1, "address")
    assert "DTD" in error.message


def test_a_point_off_the_earth_is_a_position_error() -> None:
    document = _document()
    location = document["locationComponent"][1]
    location["locationByValue"] = location["locationByValue"].replace("41.88194 -87.63061", "191.0 41.8")

    assert _errors(list(eido_calls(document))) == [(1, "lat")]


def test_a_time_without_an_offset_is_an_error() -> None:
    document = _document()
    document["callComponent"][0]["callStartTimestamp"] = "2026-03-07T09:01:30"

    assert _errors(list(eido_calls(document))) == [(1, "received_at")]


def test_a_nul_character_anywhere_is_reported_by_its_path() -> None:
    document = _document()
    document["notesComponent"][0]["notesActionComments"] = "bad\x00note"

    (error,) = list(eido_calls(document))

    assert isinstance(error, RowError)
    assert (error.row, error.field) == (1, None)
    assert "notesComponent.0.notesActionComments" in error.message


def test_a_byte_order_mark_before_the_json_is_accepted() -> None:
    raw = b"\xef\xbb\xbf" + (SAMPLES / "eido_valid.json").read_bytes()

    assert isinstance(_only_call(list(read_eido(raw))), CadCall)


@pytest.mark.parametrize("text", ["{not json", '"a string"', "42", b"\xff\xfe{}"])
def test_input_that_is_not_eido_json_raises_one_clear_error(text: str | bytes) -> None:
    with pytest.raises(EidoFormatError):
        list(read_eido(text))


def test_an_incident_component_sent_as_a_list_of_one_is_read() -> None:
    document = _document()
    document["incidentComponent"] = [document["incidentComponent"]]

    assert _only_call(list(eido_calls(document))).call_type == "WELF"


def test_several_incident_components_in_one_document_are_refused() -> None:
    document = _document()
    document["incidentComponent"] = [document["incidentComponent"]] * 2

    (error,) = list(eido_calls(document))

    assert isinstance(error, RowError)
    assert error.message == "incidentComponent must be one object"
