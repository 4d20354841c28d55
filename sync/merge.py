"""Per-field merge policies: pure functions that never mutate their inputs.

Every policy takes (base, local, remote) and optional HLC timestamps and
returns a MergeResult. By convention `local` is the side doing the merge and
holding authority (the server's current value) and `remote` the incoming
change (the device's value); `base` is the value at the version the device
last saw. `merge_record` applies a per-field table of policies to a record.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sync.hlc import Timestamp
from sync.ops import Outcome


class FieldOutcome(enum.StrEnum):
    KEPT = "kept"  # remote did not change the field: local value stays
    TAKEN = "taken"  # only remote changed it: remote value taken
    SAME = "same"  # both changed it to the same value
    COMBINED = "combined"  # both changed it: the policy combined or picked deterministically
    CONFLICT = "conflict"  # both changed it differently: local kept, a person decides


@dataclass(frozen=True)
class MergeResult:
    value: Any
    outcome: FieldOutcome
    conflict: bool = False


class Policy(Protocol):
    def __call__(
        self,
        base: Any,
        local: Any,
        remote: Any,
        *,
        local_hlc: Timestamp | None = None,
        remote_hlc: Timestamp | None = None,
    ) -> MergeResult: ...


def _canonical(value: Any) -> str:
    """A total order over JSON values, for tie-breaks that do not depend on arrival order."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def hlc_lww(
    base: Any,
    local: Any,
    remote: Any,
    *,
    local_hlc: Timestamp | None = None,
    remote_hlc: Timestamp | None = None,
) -> MergeResult:
    """Last writer wins by HLC (wall, counter, then node). A value without a stamp is older
    than any stamped one: the stores keep no stamp for a stored value, so the stamped edit
    coming in wins it. Equal stamps, or none on either side, fall back to value order."""
    if local == remote:
        return MergeResult(local, FieldOutcome.SAME)
    if local_hlc != remote_hlc:
        remote_wins = local_hlc is None or (remote_hlc is not None and remote_hlc > local_hlc)
    else:
        remote_wins = _canonical(remote) > _canonical(local)
    if remote_wins:
        return MergeResult(remote, FieldOutcome.COMBINED)
    return MergeResult(local, FieldOutcome.COMBINED)


def _unchanged_on_one_side(base: Any, local: Any, remote: Any) -> MergeResult | None:
    """The answer when at most one side changed the field (or both made the same change);
    None when both changed it differently, which each policy settles its own way."""
    if remote == base or local == remote:
        return MergeResult(local, FieldOutcome.KEPT if remote == base else FieldOutcome.SAME)
    if local == base:
        return MergeResult(remote, FieldOutcome.TAKEN)
    return None


def three_way(
    base: Any,
    local: Any,
    remote: Any,
    *,
    local_hlc: Timestamp | None = None,
    remote_hlc: Timestamp | None = None,
) -> MergeResult:
    """A field unchanged on one side takes the other; changed on both: last writer by HLC."""
    if (settled := _unchanged_on_one_side(base, local, remote)) is not None:
        return settled
    return hlc_lww(base, local, remote, local_hlc=local_hlc, remote_hlc=remote_hlc)


def server_wins_with_conflict(
    base: Any,
    local: Any,
    remote: Any,
    *,
    local_hlc: Timestamp | None = None,
    remote_hlc: Timestamp | None = None,
) -> MergeResult:
    """Clinical fields: changed on both sides differently keeps the server's value, flagged."""
    if (settled := _unchanged_on_one_side(base, local, remote)) is not None:
        return settled
    return MergeResult(local, FieldOutcome.CONFLICT, conflict=True)


def _furthest(rank: Mapping[str, int], base: Any, local: Any, remote: Any) -> MergeResult:
    for value in (local, remote):
        if value is not None and value not in rank:
            raise ValueError(f"unknown lifecycle state {value!r}")
    if local == remote:
        return MergeResult(local, FieldOutcome.KEPT if remote == base else FieldOutcome.SAME)
    local_rank = -1 if local is None else rank[local]
    remote_rank = -1 if remote is None else rank[remote]
    if remote_rank > local_rank:
        taken = local == base
        return MergeResult(remote, FieldOutcome.TAKEN if taken else FieldOutcome.COMBINED)
    return MergeResult(local, FieldOutcome.KEPT if remote == base else FieldOutcome.COMBINED)


def furthest_state(states: Sequence[str]) -> Policy:
    """The policy of a lifecycle field whose states are `states`, earliest first: the furthest
    state wins, so a later state never gives way to an earlier one (None is before every
    state)."""
    rank = {state: index for index, state in enumerate(states)}

    def furthest_state(base: Any, local: Any, remote: Any, *,
                       local_hlc: Timestamp | None = None,
                       remote_hlc: Timestamp | None = None) -> MergeResult:
        return _furthest(rank, base, local, remote)

    return furthest_state  # its name is the policy's name in the published field facts


def append(
    base: Any,
    local: Any,
    remote: Any,
    *,
    local_hlc: Timestamp | None = None,
    remote_hlc: Timestamp | None = None,
) -> MergeResult:
    """Notes: the union of entries by id, ordered by (hlc, id); nothing is ever dropped."""
    entries: dict[str, Any] = {}
    for entry in [*(local or ()), *(remote or ())]:
        known = entries.get(entry["id"])
        # The same id twice should be the same fact; if not, pick by value, never by side.
        if known is None or _canonical(entry) > _canonical(known):
            entries[entry["id"]] = entry
    merged = sorted(entries.values(), key=lambda e: (str(e.get("hlc", "")), str(e["id"])))
    local_ids, remote_ids = _ids(local), _ids(remote)
    if remote_ids <= local_ids:
        both_added = remote_ids == local_ids and remote_ids != _ids(base)
        return MergeResult(merged, FieldOutcome.SAME if both_added else FieldOutcome.KEPT)
    if local_ids <= _ids(base):
        return MergeResult(merged, FieldOutcome.TAKEN)
    return MergeResult(merged, FieldOutcome.COMBINED)


def _ids(entries: Any) -> set[str]:
    return {str(entry["id"]) for entry in entries or ()}


@dataclass(frozen=True)
class RecordMerge:
    value: dict[str, Any]
    outcomes: dict[str, FieldOutcome]
    conflicts: list[str]

    @property
    def outcome(self) -> Outcome:
        """The op outcome: conflict if any field clashed, merged if any combined, else applied."""
        if self.conflicts:
            return Outcome.CONFLICT
        mixed = {FieldOutcome.SAME, FieldOutcome.COMBINED}
        if any(o in mixed for o in self.outcomes.values()):
            return Outcome.MERGED
        return Outcome.APPLIED


def merge_record(
    policies: Mapping[str, Policy],
    base: Mapping[str, Any],
    local: Mapping[str, Any],
    remote: Mapping[str, Any],
    *,
    local_hlc: Timestamp | None = None,
    remote_hlc: Timestamp | None = None,
    default: Policy = three_way,
) -> RecordMerge:
    """Merge the fields `remote` carries into `local`; other fields stay as they are."""
    value = dict(local)
    outcomes: dict[str, FieldOutcome] = {}
    for name in sorted(remote):
        policy = policies.get(name, default)
        result = policy(
            base.get(name),
            local.get(name),
            remote[name],
            local_hlc=local_hlc,
            remote_hlc=remote_hlc,
        )
        value[name] = result.value
        outcomes[name] = result.outcome
    conflicts = [name for name, o in outcomes.items() if o is FieldOutcome.CONFLICT]
    return RecordMerge(value, outcomes, conflicts)


# Stands for "changed on the server since the device's base version": equal to nothing.
_CHANGED_ON_SERVER = object()


def merge_edit(
    policies: Mapping[str, Policy],
    edit: Mapping[str, Any],
    base_version: int | None,
    server: Mapping[str, Any],
    field_versions: Mapping[str, int],
    remote_hlc: Timestamp | None = None,
) -> RecordMerge:
    """Merge a device's edit of a document, made from `base_version`, into the server's
    values. The base of each field is the server's value when the field has not changed
    since that version (`field_versions`: the version that last changed each field), else
    a value equal to nothing: every store takes the merge base this way."""
    base = {name: (_CHANGED_ON_SERVER if field_versions.get(name, 0) > (base_version or 0)
                   else server.get(name)) for name in edit}
    return merge_record(policies, base, server, edit, remote_hlc=remote_hlc)
