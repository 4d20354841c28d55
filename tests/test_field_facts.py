"""Field facts have one source: the record kinds' field specs.

The served OpenAPI document states each registered kind's facts (record type, actions,
lifecycle, and per field its limits, clinical, editable and merge policy); the PWA's
generated `pwa/src/api/fields.ts` is what `npm run gen:api` makes of that document; the
server's own copies (the CallStatus enum, the REST schemas' limits) agree; and no PWA
source outside the generated files writes a list of those facts by hand.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from server.calls.kinds import CALL
from server.calls.kinds import RECORD_KINDS as CALL_KINDS
from server.calls.models import CallStatus
from server.kinds import record_kinds, record_registry
from server.locations.kinds import RECORD_KINDS as LOCATION_KINDS
from server.supplies.kinds import RECORD_KINDS as SUPPLY_KINDS
from sync.registry import RecordKind
from tests.fixtures.pwa_scripts import pwa_script

REGISTRY = record_registry()

REPO = Path(__file__).resolve().parents[1]
PWA = REPO / "pwa"
FIELDS_TS = PWA / "src" / "api" / "fields.ts"
# Written by `npm run gen:api`: the only PWA sources that may spell out field facts.
GENERATED = {"src/api/openapi.json", "src/api/schema.d.ts", "src/api/fields.ts"}
REGENERATE = "run `cd pwa && npm run gen:api` and commit pwa/src/api/"


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    document: dict[str, Any] = pwa_script("dump-openapi.py").build_document()
    return document


def _resolve(document: dict[str, Any], ref: dict[str, str]) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    return schema


def _expected_property(kind: RecordKind, name: str) -> dict[str, Any]:
    spec = kind.field_specs[name]
    expected: dict[str, Any] = {"x-clinical": spec.clinical, "x-editable": spec.editable}
    if spec.max_length is not None:
        expected["maxLength"] = spec.max_length
    if spec.choices:
        expected["enum"] = list(spec.choices)
    for key, bound in (("minimum", spec.minimum), ("maximum", spec.maximum)):
        if bound is not None and math.isfinite(bound):
            expected[key] = bound
    if spec.policy_name is not None:
        expected["x-merge"] = spec.policy_name
    return expected


def test_the_served_document_states_every_registered_kinds_field_facts(
        served: dict[str, Any]) -> None:
    listed = served["x-record-kinds"]
    assert sorted(listed) == REGISTRY.names()
    for name in REGISTRY.names():
        kind = REGISTRY.get(name)
        entry = listed[name]
        assert (entry["type"], entry["actions"]) == (kind.kind.value, sorted(kind.allowed_actions))
        lifecycle = None if kind.lifecycle is None else {
            "field": kind.lifecycle.field, "states": list(kind.lifecycle.states)}
        assert entry.get("lifecycle") == lifecycle, name
        record = _resolve(served, entry["record"])["properties"]
        assert list(record) == [spec.name for spec in kind.fields], name
        for field in record:
            shown = {key: record[field][key] for key in _expected_property(kind, field)
                     if key in record[field]}
            assert shown == _expected_property(kind, field), f"{name}.{field}"
        if kind.allowed_actions:
            data = _resolve(served, entry["data"])
            assert sorted(data["properties"]) == sorted(kind.editable), name


def test_the_reference_kinds_are_the_synced_features_pure_kinds_in_their_order() -> None:
    listed = ["server.supplies.sync", "server.locations.sync", "server.calls.sync"]
    assert record_kinds(listed) == (*SUPPLY_KINDS, *LOCATION_KINDS, *CALL_KINDS)


def test_each_pushed_op_is_checked_by_its_kinds_schema_with_only_the_actions_it_accepts(
        served: dict[str, Any]) -> None:
    schemas = served["components"]["schemas"]
    items = schemas["Push"]["properties"]["ops"]["items"]["oneOf"]
    assert {"$ref": "#/components/schemas/AnyOperation"} in items  # protocol 2 (1: OperationV1)
    operation = schemas["AnyOperation"]
    mapping = operation["discriminator"]["mapping"]
    assert operation["discriminator"]["propertyName"] == "kind"
    assert sorted(ref["$ref"] for ref in operation["oneOf"]) == sorted(mapping.values())
    actions: set[str] = set()
    for name, ref in mapping.items():
        op = _resolve(served, {"$ref": ref})
        assert op["properties"]["kind"]["enum"] == [name]
        kind_actions = op["properties"]["action"]["enum"]
        assert kind_actions == sorted(REGISTRY.get(name).allowed_actions)
        actions.update(kind_actions)
    assert "delete" not in actions  # no spine kind accepts it, so no op schema offers it
    assert schemas["Operation"]["properties"]["action"]["enum"] == sorted(actions)
    call = _resolve(served, {"$ref": mapping["call"]})
    assert "base_version" in call["required"]
    assert "nullable" not in call["properties"]["base_version"]


def test_the_limits_the_server_enforces_are_published(served: dict[str, Any]) -> None:
    schemas = served["components"]["schemas"]
    update = schemas["CallData"]["properties"]
    assert (update["disposition"]["maxLength"], update["transport_destination"]["maxLength"]) == (
        500, 200)
    point = schemas["LocationPointData"]["properties"]
    assert (point["lat"]["minimum"], point["lat"]["maximum"]) == (-90, 90)
    assert schemas["CallNoteData"]["properties"]["body"]["maxLength"] == 10_000
    patch = schemas["CallPatch"]["properties"]
    for field in CALL.editable:
        assert patch[field]["maxLength"] == CALL.field_specs[field].max_length, field


def test_the_servers_call_status_enum_is_the_call_kinds_lifecycle() -> None:
    assert CALL.lifecycle is not None
    assert tuple(status.value for status in CallStatus) == CALL.lifecycle.states


def test_committed_pwa_field_facts_are_what_gen_api_makes_of_the_served_document(
        served: dict[str, Any]) -> None:
    assert FIELDS_TS.exists(), f"pwa/src/api/fields.ts is missing: {REGENERATE}"
    expected = pwa_script("gen-fields.py").render(served)
    assert FIELDS_TS.read_text(encoding="utf-8") == expected, (
        f"pwa/src/api/fields.ts differs from the served document's field facts: {REGENERATE}")


def _fact_sets() -> dict[str, set[str]]:
    """Values that, two or more on one line, make a hand-written list of field facts. A
    fact's fields are named together wherever one is made (`{lat, lon}`): the lists that
    matter are a document's, whose editable and clinical fields are a subset of its own."""
    assert CALL.lifecycle is not None
    sets = {"lifecycle": set(CALL.lifecycle.states), "kinds": set(REGISTRY.names())}
    for name in REGISTRY.names():
        kind = REGISTRY.get(name)
        if "update" not in kind.allowed_actions:
            continue
        sets[f"{name} editable"] = set(kind.editable)
        sets[f"{name} clinical"] = set(kind.clinical)
    return sets


# A text limit typed next to the field it limits (`NOTE_MAX_CHARS = 10_000`).
LIMIT_LITERAL = re.compile(
    r"(?i)\b\w*(note|body|disposition|destination|narrative)\w*\s*[:=]\s*[\d_]{3,}\b")
QUOTED = re.compile(r"""['"`]([a-z_]+)['"`]""")


def hand_written_facts(source: str) -> list[str]:
    """Lines of `source` that restate field facts: two quoted values of one fact set, or a
    text limit as a number literal."""
    found = []
    sets = _fact_sets()
    for number, line in enumerate(source.splitlines(), 1):
        quoted = set(QUOTED.findall(line))
        clashes = [what for what, values in sets.items() if len(quoted & values) >= 2]
        if clashes or LIMIT_LITERAL.search(line):
            found.append(f"{number}: {line.strip()} ({', '.join(clashes) or 'a limit'})")
    return found


def test_the_detector_finds_the_lists_it_is_for() -> None:
    assert hand_written_facts("export const S = ['en_route', 'on_scene'];")
    assert hand_written_facts("type E = 'disposition' | 'transport_destination';")
    assert hand_written_facts("const T = { call_status: 1 }; ['call_note', 'location_point']")
    assert hand_written_facts("export const NOTE_MAX_CHARS = 10_000;")
    assert not hand_written_facts("if (s === 'cleared') tap('cleared');")
    assert not hand_written_facts("const FIELD = { disposition: 'field.disposition' };")


def test_no_pwa_source_writes_field_facts_by_hand() -> None:
    sources = [path for path in (PWA / "src").rglob("*") if path.suffix in {".ts", ".tsx"}]
    assert len(sources) > 20
    offenders = {}
    for path in sources:
        relative = path.relative_to(PWA).as_posix()
        if relative in GENERATED:
            continue
        found = hand_written_facts(path.read_text(encoding="utf-8"))
        if found:
            offenders[relative] = found
    assert offenders == {}, "read these from src/api/facts.ts (generated from the server's kinds)"
