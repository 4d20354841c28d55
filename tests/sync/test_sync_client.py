"""The reference client against the fake server: the hard cases of an offline tablet."""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta

import pytest

import sync.client
from sync.client import (
    MAX_ATTEMPTS,
    Client,
    DeviceRevoked,
    InvalidInput,
    NeedsLogin,
    Offline,
    SyncError,
)
from sync.hlc import Timestamp
from tests.sync.conftest import MakeTablet
from tests.sync.factories import CALL_ID
from tests.sync.fakes import SERVER_NOW, AppKilled, FakeServer, error

OTHER_CALL = "0193a000-0000-7000-8000-0000000000ff"


def facts(server: FakeServer, kind: str = "call_status") -> list[str]:
    return sorted(server.store.live(kind))


def test_capture_writes_the_record_and_its_op_together_offline(tablet: Client) -> None:
    fact_id = tablet.record_status(CALL_ID, "en_route")
    assert tablet.unsent_count() == 1
    [record] = tablet.records("call_status")
    assert record["id"] == fact_id
    assert record["synced"] is False


def test_invalid_capture_is_refused_at_once_and_queues_nothing(tablet: Client) -> None:
    with pytest.raises(InvalidInput) as caught:
        tablet.record_location(95.0, 0.0)
    assert caught.value.errors == {"data.lat": ["must be a number from -90 to 90"]}
    assert tablet.unsent_count() == 0
    assert tablet.records("location_point") == []


@pytest.mark.parametrize("body", ["pasted\x00text", "lone \ud800 half"])
def test_a_note_no_database_stores_is_refused_at_capture_naming_the_body(
        tablet: Client, body: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        tablet.add_note(CALL_ID, body)
    assert set(caught.value.errors) == {"data.body"}
    assert tablet.unsent_count() == 0


def test_push_delivers_the_outbox_in_seq_order_and_empties_it(tablet: Client, server: FakeServer) -> None:
    tablet.record_status(CALL_ID, "en_route")
    tablet.add_note(CALL_ID, "arrived, calm")
    tablet.record_location(35.99, -78.9, accuracy_m=5)
    report = tablet.push()
    assert report.outcomes == {"applied": 3}
    assert tablet.unsent_count() == 0
    assert server.store.last_seq(tablet.status()["device_id"]) == 3
    assert all(r["synced"] for r in tablet.records("call_note"))


def test_push_sends_batches_of_at_most_max_push_batch(
    tablet: Client, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync.client, "MAX_PUSH_BATCH", 2)
    for _ in range(5):
        tablet.record_location(35.99, -78.9)
    tablet.push()
    assert server.paths().count("push") == 3
    assert len(facts(server, "location_point")) == 5


def test_a_push_over_the_server_s_body_limit_goes_again_in_halves(
    tablet: Client, server: FakeServer
) -> None:
    for _ in range(4):
        tablet.record_location(35.99, -78.9)
    server.faults = ["413"]
    assert tablet.push().outcomes == {"applied": 4}
    sizes = [len(body["ops"]) for body in server.pushes[tablet.status()["device_id"]]]
    assert sizes == [2, 2]  # the 4-op push was refused before the fake server stored it
    assert server.paths().count("push") == 3
    assert len(facts(server, "location_point")) == 4


def test_lost_push_response_is_replayed_not_duplicated(
    tablet: Client, server: FakeServer, sleeps: list[float]
) -> None:
    tablet.record_status(CALL_ID, "en_route")
    tablet.record_status(CALL_ID, "on_scene")
    server.faults = ["drop_response"]
    report = tablet.push()
    assert report.replayed == 2
    assert len(facts(server)) == 2
    assert tablet.unsent_count() == 0
    assert sleeps == [0.5]  # one retry, full jitter of the 1 s base with rand() = 0.5


@pytest.mark.parametrize("fault", ["cut_body", "undecodable_body", "read_timeout",
                                   "garbled_body", "not_an_object"])
def test_push_answer_cut_or_mangled_after_the_commit_is_retried_and_applied_once(
    tablet: Client, server: FakeServer, sleeps: list[float], fault: str
) -> None:
    tablet.record_status(CALL_ID, "en_route")
    tablet.add_note(CALL_ID, "door code 4471")
    server.faults = [fault]
    report = tablet.push()
    assert report.replayed == 2  # the server had applied the batch: the retry is its replay
    assert report.outcomes == {"applied": 2}
    assert len(facts(server)) == 1
    assert len(facts(server, "call_note")) == 1
    assert tablet.unsent_count() == 0
    assert sleeps == [0.5]


def test_pull_answer_cut_after_its_headers_is_retried(
    tablet: Client, server: FakeServer, sleeps: list[float]
) -> None:
    server.faults = ["cut_body"]
    assert tablet.pull() == 1
    assert tablet.records("call")[0]["data"]["status"] == "dispatched"
    assert sleeps == [0.5]


def test_answers_that_keep_arriving_cut_end_as_offline_with_the_outbox_kept(
    tablet: Client, server: FakeServer, sleeps: list[float]
) -> None:
    tablet.record_status(CALL_ID, "en_route")
    server.faults = ["cut_body", "garbled_body", "undecodable_body", "cut_body", "read_timeout"]
    with pytest.raises(Offline):
        tablet.push()
    assert len(sleeps) == MAX_ATTEMPTS - 1
    assert tablet.unsent_count() == 1
    assert tablet.push().replayed == 1
    assert len(facts(server)) == 1


def test_app_killed_mid_push_then_resumed_applies_each_op_once(
    create_tablet: MakeTablet, server: FakeServer
) -> None:
    tablet = create_tablet("crashy")
    for status in ("en_route", "on_scene", "transporting"):
        tablet.record_status(CALL_ID, status)
    server.faults = ["kill_app"]
    with pytest.raises(AppKilled):
        tablet.push()
    tablet.close()
    restarted = create_tablet("crashy", login=False)
    assert restarted.unsent_count() == 3
    report = restarted.push()
    assert report.replayed == 3
    assert len(facts(server)) == 3
    assert restarted.unsent_count() == 0
    assert server.store.live("call")[CALL_ID]["status"] == "transporting"


def test_rejected_op_moves_aside_and_does_not_block_the_ones_behind_it(
    tablet: Client, server: FakeServer
) -> None:
    tablet.record_status(CALL_ID, "en_route")
    tablet.record_status(OTHER_CALL, "on_scene")  # the server has no such call
    tablet.add_note(CALL_ID, "still delivered")
    report = tablet.push()
    assert report.outcomes == {"applied": 2, "rejected": 1}
    assert tablet.unsent_count() == 0
    [rejected] = tablet.rejected()
    assert rejected["errors"] == {"data.call_id": ["no such call"]}
    assert rejected["op"]["data"]["call_id"] == OTHER_CALL
    assert len(server.store.rejected) == 1
    assert [r["data"]["call_id"] for r in tablet.records("call_status")] == [CALL_ID]


def test_deferred_ops_are_resent_from_the_servers_last_seq(tablet: Client, server: FakeServer) -> None:
    for _ in range(3):
        tablet.record_location(35.99, -78.9)
    server.faults = ["defer_tail"]
    report = tablet.push()
    assert report.outcomes == {"applied": 3}
    assert server.paths().count("push") == 2
    assert len(facts(server, "location_point")) == 3


def test_access_token_expired_during_eight_hours_offline_is_refreshed_on_reconnect(
    create_tablet: MakeTablet, server: FakeServer
) -> None:
    clock = [SERVER_NOW]
    tablet = create_tablet()
    tablet.now = lambda: clock[0]
    for hour in range(8):
        clock[0] = SERVER_NOW + timedelta(hours=hour)
        tablet.record_location(35.99, -78.9)
    server.expire_access_tokens()
    report = tablet.sync()
    assert report.push.outcomes == {"applied": 8}
    assert server.paths() == ["login", "push", "refresh", "push", "pull"]


def test_each_refresh_keeps_the_rotated_refresh_token_for_the_next(
    tablet: Client, server: FakeServer
) -> None:
    sent: list[str] = []
    for _ in range(3):
        server.expire_access_tokens()
        sent.append(str(tablet.local.meta(sync.client.REFRESH_KEY)))
        tablet.record_status(CALL_ID, "on_scene")
        tablet.push()
    assert server.paths().count("refresh") == 3
    assert len(set(sent)) == 3
    assert tablet.local.meta(sync.client.REFRESH_KEY) in server.refresh


def test_a_refresh_whose_answer_was_lost_is_retried_and_the_crew_stays_signed_in(
    tablet: Client, server: FakeServer
) -> None:
    tablet.record_status(CALL_ID, "en_route")
    server.expire_access_tokens()
    server.faults = ["none", "drop_response"]  # the push is told to refresh; that answer is lost
    assert tablet.push().outcomes == {"applied": 1}
    assert server.paths()[-4:] == ["push", "refresh", "refresh", "push"]
    server.expire_access_tokens()
    tablet.record_status(CALL_ID, "on_scene")
    assert tablet.push().outcomes == {"applied": 1}


def test_sign_out_ends_the_sign_in_on_the_server(tablet: Client, server: FakeServer) -> None:
    device = tablet.status()["device_id"]
    tablet.logout()
    assert server.paths()[-1] == "logout"
    assert device in server.signed_out
    assert tablet.status()["signed_in"] is False


def test_sign_out_offline_still_forgets_the_tokens(
    tablet: Client, server: FakeServer
) -> None:
    server.faults = ["drop_request"] * sync.client.MAX_ATTEMPTS
    tablet.logout()
    assert tablet.status()["signed_in"] is False


def test_expired_refresh_token_asks_for_login_and_capture_keeps_working(
    tablet: Client, server: FakeServer
) -> None:
    tablet.record_status(CALL_ID, "en_route")
    server.expire_refresh_tokens()
    with pytest.raises(NeedsLogin):
        tablet.push()
    tablet.add_note(CALL_ID, "written while signed out")
    assert tablet.unsent_count() == 2
    tablet.login("ana", "correct horse")
    assert tablet.push().outcomes == {"applied": 2}


def test_sign_out_with_unsent_entries_is_refused(tablet: Client) -> None:
    tablet.add_note(CALL_ID, "not sent yet")
    with pytest.raises(SyncError, match="1 entries are not sent yet"):
        tablet.logout()
    tablet.sync()
    tablet.logout()
    assert tablet.status()["signed_in"] is False


def test_revoked_device_wipes_its_local_database(tablet: Client, server: FakeServer) -> None:
    tablet.record_status(CALL_ID, "en_route")
    server.revoked.add(tablet.status()["device_id"])
    with pytest.raises(DeviceRevoked) as revoked:
        tablet.sync()
    assert (revoked.value.reason, revoked.value.unsent) == ("lost", 1)
    assert not os.path.exists(tablet.db_path)


def test_retired_device_sends_its_outbox_signs_out_then_wipes(
        tablet: Client, server: FakeServer) -> None:
    device = tablet.status()["device_id"]
    tablet.record_status(CALL_ID, "en_route")
    tablet.record_status(CALL_ID, "on_scene")
    server.retired.add(device)
    with pytest.raises(DeviceRevoked) as retired:
        tablet.pull()
    assert (retired.value.reason, retired.value.unsent) == ("retired", 0)
    assert [len(body["ops"]) for body in server.pushes[device]] == [2]
    assert device in server.signed_out
    assert not os.path.exists(tablet.db_path)


def test_retired_device_with_no_answer_keeps_its_outbox_for_the_next_try(
        tablet: Client, server: FakeServer) -> None:
    tablet.record_status(CALL_ID, "en_route")
    server.retired.add(tablet.status()["device_id"])
    server.faults = ["none", *["drop_request"] * 5]  # the pull answers; the push never does
    with pytest.raises(Offline):
        tablet.pull()
    assert tablet.unsent_count() == 1
    with pytest.raises(DeviceRevoked):
        tablet.sync()
    assert not os.path.exists(tablet.db_path)


def test_connection_errors_and_5xx_are_retried_with_jitter_then_reported_offline(
    tablet: Client, server: FakeServer, sleeps: list[float]
) -> None:
    tablet.record_status(CALL_ID, "en_route")
    server.faults = ["drop_request", "500", "drop_request", "500", "500"]
    with pytest.raises(Offline):
        tablet.push()
    assert sleeps == [0.5, 1.0, 2.0, 4.0]
    assert len(sleeps) == MAX_ATTEMPTS - 1
    assert tablet.unsent_count() == 1
    assert tablet.push().outcomes == {"applied": 1}


def test_throttled_login_waits_as_long_as_the_server_asks(
    create_tablet: MakeTablet, server: FakeServer, sleeps: list[float]
) -> None:
    tablet = create_tablet(login=False)
    server.faults = ["429"]
    tablet.login("ana", "correct horse")
    assert sleeps == [7.0]
    assert tablet.status()["signed_in"] is True


def test_capture_is_all_or_nothing_when_the_local_write_fails(
    tablet: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(tablet.local, "write_record", disk_full)
    with pytest.raises(sqlite3.OperationalError):
        tablet.record_status(CALL_ID, "en_route")
    monkeypatch.undo()
    assert tablet.unsent_count() == 0
    assert tablet.status()["next_seq"] == 1
    tablet.record_status(CALL_ID, "en_route")
    assert tablet.unsent_count() == 1


def test_pull_pages_through_the_feed_saving_the_cursor_each_page(
    tablet: Client, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync.client, "PULL_LIMIT", 3)
    for n in range(7):
        server.store.put("supply_item", f"item-{n}", {"name": f"item {n}"})
    assert tablet.pull() == 8  # the call and seven catalog items
    assert server.paths().count("pull") == 3
    assert len(tablet.records("supply_item")) == 7
    server.store.put("supply_item", "item-0", {"name": "renamed"})
    assert tablet.pull() == 1


def test_deletes_and_removals_drop_local_records_but_unsent_ops_still_land(
    tablet: Client, server: FakeServer
) -> None:
    server.store.put("premise", "p1", {"address": "1 Main St"})
    tablet.pull()
    tablet.record_status(CALL_ID, "on_scene")  # offline, then the call is reassigned
    server.store.remove_from_scope("call", CALL_ID)
    server.store.delete("premise", "p1")
    tablet.pull()
    assert tablet.records("call") == []
    assert tablet.records("premise") == []
    assert tablet.unsent_count() == 1
    tablet.push()
    assert len(facts(server)) == 1


def test_cursor_too_old_resets_the_local_copy_and_pulls_from_scratch(
    tablet: Client, server: FakeServer
) -> None:
    server.store.put("premise", "gone", {"address": "old"})
    tablet.pull()
    tablet.add_note(CALL_ID, "unsent across the reset")
    server.store.delete("premise", "gone")
    server.store.purged_upto = server.store.position  # the tombstone was purged
    assert tablet.pull() == 1
    assert [r["id"] for r in tablet.records("call")] == [CALL_ID]
    assert tablet.records("premise") == []
    assert tablet.unsent_count() == 1
    assert len(tablet.records("call_note")) == 1


def test_a_cursor_the_server_cannot_read_restarts_the_pull_from_scratch(
    tablet: Client, server: FakeServer
) -> None:
    tablet.pull()
    tablet.add_note(CALL_ID, "unsent across the restart")
    with tablet.local.tx():
        tablet.local.set_meta("cursor", "damaged")
    assert tablet.pull() == 1
    assert [r["id"] for r in tablet.records("call")] == [CALL_ID]
    assert tablet.unsent_count() == 1


def test_status_tap_shows_at_once_and_the_call_follows_the_lifecycle(
    tablet: Client, server: FakeServer
) -> None:
    tablet.pull()
    tablet.record_status(CALL_ID, "on_scene")
    assert tablet.records("call")[0]["data"]["status"] == "on_scene"
    tablet.record_status(CALL_ID, "en_route")  # a late tap never moves the call back
    assert tablet.records("call")[0]["data"]["status"] == "on_scene"
    tablet.sync()
    [call] = tablet.records("call")
    assert (call["data"]["status"], call["synced"]) == ("on_scene", True)


def test_an_undone_cleared_syncs_as_a_fact_and_the_call_is_open_again(
    tablet: Client, server: FakeServer
) -> None:
    tablet.pull()
    tablet.record_status(CALL_ID, "on_scene")
    cleared = tablet.record_status(CALL_ID, "cleared")
    tablet.withdraw_status(CALL_ID, cleared, "cleared")  # offline: tap and undo go together
    report = tablet.sync()
    assert report.push.outcomes == {"applied": 3}
    assert len(facts(server)) == 3  # the withdrawn tap stays in the record
    [call] = tablet.records("call")
    assert (call["data"]["status"], call["synced"]) == ("on_scene", True)


def test_same_field_edited_on_two_tablets_surfaces_a_conflict(
    create_tablet: MakeTablet, server: FakeServer
) -> None:
    a, b = create_tablet("a"), create_tablet("b")
    a.pull()
    b.pull()
    a.update_call(CALL_ID, 1, disposition="referred to care navigation")
    b.update_call(CALL_ID, 1, disposition="treated on scene")
    assert b.records("call")[0]["data"]["disposition"] == "treated on scene"
    a.sync()
    report = b.sync()
    assert report.push.outcomes == {"conflict": 1}
    [conflict] = b.conflicts()
    assert conflict["data"]["device_value"] == "treated on scene"
    assert conflict["data"]["server_value"] == "referred to care navigation"
    assert b.records("call")[0]["data"]["disposition"] == "referred to care navigation"


def test_unsent_edit_survives_a_pull_of_a_newer_server_version(tablet: Client, server: FakeServer) -> None:
    tablet.pull()
    tablet.update_call(CALL_ID, 1, transport_destination="Duke ED")
    server.store.put("call", CALL_ID, {**server.store.live("call")[CALL_ID], "status": "en_route"})
    tablet.pull()
    data = tablet.records("call")[0]["data"]
    assert (data["status"], data["transport_destination"]) == ("en_route", "Duke ED")


def test_a_second_sync_while_one_runs_is_refused(tablet: Client) -> None:
    with tablet._only_one_sync(), pytest.raises(SyncError, match="already running"):
        tablet.sync()


def test_login_with_wrong_password_is_an_error_not_a_retry(
    create_tablet: MakeTablet, sleeps: list[float]
) -> None:
    tablet = create_tablet(login=False)
    with pytest.raises(SyncError, match="wrong username or password"):
        tablet.login("ana", "wrong")
    assert sleeps == []


def test_each_op_names_the_person_signed_in_as_its_author(tablet: Client, server: FakeServer) -> None:
    tablet.record_status(CALL_ID, "en_route")
    tablet.add_note(CALL_ID, "with the family")
    tablet.push()
    [body] = next(iter(server.pushes.values()))
    assert [op["author_id"] for op in body["ops"]] == [tablet.status()["user"]["id"]] * 2


def test_a_tablet_whose_clock_lags_stamps_its_next_op_after_the_server_s_hlc(
    create_tablet: MakeTablet, server: FakeServer
) -> None:
    server.now = lambda: SERVER_NOW + timedelta(seconds=30)  # the tablet's clock is behind
    tablet = create_tablet()
    tablet.pull()
    heard = server.clock.last

    tablet.record_location(35.99, -78.9)
    [(_, _, op)] = tablet.local.outbox_batch(1)
    tablet.close()
    again = create_tablet()  # the app restarts: the merged clock was kept
    again.record_location(35.99, -78.9)
    [_, (_, _, later)] = again.local.outbox_batch(2)

    assert Timestamp.parse(op["hlc"]) > heard
    assert Timestamp.parse(later["hlc"]) > Timestamp.parse(op["hlc"])


def test_a_410_without_the_resync_action_is_an_error_not_a_reset(
    tablet: Client, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tablet.pull()
    tablet.add_note(CALL_ID, "kept")
    monkeypatch.setattr(server, "_pull", lambda params: error(410, "gone elsewhere"))

    with pytest.raises(SyncError, match="gone elsewhere"):
        tablet.pull()
    assert tablet.status()["has_cursor"]
    assert [r["id"] for r in tablet.records("call")] == [CALL_ID]
