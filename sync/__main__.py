"""Command line for the reference client: `python -m sync <command>`.

Every command prints one JSON document. The server URL and the local database
come from --url/--db or HEART_URL/HEART_DB; the record kinds ops are checked against from
--kinds or HEART_KINDS: a module whose `record_registry()` returns them (the app's own,
`server.kinds`, by default; named, not imported here, so the engine depends on no app).
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from sync.client import Client, InvalidInput, SyncError

DEFAULT_URL = "http://127.0.0.1:5000"
DEFAULT_DB = "heart-field.sqlite3"
DEFAULT_KINDS = "server.kinds"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sync", description=__doc__)
    parser.add_argument("--url", default=os.environ.get("HEART_URL", DEFAULT_URL))
    parser.add_argument("--db", default=os.environ.get("HEART_DB", DEFAULT_DB))
    parser.add_argument("--kinds", default=os.environ.get("HEART_KINDS", DEFAULT_KINDS))
    commands = parser.add_subparsers(dest="command", required=True)
    login = commands.add_parser("login", help="sign in online (registers the device once)")
    login.add_argument("username")
    login.add_argument("--password", help="asked for when left out")
    login.add_argument("--device-name")
    for name, text in [
        ("push", "send the outbox"),
        ("pull", "apply the change feed"),
        ("sync", "push, then pull"),
        ("status", "device, unsent, conflicts"),
    ]:
        commands.add_parser(name, help=text)
    status = commands.add_parser("record-status", help="record a call status (offline ok)")
    status.add_argument("call_id")
    status.add_argument("status", choices=["en_route", "on_scene", "transporting", "cleared"])
    note = commands.add_parser("note", help="add a note to a call (offline ok)")
    note.add_argument("call_id")
    note.add_argument("body")
    location = commands.add_parser("location", help="record a location point (offline ok)")
    location.add_argument("lat", type=float)
    location.add_argument("lon", type=float)
    location.add_argument("--accuracy-m", type=float)
    update = commands.add_parser("update-call", help="edit a call's clinical fields")
    update.add_argument("call_id")
    update.add_argument("base_version", type=int)
    update.add_argument("--disposition")
    update.add_argument("--transport-destination")
    show = commands.add_parser("records", help="list local records of a kind")
    show.add_argument("kind")
    commands.add_parser("conflicts", help="open conflicts pulled for this user")
    commands.add_parser("rejected", help="operations the server rejected")
    commands.add_parser("logout", help="forget the tokens (refused while entries are unsent)")
    return parser


def run(client: Client, args: argparse.Namespace) -> Any:
    command = args.command
    if command == "login":
        password = args.password or getpass.getpass("password: ")
        return client.login(args.username, password, args.device_name)
    if command in ("push", "pull", "sync"):
        if command == "pull":
            return {"pulled": client.pull()}
        return dataclasses.asdict(client.push() if command == "push" else client.sync())
    if command == "record-status":
        return {"id": client.record_status(args.call_id, args.status)}
    if command == "note":
        return {"id": client.add_note(args.call_id, args.body)}
    if command == "location":
        return {"id": client.record_location(args.lat, args.lon, args.accuracy_m)}
    if command == "update-call":
        fields = {
            k: v
            for k, v in (
                ("disposition", args.disposition),
                ("transport_destination", args.transport_destination),
            )
            if v
        }
        return {"id": client.update_call(args.call_id, args.base_version, **fields)}
    if command == "logout":
        client.logout()
        return {"signed_in": False}
    if command == "records":
        return client.records(args.kind)
    views = {"status": client.status, "conflicts": client.conflicts, "rejected": client.rejected}
    return views[command]()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    registry = importlib.import_module(args.kinds).record_registry()
    client = Client(args.url, args.db, registry)
    try:
        print(json.dumps(run(client, args), indent=2, default=str))
    except InvalidInput as exc:
        print(json.dumps({"error": "invalid input", "errors": exc.errors}), file=sys.stderr)
        return 2
    except SyncError as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}), file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
