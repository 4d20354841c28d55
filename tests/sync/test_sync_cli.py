"""`python -m sync`: the reference client from the command line."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

import sync.__main__ as cli
from sync.client import Client
from tests.sync.factories import CALL_ID
from tests.sync.fakes import FakeServer


def run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, object]:
    code = cli.main(["--url", "http://heart.test", "--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out or err)


def test_offline_capture_from_the_command_line_is_queued(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "cli.sqlite3"
    assert run(capsys, db, "record-status", CALL_ID, "on_scene")[0] == 0
    assert run(capsys, db, "note", CALL_ID, "calm")[0] == 0
    assert run(capsys, db, "location", "35.99", "-78.9", "--accuracy-m", "4")[0] == 0
    code, status = run(capsys, db, "status")
    assert code == 0
    assert isinstance(status, dict)
    assert (status["unsent"], status["signed_in"]) == (3, False)


def test_invalid_capture_exits_2_naming_the_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, answer = run(capsys, tmp_path / "cli.sqlite3", "note", CALL_ID, "   ")
    assert code == 2
    assert answer == {
        "error": "invalid input",
        "errors": {"data.body": ["must be text of 1..10000 characters"]},
    }


def test_login_then_sync_from_the_command_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "Client", functools.partial(Client, session=server))
    db = tmp_path / "cli.sqlite3"
    run(capsys, db, "record-status", CALL_ID, "en_route")
    assert run(capsys, db, "push") == (1, {"error": "NeedsLogin", "message": "sign in online first"})
    assert run(capsys, db, "login", "ana", "--password", "correct horse")[0] == 0
    code, report = run(capsys, db, "sync")
    assert code == 0
    assert report == {"push": {"sent": 1, "outcomes": {"applied": 1}, "replayed": 0}, "pulled": 2}
    code, calls = run(capsys, db, "records", "call")
    assert isinstance(calls, list)
    assert calls[0]["data"]["status"] == "en_route"
    assert run(capsys, db, "logout") == (0, {"signed_in": False})
