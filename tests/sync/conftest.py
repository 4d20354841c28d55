"""Fixtures for the client tests: a fake server and tablets that talk to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server.kinds import record_registry
from sync.client import Client
from tests.sync.factories import CALL_ID
from tests.sync.fakes import SERVER_NOW, FakeServer

CALL = {"status": "dispatched", "disposition": None, "transport_destination": None}

MakeTablet = Callable[..., Client]


@pytest.fixture
def server() -> FakeServer:
    server = FakeServer()
    server.store.put("call", CALL_ID, CALL)
    return server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def create_tablet(server: FakeServer, sleeps: list[float], tmp_path: Path) -> Iterator[MakeTablet]:
    """Make a tablet (a Client on its own SQLite file); `login=True` signs it in."""
    made: list[Client] = []

    def create(name: str = "tablet", login: bool = True) -> Client:
        client = Client(
            "http://heart.test",
            tmp_path / f"{name}.sqlite3",
            record_registry(),
            session=server,
            sleep=sleeps.append,
            now=lambda: SERVER_NOW,
            rand=lambda: 0.5,
        )
        if login:
            client.login("ana", "correct horse")
        made.append(client)
        return client

    yield create
    for client in made:
        client.close()


@pytest.fixture
def tablet(create_tablet: MakeTablet) -> Client:
    return create_tablet()
