"""The protocol's conformance cases: loading, validating and reading the shared JSON files.

Every case in `cases/*.json` is checked against `case.schema.json` when loaded, and each
runner (the in-memory store, the API on SQLite and PostgreSQL, the PWA under vitest) reads
the same files. This module holds what the Python runners share: which cases a runner
skips and why, how symbolic names (`@c1`, `#t1`, `&t1`, `setup:c1`) become real values,
how an op is built from its case entry, and how a pull is compared with its expectation.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from uuid6 import uuid7

HERE = Path(__file__).parent
CASES_DIR = HERE / "cases"
SCHEMA = json.loads((HERE / "case.schema.json").read_text())
# CONFORMANCE_PENDING=run runs the pending cases too: which target behaviours have landed.
RUN_PENDING = os.environ.get("CONFORMANCE_PENDING") == "run"

Json = dict[str, Any]


def load_cases() -> list[Json]:
    """Every case of every file, validated against the schema, names unique."""
    validator = jsonschema_rs.validator_for(SCHEMA)
    cases: list[Json] = []
    for path in sorted(CASES_DIR.glob("*.json")):
        document = json.loads(path.read_text())
        validator.validate(document)
        cases += [{**case, "file": path.name} for case in document["cases"]]
    names = [case["name"] for case in cases]
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates, f"case names must be unique: {sorted(duplicates)}"
    return cases


def params(runner: str, *, steps: bool = True) -> list[Any]:
    """pytest params for `runner`: each case by name, skipped when pending or when the case
    file says the runner cannot conform (with the reason written there)."""
    out = []
    for case in load_cases():
        if ("steps" in case) != steps:
            continue
        marks = []
        if "pending" in case and not RUN_PENDING:
            marks.append(pytest.mark.skip(reason=f"pending: {case['pending']}"))
        elif runner in case.get("skip", {}):
            marks.append(pytest.mark.skip(reason=case["skip"][runner]))
        out.append(pytest.param(case, id=case["name"], marks=marks))
    return out


# --- symbols --------------------------------------------------------------------------------

@dataclass
class Names:
    """What the symbolic names of one case stand for in one run."""

    entities: dict[str, str] = field(default_factory=dict)  # @c1 -> a call's id
    op_ids: dict[str, str] = field(default_factory=dict)  # &t1 -> op t1's id
    record_ids: dict[str, str] = field(default_factory=dict)  # #t1 -> op t1's record id
    sent: dict[str, Json] = field(default_factory=dict)  # t1 -> op t1 as it was sent
    setup_versions: dict[str, int] = field(default_factory=dict)

    def value(self, value: Any) -> Any:
        """`value` with every symbol in it replaced, recursively."""
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str) and value[:1] in "@#&" and len(value) > 1:
            table = {"@": self.entities, "#": self.record_ids, "&": self.op_ids}[value[0]]
            if value[1:] not in table:
                raise KeyError(f"unknown name {value!r}")
            return table[value[1:]]
        return value


def new_id() -> str:
    return str(uuid7())


def hlc_for(at: datetime, seq: int, device: str) -> str:
    return f"{int(at.timestamp() * 1000):013d}-{seq % 10_000:04d}-{device}"


def build_ops(entries: list[Json], names: Names, device: str, now: datetime,
              version_of: Callable[[str], int], protocol_version: int) -> list[Any]:
    """The ops of one push as the device sends them; `repeat` expands, `again` resends."""
    ops: list[Any] = []
    for entry in entries:
        if "again" in entry:
            ops.append(json.loads(json.dumps(names.sent[entry["again"]])))
            continue
        for i in range(entry.get("repeat", 1)):
            ref = entry.get("ref") if i == 0 else None
            ops.append(_build_op(entry, i, ref, names, device, now, version_of, protocol_version))
    return ops


def _build_op(entry: Json, i: int, ref: str | None, names: Names, device: str, now: datetime,
              version_of: Callable[[str], int], protocol_version: int) -> Json:
    seq = entry["seq"] + i if isinstance(entry.get("seq"), int) else entry.get("seq")
    at = now + timedelta(seconds=entry.get("device_time_offset_s", 0))
    op: Json = {
        "id": names.value(entry["id"]) if "id" in entry else new_id(),
        "seq": seq,
        "hlc": entry.get("hlc") or hlc_for(at, seq if isinstance(seq, int) else 0, device),
        "kind": entry["kind"],
        "action": entry.get("action", "create"),
        "record_id": names.value(entry["record_id"]) if "record_id" in entry else new_id(),
        "base_version": _base_version(entry.get("base_version"), names, version_of),
        "device_time": at.isoformat(),
        "data": names.value(entry.get("data", {})),
    }
    op.update(names.value(entry.get("extra", {})))
    for name in entry.get("omit", []):
        op.pop(name, None)
    if protocol_version == 1:
        op["type"] = f"{op.pop('kind')}.{op.pop('action')}"
        del op["device_time"]
        op["ts"] = int(at.timestamp() * 1000)
    if ref is not None:
        names.op_ids[ref], names.record_ids[ref], names.sent[ref] = op["id"], op["record_id"], op
    return op


def _base_version(value: Any, names: Names, version_of: Callable[[str], int]) -> Any:
    """An integer as it is; `setup:c1` the version c1 had after setup; `now:c1` its version
    as this push is built (what a device that just pulled would send)."""
    if not isinstance(value, str):
        return value
    when, _, name = value.partition(":")
    return names.setup_versions[name] if when == "setup" else version_of(names.entities[name])


# --- checking answers -----------------------------------------------------------------------

def check_results(results: list[Json], entries: list[Json],
                  conflict_of: Callable[[str], tuple[str, str]]) -> None:
    """Each op's answer against its `expect`: outcome, replayed, error fields, conflicts and
    the record's fields (never message text)."""
    expected = [entry["expect"] for entry in entries for _ in range(entry.get("repeat", 1))]
    assert len(results) == len(expected)
    for n, (result, want) in enumerate(zip(results, expected, strict=True)):
        where = f"op {n}"
        assert result["outcome"] == want["outcome"], (where, result)
        assert bool(result.get("replayed")) == want.get("replayed", False), (where, result)
        assert sorted(result.get("errors") or {}) == sorted(want.get("errors", [])), (where, result)
        conflicts = sorted(conflict_of(cid) for cid in result.get("conflict_ids") or [])
        assert conflicts == sorted((c["field"], c["reason"]) for c in want.get("conflicts", [])), \
            (where, result)
        for name, value in want.get("record", {}).items():
            assert result.get("record") is not None, (where, result)
            assert result["record"].get(name) == value, (where, name, result["record"])


def final_states(changes: list[Json]) -> dict[tuple[str, str], Json]:
    """What a client holds after applying `changes` in order: the last change per record."""
    return {(c["kind"], str(c["id"])): c for c in changes}


def check_pull(changes: list[Json], want: Json, names: Names) -> None:
    """The records of the compared kinds, as the device ends up with them, against the case.
    Conflicts (ids made by the server) are matched by their data."""
    kinds = set(want["kinds"])
    got = {key: c for key, c in final_states(changes).items() if key[0] in kinds}
    expected = names.value(want["changes"])
    unmatched = dict(got)
    for change in expected:
        key = _match(change, unmatched)
        assert key is not None, ("expected change not pulled", change, sorted(unmatched))
        pulled = unmatched.pop(key)
        assert pulled["op"] == change["op"], (change, pulled)
        for name, value in change.get("data", {}).items():
            assert pulled["data"] is not None, (change, pulled)
            assert pulled["data"].get(name) == value, (change, pulled["data"])
    assert not unmatched, ("pulled but not expected", sorted(unmatched))


def check_pages(sizes: list[int], want: Json) -> None:
    """The page sizes a pull came in, against `pages` (all), `first_pages` or `page_max`."""
    if "pages" in want:
        assert sizes == want["pages"], sizes
    if "first_pages" in want:
        assert sizes[:len(want["first_pages"])] == want["first_pages"], sizes
    if "page_max" in want:
        assert max(sizes, default=0) <= want["page_max"]


def check_order(changes: list[Json], want: Json, names: Names) -> None:
    """Each `before` pair [kind, id, kind, id]: the first record's first change comes no later
    than the second's."""
    first: dict[tuple[str, str], int] = {}
    for n, change in enumerate(changes):
        first.setdefault((change["kind"], str(change["id"])), n)
    for kind_a, id_a, kind_b, id_b in names.value(want.get("before", [])):
        a, b = first.get((kind_a, id_a)), first.get((kind_b, id_b))
        assert a is not None, (kind_a, id_a, sorted(first))
        assert b is not None, (kind_b, id_b, sorted(first))
        assert a < b, f"{kind_a} {id_a} came after {kind_b} {id_b}"


def _match(change: Json, pulled: dict[tuple[str, str], Json]) -> tuple[str, str] | None:
    if change.get("id") is not None:
        key = (change["kind"], str(change["id"]))
        return key if key in pulled else None
    for key, candidate in pulled.items():
        data = candidate.get("data") or {}
        if key[0] == change["kind"] and all(data.get(k) == v for k, v in change["data"].items()):
            return key
    return None


def steps(case: Json) -> Iterator[tuple[str, Json]]:
    for step in case["steps"]:
        [(verb, body)] = step.items()
        yield verb, body


def tampered(cursor: str) -> str:
    """The cursor edited by hand: an unsigned cursor with its feed position moved back to the
    start (what an edit would ask for: the device's whole feed again), any other cursor with
    one character of it changed."""
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        middle = len(cursor) // 2
        swapped = "A" if cursor[middle] != "A" else "B"
        return cursor[:middle] + swapped + cursor[middle + 1:]
    body["p"] = 0
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


GARBAGE_CURSOR = "not-a-cursor"
