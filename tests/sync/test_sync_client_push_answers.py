"""What a tablet keeps from a push answer: an edit's record and version, a rejection's message."""

from __future__ import annotations

from sync.client import Client
from tests.sync.factories import CALL_ID
from tests.sync.fakes import FakeServer

UNKNOWN_CALL = "0193a000-0000-7000-8000-0000000000ff"


def test_an_edits_answer_replaces_the_tablets_copy_with_the_servers_record_and_version(
    tablet: Client, server: FakeServer
) -> None:
    tablet.pull()
    dispatched = server.store.live("call")[CALL_ID]
    server.store.put("call", CALL_ID, {**dispatched, "transport_destination": "UNC ED"})
    tablet.update_call(CALL_ID, 1, disposition="referred")

    report = tablet.push()

    assert report.outcomes == {"applied": 1}
    [call] = tablet.records("call")
    assert call["version"] == server.store.records[("call", CALL_ID)].version == 3
    assert call["data"] == {**dispatched, "transport_destination": "UNC ED", "disposition": "referred"}
    assert call["synced"]


def test_a_rejected_op_keeps_the_servers_reason_for_the_crew(tablet: Client, server: FakeServer) -> None:
    tablet.record_status(UNKNOWN_CALL, "on_scene")

    tablet.push()

    [rejected] = tablet.rejected()
    [kept] = server.store.rejected
    assert rejected["message"] == kept.result.message != ""
    assert rejected["errors"] == {"data.call_id": ["no such call"]}
