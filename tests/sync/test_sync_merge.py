"""Merge policies, one table row per case.

Every row also checks: convergence (swapping local and remote, with their
stamps, gives the same value wherever the policy is symmetric), idempotence
(merging the remote again changes nothing) and that merging a value with
itself keeps it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from server.calls.lifecycle import lifecycle_max
from sync.hlc import Timestamp
from sync.merge import (
    FieldOutcome,
    Policy,
    append,
    hlc_lww,
    merge_record,
    server_wins_with_conflict,
    three_way,
)
from sync.ops import Outcome

KEPT, TAKEN, SAME = FieldOutcome.KEPT, FieldOutcome.TAKEN, FieldOutcome.SAME
COMBINED, CONFLICT = FieldOutcome.COMBINED, FieldOutcome.CONFLICT
EARLY, LATE = Timestamp(1000, 0, "dev-a"), Timestamp(2000, 0, "dev-b")
TIE_A, TIE_B = Timestamp(1000, 3, "dev-a"), Timestamp(1000, 3, "dev-b")


def n(note_id: str, hlc: str) -> dict[str, str]:
    return {"id": note_id, "hlc": hlc, "body": f"note {note_id}"}


N1, N2, N3 = n("1", "0001"), n("2", "0002"), n("3", "0003")

ER, OS, TP, CL, DI = "en_route", "on_scene", "transporting", "cleared", "dispatched"
NO: tuple[None, None] = (None, None)
Stamps = tuple[Timestamp | None, Timestamp | None]

# policy, base, local, remote -> expected value, outcome, (local_hlc, remote_hlc)
# Every row but the conflict rows is symmetric: swapping sides gives the same value.
ROWS: list[tuple[Policy, Any, Any, Any, Any, FieldOutcome, Stamps]] = [
    (three_way, "a", "a", "a", "a", KEPT, NO),
    (three_way, "a", "b", "a", "b", KEPT, NO),
    (three_way, "a", "a", "c", "c", TAKEN, NO),
    (three_way, "a", "b", "b", "b", SAME, NO),
    (three_way, "a", "b", "c", "c", COMBINED, (EARLY, LATE)),
    (three_way, "a", "b", "c", "b", COMBINED, (LATE, EARLY)),
    (three_way, None, None, "x", "x", TAKEN, NO),
    (hlc_lww, "a", "b", "c", "c", COMBINED, (EARLY, LATE)),
    (hlc_lww, "a", "b", "c", "b", COMBINED, (LATE, EARLY)),
    (hlc_lww, "a", "b", "c", "c", COMBINED, (TIE_A, TIE_B)),  # same wall+counter: node dev-b wins
    (hlc_lww, "a", "b", "c", "b", COMBINED, (TIE_B, TIE_A)),
    (hlc_lww, "a", "b", "c", "c", COMBINED, NO),  # no stamps: canonical value order
    (hlc_lww, "a", "z", "c", "c", COMBINED, (None, EARLY)),  # an unstamped value is the oldest
    (hlc_lww, "a", "b", "z", "b", COMBINED, (EARLY, None)),
    (hlc_lww, "a", "b", "b", "b", SAME, (EARLY, LATE)),
    (lifecycle_max, ER, ER, OS, OS, TAKEN, NO),
    (lifecycle_max, ER, TP, OS, TP, COMBINED, NO),
    (lifecycle_max, ER, TP, ER, TP, KEPT, NO),
    (lifecycle_max, DI, OS, CL, CL, COMBINED, NO),
    (lifecycle_max, None, None, ER, ER, TAKEN, NO),
    (lifecycle_max, DI, CL, CL, CL, SAME, NO),
    (lifecycle_max, ER, ER, ER, ER, KEPT, NO),
    (lifecycle_max, None, None, "received", "received", TAKEN, NO),  # the first state is after none
    (lifecycle_max, None, "received", None, "received", KEPT, NO),
    (append, [], [N1], [N2], [N1, N2], COMBINED, NO),
    (append, [N1], [N1], [N1, N2], [N1, N2], TAKEN, NO),
    (append, [N1], [N1, N3], [N1], [N1, N3], KEPT, NO),
    (append, [], [N2, N1], [N3, N1], [N1, N2, N3], COMBINED, NO),
    (append, [], [N1], [N1], [N1], SAME, NO),
    (append, None, None, [N1], [N1], TAKEN, NO),
    (server_wins_with_conflict, "x", "x", "x", "x", KEPT, NO),
    (server_wins_with_conflict, "x", "server", "x", "server", KEPT, NO),
    (server_wins_with_conflict, "x", "x", "device", "device", TAKEN, NO),
    (server_wins_with_conflict, "x", "same", "same", "same", SAME, NO),
    (server_wins_with_conflict, "x", "server", "device", "server", CONFLICT, (EARLY, LATE)),
    (server_wins_with_conflict, None, "ER 1", "ER 2", "ER 1", CONFLICT, (LATE, EARLY)),
]


@pytest.mark.parametrize(
    ("policy", "base", "local", "remote", "expected", "outcome", "stamps"),
    ROWS,
    ids=[f"{getattr(r[0], '__name__', 'policy')}-{i}" for i, r in enumerate(ROWS)],
)
def test_policy_row(
    policy: Policy,
    base: Any,
    local: Any,
    remote: Any,
    expected: Any,
    outcome: FieldOutcome,
    stamps: Stamps,
) -> None:
    lh, rh = stamps
    result = policy(base, local, remote, local_hlc=lh, remote_hlc=rh)
    assert (result.value, result.outcome) == (expected, outcome)
    assert result.conflict is (outcome is CONFLICT)
    if outcome is not CONFLICT:  # convergence
        assert policy(base, remote, local, local_hlc=rh, remote_hlc=lh).value == expected
    newest = max((h for h in stamps if h is not None), default=None)
    again = policy(base, result.value, remote, local_hlc=newest, remote_hlc=rh)
    assert again.value == expected  # idempotence: the same remote again changes nothing
    assert policy(base, result.value, result.value).value == expected


def test_policies_never_mutate_their_inputs() -> None:
    local, remote, base = [N2, N1], [N3], [N1]
    append(base, local, remote)
    assert (local, remote, base) == ([N2, N1], [N3], [N1])


def test_unknown_lifecycle_state_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="unknown lifecycle state"):
        lifecycle_max(None, "en_route", "teleported")


CALL_POLICIES: dict[str, Policy] = {
    "disposition": server_wins_with_conflict,
    "transport_destination": server_wins_with_conflict,
    "status": lifecycle_max,
}
BASE = {"disposition": None, "transport_destination": None, "status": "en_route", "narrative": "n"}


def test_same_clinical_field_edited_on_two_tablets_keeps_server_value_and_flags_it() -> None:
    server = {**BASE, "disposition": "referred"}
    merged = merge_record(CALL_POLICIES, BASE, server, {"disposition": "treated on scene"})
    assert merged.value["disposition"] == "referred"
    assert merged.conflicts == ["disposition"]
    assert merged.outcome is Outcome.CONFLICT


def test_untouched_field_on_server_takes_device_value_as_applied() -> None:
    merged = merge_record(CALL_POLICIES, BASE, BASE, {"transport_destination": "Duke ED"})
    assert merged.value == {**BASE, "transport_destination": "Duke ED"}
    assert merged.outcomes == {"transport_destination": TAKEN}
    assert merged.outcome is Outcome.APPLIED


def test_same_value_on_both_sides_is_merged_and_fields_not_sent_stay() -> None:
    server = {**BASE, "disposition": "referred", "narrative": "edited by dispatch"}
    merged = merge_record(CALL_POLICIES, BASE, server, {"disposition": "referred"})
    assert merged.value == server
    assert merged.outcome is Outcome.MERGED
    assert merged.conflicts == []


def test_fields_without_a_policy_merge_three_way() -> None:
    merged = merge_record(CALL_POLICIES, BASE, BASE, {"narrative": "device edit"})
    assert merged.value["narrative"] == "device edit"
    assert merged.outcomes == {"narrative": TAKEN}


@pytest.mark.parametrize(("server_value", "device_value"), [("zulu", "alpha"), ("alpha", "zulu")])
def test_field_changed_on_both_sides_goes_to_the_stamped_device_edit_whatever_its_value(
    server_value: str, device_value: str
) -> None:
    # The stores merge as the push engine calls them: the device's stamp only, the server's
    # stored value has none. Value order would keep "zulu" in both cases.
    server = {**BASE, "narrative": server_value}
    merged = merge_record(CALL_POLICIES, BASE, server, {"narrative": device_value}, remote_hlc=EARLY)
    assert merged.value["narrative"] == device_value
    assert merged.outcomes == {"narrative": COMBINED}
    assert merged.outcome is Outcome.MERGED


def test_a_tie_break_does_not_depend_on_the_order_a_records_keys_arrived_in() -> None:
    remote = {"a": 2}
    winners = {json_key(hlc_lww(None, local, remote).value)
               for local in ({"b": 1, "a": 1}, {"a": 1, "b": 1})}
    assert winners == {json_key(remote)}


def json_key(value: Any) -> str:
    return repr(sorted(value.items()))


def test_values_that_are_not_json_still_tie_break_the_same_way_on_both_sides() -> None:
    early, late = datetime(2026, 11, 25, 2, tzinfo=UTC), datetime(2026, 11, 25, 3, tzinfo=UTC)
    assert hlc_lww(None, early, late).value == hlc_lww(None, late, early).value == late


def test_a_note_seen_twice_with_different_text_ends_the_same_whichever_side_had_which() -> None:
    mine, theirs = {**N1, "body": "typed on tablet a"}, {**N1, "body": "typed on tablet b"}
    one_way = append(None, [mine], [theirs]).value
    assert one_way == append(None, [theirs], [mine]).value == [theirs]


def test_notes_are_ordered_by_hlc_then_id_not_by_id_alone() -> None:
    late_a, early_b, undated_c = n("a", "0009"), n("b", "0001"), {"id": "c", "body": "no stamp"}
    same_time_d, same_time_e = n("d", "0005"), n("e", "0005")
    merged = append(None, [late_a, same_time_e], [early_b, undated_c, same_time_d]).value
    assert [entry["id"] for entry in merged] == ["c", "b", "d", "e", "a"]


@pytest.mark.parametrize(
    ("base", "local", "remote", "outcome"),
    [
        ([N1], [N1, N2], [N1, N2], SAME),  # both added the same note
        ([N1, N2], [N1, N2], [N1, N2], KEPT),  # neither added anything
        ([N1], [N1, N2], [N1], KEPT),  # only the server added one
        ([N1], [N1], [N1, N3], TAKEN),  # only the device added one
        ([N1], [N1, N2], [N1, N3], COMBINED),  # each added its own
        (None, [N2], [N3], COMBINED),
    ],
)
def test_which_side_added_notes_decides_the_outcome(
    base: Any, local: Any, remote: Any, outcome: FieldOutcome
) -> None:
    assert append(base, local, remote).outcome is outcome


def test_an_unknown_lifecycle_state_on_the_server_side_is_an_error_too() -> None:
    with pytest.raises(ValueError, match="unknown lifecycle state 'teleported'"):
        lifecycle_max(None, "teleported", "en_route")


def test_a_further_status_from_the_device_is_combined_when_the_server_moved_too() -> None:
    result = lifecycle_max(ER, OS, TP)
    assert (result.value, result.outcome, result.conflict) == (TP, COMBINED, False)
    unchanged = lifecycle_max(ER, ER, TP)
    assert (unchanged.value, unchanged.outcome) == (TP, TAKEN)


def test_a_local_stamp_given_to_a_record_merge_decides_a_field_changed_on_both_sides() -> None:
    server = {**BASE, "narrative": "dispatch, later"}
    kept = merge_record(CALL_POLICIES, BASE, server, {"narrative": "device"}, local_hlc=LATE,
                        remote_hlc=EARLY)
    assert kept.value["narrative"] == "dispatch, later"
    taken = merge_record(CALL_POLICIES, BASE, server, {"narrative": "device"}, local_hlc=EARLY,
                         remote_hlc=LATE)
    assert taken.value["narrative"] == "device"


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [([1, 5], [12]), ({"a": 1, "b": 2}, {"a": 12}), ("a", "b"), ("1", 1), (False, None)],
)
def test_a_tie_break_follows_the_compact_json_text_of_the_values(smaller: Any, larger: Any) -> None:
    # Every client that merges must pick the same winner: the larger compact, key-sorted JSON text.
    assert hlc_lww(None, smaller, larger).value == larger
    assert hlc_lww(None, larger, smaller).value == larger
