"""Whatever a publisher's file holds, the HSDS reader answers with resources and error lines,
never an exception (but HsdsFormatError for a file that is not HSDS); every resource fits its
columns and holds only text a database stores."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from server.care.hsds import (
    MAX_ADDRESS,
    MAX_ID,
    MAX_NAME,
    MAX_PHONE,
    CsvTable,
    HsdsError,
    HsdsFormatError,
    Resource,
    read_json,
    read_tables,
)
from sync.storable import is_storable

# Keys HSDS uses, so that generated objects reach the reader's branches, not only its guards.
KEYS = st.sampled_from(["id", "name", "description", "services", "service", "location",
                        "locations", "service_at_locations", "location_id", "latitude",
                        "longitude", "addresses", "addresss", "phones", "number", "attributes",
                        "taxonomy_term", "code", "organization", "organization_id", "website",
                        "address_1", "city", "address_type", "items", "contents", "url"])
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
           | st.sampled_from(["35.9", "-78.9", "100", "", "physical", "s1", "l1"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(KEYS | st.text(max_size=4), inner, max_size=6),
                      max_leaves=40)
IDS = st.sampled_from(["s1", "s2", "l1", " ", "x" * 101]) | SCALARS
LOCATIONS = st.fixed_dictionaries({"id": IDS}, optional={
    "latitude": SCALARS, "longitude": SCALARS, "addresses": st.lists(VALUES, max_size=2),
    "addresss": VALUES, "phones": VALUES, "name": SCALARS})
SERVICES = st.fixed_dictionaries({"id": IDS, "name": st.text(min_size=1, max_size=8) | SCALARS},
                                 optional={
    "service_at_locations": st.lists(st.fixed_dictionaries({}, optional={
        "location": LOCATIONS | VALUES, "location_id": IDS}) | VALUES, max_size=3),
    "phones": st.lists(st.fixed_dictionaries({"number": SCALARS}) | VALUES, max_size=2),
    "attributes": st.lists(st.fixed_dictionaries({"taxonomy_term": st.fixed_dictionaries(
        {"code": SCALARS, "name": SCALARS}) | VALUES}) | VALUES, max_size=2),
    "organization": st.fixed_dictionaries({"id": IDS, "name": SCALARS}) | VALUES,
    "description": SCALARS, "url": SCALARS, "extra": VALUES})
ORGANIZATIONS = st.fixed_dictionaries({"id": IDS, "name": SCALARS, "services": st.lists(
    SERVICES | VALUES, max_size=3)}, optional={"locations": st.lists(LOCATIONS | VALUES, max_size=3)})
DOCUMENTS = (st.lists(SERVICES | ORGANIZATIONS | VALUES, max_size=4) | SERVICES | ORGANIZATIONS
             | st.fixed_dictionaries({"contents": st.lists(SERVICES | ORGANIZATIONS, max_size=3)})
             | VALUES)
CELLS = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(['"', ",", "\n", "\x00"]),
                max_size=12)


def check(resource: Resource) -> None:
    assert resource.service_id
    assert len(resource.service_id) <= MAX_ID
    assert len(resource.location_id) <= MAX_ID
    assert len(resource.name) <= MAX_NAME
    assert len(resource.address) <= MAX_ADDRESS
    assert resource.phone is None or len(resource.phone) <= MAX_PHONE
    assert resource.lat is None or -90 <= resource.lat <= 90
    assert resource.lon is None or -180 <= resource.lon <= 180
    assert is_storable([resource.name, resource.description, resource.address, resource.extra,
                        list(resource.categories), resource.phone, resource.url])


@settings(max_examples=300)
@given(DOCUMENTS)
def test_any_json_document_reads_into_resources_and_error_lines(document: Any) -> None:
    try:
        items = list(read_json(json.dumps(document).encode()))
    except HsdsFormatError:
        return
    for item in items:
        assert isinstance(item, Resource | HsdsError)
        if isinstance(item, Resource):
            check(item)


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["services", "locations", "organizations",
                                        "service_at_location", "addresses", "phones",
                                        "taxonomy_terms", "attributes", "service_taxonomy"]),
                       st.lists(st.lists(CELLS, max_size=6), max_size=6), min_size=1))
def test_any_csv_tables_read_into_resources_and_error_lines(tables: dict[str, list[list[str]]]) -> None:
    headers = {"services": "id,name,organization_id", "locations": "id,latitude,longitude",
               "service_at_location": "id,service_id,location_id",
               "addresses": "id,location_id,address_1", "phones": "id,service_id,number",
               "taxonomy_terms": "id,name,code", "attributes": "id,link_id,taxonomy_term_id",
               "organizations": "id,name", "service_taxonomy": "id,service_id,taxonomy_id"}
    files = {}
    for table, rows in tables.items():
        text = headers[table] + "\n" + "\n".join(",".join(row) for row in rows)
        files[table] = CsvTable(f"{table}.csv", text.encode("utf-8", "surrogatepass"))
    for item in read_tables(files):
        assert isinstance(item, Resource | HsdsError)
        if isinstance(item, Resource):
            check(item)
