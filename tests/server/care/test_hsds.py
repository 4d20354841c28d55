"""The HSDS parser: every record read into a resource or named in an error line (its file or
item and row), whatever the publisher got wrong; nothing raises but a file that is not HSDS."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from server.care.hsds import (
    CsvTable,
    HsdsError,
    HsdsFormatError,
    Resource,
    Unread,
    read_json,
    read_path,
    read_tables,
    table_name,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "hsds"


def split(items: Any) -> tuple[list[Resource], list[str]]:
    found = list(items)
    return ([i for i in found if isinstance(i, Resource)],
            [str(i) for i in found if isinstance(i, HsdsError)])


def one_json(item: Any) -> tuple[list[Resource], list[str]]:
    return split(read_json(json.dumps([item]).encode()))


def tables(**csvs: str) -> dict[str, CsvTable]:
    return {name: CsvTable(f"{name}.csv", text.encode()) for name, text in csvs.items()}


SERVICE = {"id": "s1", "name": "Food pantry"}


# One HSDS JSON item per row: (item, resources as (service, location, field, value), errors).
JSON_CASES = [
    pytest.param(SERVICE, [("s1", "", "name", "Food pantry")], [], id="bare service"),
    pytest.param({**SERVICE, "service_at_locations": [
        {"location": {"id": "l1", "latitude": "35.99", "longitude": -78.9}}]},
        [("s1", "l1", "lat", 35.99)], [], id="position as text"),
    pytest.param({**SERVICE, "service_at_locations": [
        {"location": {"id": "l1", "latitude": 35.99}}]},
        [("s1", "", "lat", None)], ["item 1 location 'l1': longitude: a position needs both"],
        id="half a position: the service kept, without the place"),
    pytest.param({**SERVICE, "service_at_locations": [
        {"location": {"id": "l1", "latitude": True, "longitude": 1}}]},
        [("s1", "", "lat", None)], ["latitude: True is not a number"], id="boolean latitude"),
    pytest.param({**SERVICE, "service_at_locations": [
        {"location": {"id": "l1", "latitude": "NaN", "longitude": 1}}]},
        [("s1", "", "lat", None)], ["latitude: 'NaN' is outside"], id="NaN latitude"),
    pytest.param({**SERVICE, "service_at_locations": [{"id": "sal"}]},
                 [("s1", "", "lat", None)], ["item 1 service_at_location 1: location: no location"],
                 id="no location"),
    pytest.param({"id": "s1"}, [], ["item 1: name: a service needs"], id="no name"),
    pytest.param({"name": "x"}, [], ["item 1: id: a service needs"], id="no id"),
    pytest.param({"id": 12, "name": "Numeric id"}, [("12", "", "name", "Numeric id")], [],
                 id="numeric id"),
    pytest.param([1, 2], [], ["item 1: not an object (list)"], id="a list for an item"),
    pytest.param({**SERVICE, "attributes": [{"taxonomy_term": {"code": "BD", "name": "Food"}},
                                             {"taxonomy_term": "bad"}, 3]},
                 [("s1", "", "categories", ("Food",))], [], id="terms, bad ones ignored"),
    pytest.param({**SERVICE, "wait_time": "2 days", "phones": [{"number": "  "}, {"number": "988"}]},
                 [("s1", "", "extra", {"service": {"wait_time": "2 days"}}),
                  ("s1", "", "phone", "988")], [], id="unknown field kept, first real phone"),
    pytest.param({"id": "o1", "name": "Org", "services": [SERVICE], "locations": [],
                  "year_incorporated": 1990},
                 [("s1", "", "organization", "Org"),
                  ("s1", "", "extra", {"organization": {"year_incorporated": 1990}})],
                 [], id="organization with services"),
    pytest.param({"name": "Org", "services": [SERVICE]}, [],
                 ["item 1: id: an organization needs an id"], id="organization without id"),
    pytest.param({**SERVICE, "name": "x" * 400}, [("s1", "", "name", "x" * 300)], [],
                 id="long name cut to the column"),
    pytest.param({**SERVICE, "id": "i" * 101}, [], ["item 1: id: longer than 100"], id="long id"),
    pytest.param({**SERVICE, "service_at_locations": 5, "attributes": {"a": 1}, "phones": "988",
                  "name": 42, "description": ["x"], "url": {"href": "x"}},
                 [("s1", "", "name", "42"), ("s1", "", "description", ""), ("s1", "", "url", None)],
                 [], id="values of the wrong shape passed over"),
    pytest.param({"id": "o1", "name": "Org", "services": [SERVICE], "locations": 3},
                 [("s1", "", "organization", "Org")], [], id="organization locations not a list"),
    pytest.param({"id": "sal1", "location": {"id": "l1", "latitude": 35.9, "longitude": -78.9},
                  "service": {**SERVICE, "organization": {"id": "o1", "name": "Org"}}},
                 [("s1", "l1", "organization", "Org")], [], id="a service_at_location record"),
    pytest.param({**SERVICE, "service_at_locations": [{"location": {
        "id": "l1", "addresss": [{"address_1": "1 Main St", "city": "Durham"}],
        "phones": [{"number": '"+1 919 555 0100"'}]}}]},
        [("s1", "l1", "address", "1 Main St, Durham"), ("s1", "l1", "phone", "+1 919 555 0100")], [],
        id="the examples' addresss spelling, a quoted phone number"),
    pytest.param({"id": "o1", "name": "Org", "website": "http://o.org", "year_incorporated": 2011},
                 [], ["item 1: an organization that lists no services"], id="organization alone"),
    pytest.param({"id": "t1", "code": "BD", "name": "Food", "parent_id": None, "term_uri": "x"},
                 [], ["item 1: a taxonomy term, not a service"], id="a taxonomy term"),
    pytest.param({"id": "l1", "name": "Civic Center", "location_type": "physical"},
                 [], ["item 1: a location, not a service"], id="a location alone"),
    pytest.param({**SERVICE, "name": "Pan\u0000try \ud800", "big": 10**30, "ratio": float("nan")},
                 [("s1", "", "name", "Pantry \ufffd"),
                  ("s1", "", "extra", {"service": {"big": str(10**30)}})], [],
                 id="text and numbers no database keeps, repaired"),
]


@pytest.mark.parametrize(("item", "expected", "errors"), JSON_CASES)
def test_a_json_item_is_read_or_named_in_an_error(item: Any, expected: list[tuple[str, str, str, Any]],
                                                   errors: list[str]) -> None:
    resources, lines = one_json(item)
    by_key = {(r.service_id, r.location_id): r for r in resources}
    assert {(s, loc) for s, loc, _, _ in expected} == set(by_key)
    for service, location, field, value in expected:
        got = getattr(by_key[(service, location)], field)
        if field == "extra":
            assert {k: got.get(k) for k in value} == value
        else:
            assert got == value
    assert len(lines) == len(errors)
    for line, start in zip(lines, errors, strict=True):
        assert start in line


@pytest.mark.parametrize(("document", "count"), [
    pytest.param([SERVICE, SERVICE | {"id": "s2"}], 2, id="a list"),
    pytest.param({"items": [SERVICE], "total_items": 1}, 1, id="an API page"),
    pytest.param({"contents": [SERVICE], "total_items": 1, "page_number": 1}, 1,
                 id="an HSDS 3.0 API page"),
    pytest.param(SERVICE, 1, id="one object"),
])
def test_the_json_document_shapes_hsds_publishes(document: Any, count: int) -> None:
    assert len(split(read_json(json.dumps(document).encode()))[0]) == count


@pytest.mark.parametrize("data", [b"{not json", b"\xff\xfe\x00", b"42", b'"text"',
                                  b"[" * 100_000 + b"]" * 100_000])
def test_a_file_that_is_not_hsds_json_is_refused_whole(data: bytes) -> None:
    with pytest.raises(HsdsFormatError):
        list(read_json(data))


# CSV tables: (the tables, resources as (service, location, field, value), error line starts).
CSV_CASES = [
    pytest.param({"services": "id,name\ns1,Pantry\n"}, [("s1", "", "name", "Pantry")], [],
                 id="services alone"),
    pytest.param({"services": "ID , Name \ns1,Pantry\n"}, [("s1", "", "name", "Pantry")], [],
                 id="header names trimmed and lowercased"),
    pytest.param({"services": "id,name\ns1,Pantry\ns1,Again\n"}, [("s1", "", "name", "Pantry")],
                 ["services.csv row 3: id: 's1' again (first at services.csv row 2)"],
                 id="duplicate id"),
    pytest.param({"services": "id,name\n,Pantry\n\ns2,\n"}, [],
                 ["services.csv row 2: id: no id", "services.csv row 4: name: a service needs"],
                 id="missing id and name, blank line skipped"),
    pytest.param({"services": "id,name\ns1,Pantry,surplus\n"},
                 [("s1", "", "extra", {"service": {"_extra_cells": ["surplus"]}})], [],
                 id="cells past the header kept"),
    pytest.param({"services": "id,name\ns1,Pantry\n",
                  "locations": "id,latitude,longitude\nl1,95,1\nl2,35.9,-78.9\n",
                  "service_at_location": "id,service_id,location_id\na,s1,l1\nb,s1,l2\nc,s9,l2\n"},
                 [("s1", "l2", "lat", 35.9)],
                 ["locations.csv row 2: latitude: '95' is outside",
                  "service_at_location.csv row 2: location_id: no location 'l1'",
                  "service_at_location.csv row 4: service_id: no service 's9'"],
                 id="bad position and links"),
    pytest.param({"services": "id,name\ns1,Pantry\n",
                  "taxonomy_terms": "id,code,name\nt1,BD,Food\n",
                  "attributes": "id,link_id,taxonomy_term_id\na,s1,t1\nb,s1,t9\nc,x,t1\n"},
                 [("s1", "", "categories", ("Food",)), ("s1", "", "category_codes", ("BD",))],
                 ["attributes.csv row 3: taxonomy_term_id: no taxonomy term 't9'",
                  "attributes.csv row 4: link_id: no service, location or organization 'x'"],
                 id="taxonomy through attributes"),
    pytest.param({"services": "id,name\ns1,Pantry\n",
                  "taxonomy_terms": "id,name\nt1,Food\n",
                  "service_taxonomy": "id,service_id,taxonomy_id\na,s1,t1\n"},
                 [("s1", "", "categories", ("Food",))], [], id="taxonomy the older way"),
    pytest.param({"services": "id,name\ns1,Pantry\n",
                  "phones": "id,service_id,number\np1,s1,\np2,s1,919\np3,s1,920\n"},
                 [("s1", "", "phone", "919")], ["phones.csv row 2: number: no number"],
                 id="first phone with a number"),
    pytest.param({"services": 'id,name,description\ns1,Pantry,"unclosed\n'},
                 [("s1", "", "description", "unclosed")], [], id="an unclosed quote ends the file"),
]


@pytest.mark.parametrize(("files", "expected", "errors"), CSV_CASES)
def test_csv_rows_are_read_or_named_with_file_and_row(
        files: dict[str, str], expected: list[tuple[str, str, str, Any]], errors: list[str]) -> None:
    resources, lines = split(read_tables(tables(**files)))
    by_key = {(r.service_id, r.location_id): r for r in resources}
    assert {(s, loc) for s, loc, _, _ in expected} == set(by_key)
    for service, location, field, value in expected:
        got = getattr(by_key[(service, location)], field)
        if field == "extra":
            assert {k: got.get(k) for k in value} == value
        else:
            assert got == value, field
    assert len(lines) == len(errors), lines
    for line, start in zip(lines, errors, strict=True):
        assert line.startswith(start)


def test_text_that_is_not_utf8_is_read_as_windows_1252() -> None:
    files = {"services": CsvTable("services.csv", "id,name\ns1,Caf\xe9 comunitario\n".encode("cp1252"))}
    assert split(read_tables(files))[0][0].name == "Café comunitario"


@pytest.mark.parametrize(("file_name", "table"), [
    ("address.csv", "addresses"), ("Addresses.CSV", "addresses"), ("service-at-location.csv",
                                                                   "service_at_location"),
    ("organization.csv", "organizations"), ("schedule.csv", "schedules"),
    ("languages.csv", "languages"), ("contacts.csv", None), ("services.csv", "services"),
])
def test_table_names_of_the_exports_seen(file_name: str, table: str | None) -> None:
    assert table_name(file_name) == table


@pytest.mark.parametrize(("schedule", "line"), [
    ({"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00:00", "closes_at": "17:00:00"},
     "Mon-Fri 09:00-17:00"),
    ({"byday": "SA,MO", "opens_at": "9:30", "closes_at": "12:00+05:00"}, "Mon, Sat 09:30-12:00"),
    ({"byday": "FR,SA,SU,MO", "opens_at": "17:00"}, "Mon, Fri-Sun 17:00-?"),
    ({"byday": "1MO,XX", "closes_at": "noon", "description": "First Monday of the month"},
     "Mon · First Monday of the month"),
    ({"description": "Call ahead; intake from 5 pm"}, "Call ahead; intake from 5 pm"),
    ({"opens_at": "25:00", "byday": ""}, None),
    ({"byday": ["SA", "SU"], "opens_at": 900, "closes_at": None}, "Sat, Sun"),
])
def test_a_schedule_reads_as_a_line_of_days_and_times(schedule: dict[str, str],
                                                      line: str | None) -> None:
    item = {"id": "s1", "name": "Pantry", "schedules": [schedule]}
    [resource], errors = one_json(item)
    assert errors == []
    assert resource.hours == ((line,) if line else ())


def test_json_languages_and_the_most_particular_schedule_of_each_place() -> None:
    service = {
        "id": "s1", "name": "Clinic", "languages": [{"name": "Spanish", "code": "es"},
                                                    {"code": "en"}, {"name": "Spanish"}],
        "schedules": [{"byday": "MO", "opens_at": "08:00", "closes_at": "12:00"}],
        "service_at_locations": [
            {"id": "sal-a", "schedules": [{"byday": "SA", "opens_at": "10:00", "closes_at": "14:00"}],
             "location": {"id": "loc-a", "latitude": 35.99, "longitude": -78.9,
                          "languages": [{"name": "Arabic", "code": "ar"}]}},
            {"id": "sal-b", "location": {"id": "loc-b", "latitude": 36.0, "longitude": -78.9,
                                         "schedules": [{"description": "By appointment"}]}},
            {"id": "sal-c", "location": {"id": "loc-c", "latitude": 36.1, "longitude": -78.9}},
        ]}
    resources, errors = one_json(service)
    assert errors == []
    by_place = {r.location_id: r for r in resources}
    assert by_place["loc-a"].languages == ("Spanish", "en", "Arabic")
    assert by_place["loc-a"].language_codes == ("es", "en", "ar")
    assert [by_place[p].hours for p in ("loc-a", "loc-b", "loc-c")] == [
        ("Sat 10:00-14:00",), ("By appointment",), ("Mon 08:00-12:00",)]
    assert "languages" not in by_place["loc-a"].extra.get("service", {})
    assert "schedules" not in by_place["loc-b"].extra.get("location", {})


def test_csv_languages_and_schedules_attach_to_their_owners_or_are_named() -> None:
    files = tables(
        services="id,name\ns1,Clinic\ns2,Line\n",
        locations="id,name,latitude,longitude\nl1,Main,35.99,-78.9\n",
        service_at_location="id,service_id,location_id\nsal1,s1,l1\n",
        languages="id,service_id,location_id,name,code\nla1,s1,,Spanish,es\nla2,,l1,,vi\n"
                  "la3,nobody,,French,fr\n",
        schedules="id,service_id,location_id,service_at_location_id,byday,opens_at,closes_at,"
                  "description\nsc1,s1,,,MO,08:00,12:00,\nsc2,,,sal1,TU,13:00,15:00,\n"
                  "sc3,s2,,,,,,Around the clock\nsc4,,,sal9,WE,,,\n")
    resources, errors = split(read_tables(files))
    by_service = {r.service_id: r for r in resources}
    assert (by_service["s1"].languages, by_service["s1"].language_codes) == (("Spanish", "vi"),
                                                                            ("es", "vi"))
    assert by_service["s1"].hours == ("Tue 13:00-15:00",)  # the service at this location's
    assert by_service["s2"].hours == ("Around the clock",)
    assert errors == [
        "languages.csv row 4: service_id: belongs to no service or location in the files; "
        "not imported",
        "schedules.csv row 5: service_at_location_id: belongs to no service at a location or "
        "location or service in the files; not imported"]


def test_the_sample_json_gives_each_record_a_resource_or_an_error() -> None:
    resources, lines = split(read_path(FIXTURES / "services.json"))
    assert {(r.service_id, r.location_id) for r in resources} == {
        ("svc-pantry", "loc-main"), ("svc-shelter", "loc-shelter"), ("svc-line", "")}
    pantry = next(r for r in resources if r.service_id == "svc-pantry")
    assert pantry.address == "400 Main St, Durham, NC 27701"  # the physical address, not the postal
    assert (pantry.organization, pantry.url) == ("Durham Community Food Bank",
                                                 "https://food.example.org")
    assert len(lines) == 5


def test_the_sample_tables_from_a_directory_and_a_zip_read_alike(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in (FIXTURES / "tables").iterdir():
            zipped.write(file, f"hsds/{file.name}")
    from_dir, from_zip = read_path(FIXTURES / "tables"), read_path(archive)
    assert list(from_dir) == list(from_zip)
    resources, lines = split(read_path(FIXTURES / "tables"))
    assert len(resources) == 3
    assert len(lines) == 13
    assert any(line.startswith("address.csv row 4") for line in lines)  # the export's own name


def test_one_services_csv_file_imports_and_other_tables_are_named_unread(tmp_path: Path) -> None:
    single = tmp_path / "service.csv"
    single.write_text("id,name\ns1,Pantry\n")
    assert [r.service_id for r in split(read_path(single))[0]] == ["s1"]
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "service.csv").write_text("id,name\ns1,Pantry\n")
    (folder / "contact.csv").write_text("id\n1\n")
    (folder / "datapackage.json").write_text("{}")
    (folder / "services.csv").write_text("id,name\ns2,Shelter\n")
    found = list(read_path(folder))
    assert [i for i in found if isinstance(i, Unread)] == [
        Unread("contact.csv"), Unread("services.csv", "a second services table; service.csv was read")]
    assert [r.service_id for r in split(found)[0]] == ["s1"]  # the first file of a table


@pytest.mark.parametrize("content", [b"not a zip", None])
def test_a_path_without_services_is_refused(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "export"
    if content is None:
        path.mkdir()
        (path / "locations.csv").write_text("id\nl1\n")
    else:
        path.write_bytes(content)
    with pytest.raises(HsdsFormatError):
        list(read_path(path))


def test_a_zip_without_services_names_what_it_holds(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("locations.csv", "id\nl1\n")
    path = tmp_path / "x.zip"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(HsdsFormatError, match="locations"):
        list(read_path(path))
