"""The sign-in throttle: per user name + address and per address, a growing wait rather than
a lock anyone can set off, counted atomically, read through trusted proxies, purged after its
window; an unknown user name is checked against a dummy hash like a wrong password."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from server.auth.models import LoginThrottle, Role, User
from server.auth.services import create_user as create_user_service
from server.extensions import db
from server.jobs import run_job
from server.models_base import utcnow
from tests.conftest import _truncate_all, make_app, running_app
from tests.fixtures.concurrency import together
from tests.fixtures.people import PASSWORD

LOGIN = "/api/v1/auth/login"
MakeUser = Callable[..., User]


def _try(client: FlaskClient, username: str, password: str, address: str = "10.0.0.1",
         **headers: str) -> Any:
    return client.post(LOGIN, json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def _codes(client: FlaskClient, username: str, times: int, address: str = "10.0.0.1") -> list[int]:
    return [_try(client, username, "wrong password", address).status_code for _ in range(times)]


def _wait_is_over() -> None:
    """As if the wait each key was given has passed (the tests do not sleep)."""
    db.session.execute(sa.update(LoginThrottle).values(next_allowed_at=utcnow()))
    db.session.commit()


@pytest.fixture
def slow_waits(app: Flask) -> Flask:
    """A minute's first wait, so no wait passes while a test runs."""
    app.config.update(LOGIN_DELAY_BASE_SECONDS=60, LOGIN_DELAY_CAP_SECONDS=600)
    return app


def test_the_right_password_still_works_from_another_address_while_one_is_throttled(
        slow_waits: Flask, create_user: MakeUser, client: FlaskClient) -> None:
    user = create_user(Role.RESPONDER_CLINICIAN)

    attacker = _codes(client, user.username, 6, address="203.0.113.9")
    at_the_station = _try(client, user.username, PASSWORD, address="10.0.0.1")

    assert attacker == [401] * 5 + [429]
    assert at_the_station.status_code == 200


def test_a_throttled_answer_is_429_with_retry_after_in_the_envelope(
        slow_waits: Flask, create_user: MakeUser, client: FlaskClient) -> None:
    user = create_user(Role.DISPATCHER)
    _codes(client, user.username, 5)

    throttled = _try(client, user.username, PASSWORD)

    assert throttled.status_code == 429
    assert 55 <= int(throttled.headers["Retry-After"]) <= 60
    assert throttled.json["code"] == 429
    assert throttled.json["message"]


def test_each_failure_past_the_allowance_waits_twice_as_long_up_to_the_cap(
        slow_waits: Flask, create_user: MakeUser, client: FlaskClient) -> None:
    user = create_user(Role.DISPATCHER)
    _codes(client, user.username, 5)
    waits = []
    for _ in range(5):
        waits.append(int(_try(client, user.username, "still wrong").headers["Retry-After"]))
        _wait_is_over()
        assert _try(client, user.username, "still wrong").status_code == 401

    assert [round(w, -1) for w in waits] == [60, 120, 240, 480, 600]


def test_the_right_password_after_the_wait_signs_in_and_clears_the_count(
        slow_waits: Flask, create_user: MakeUser, client: FlaskClient) -> None:
    user = create_user(Role.DISPATCHER)
    _codes(client, user.username, 5)
    assert _try(client, user.username, PASSWORD).status_code == 429
    _wait_is_over()

    assert _try(client, user.username, PASSWORD).status_code == 200
    assert _codes(client, user.username, 5) == [401] * 5


def test_spraying_many_names_from_one_address_is_slowed(
        slow_waits: Flask, create_user: MakeUser, client: FlaskClient) -> None:
    slow_waits.config["LOGIN_FREE_FAILURES_PER_ADDRESS"] = 8
    names = [f"nobody{n}" for n in range(10)]

    sprayed = [_try(client, name, "Winter2026!", address="198.51.100.7").status_code
               for name in names]
    elsewhere = _try(client, "nobody99", "Winter2026!", address="10.0.0.1")

    assert sprayed == [401] * 8 + [429] * 2
    assert elsewhere.status_code == 401


def test_successful_sign_ins_from_a_station_do_not_use_up_its_address(
        slow_waits: Flask, create_user: MakeUser, client: FlaskClient) -> None:
    slow_waits.config["LOGIN_FREE_FAILURES_PER_ADDRESS"] = 3
    crew = [create_user(Role.RESPONDER_EMT) for _ in range(5)]

    codes = [_try(client, person.username, PASSWORD).status_code for person in crew]

    assert codes == [200] * 5


def test_a_tablet_refused_after_the_right_password_is_not_a_failure(
        slow_waits: Flask, create_user: MakeUser, create_unit: Callable[..., Any],
        sign_in: Callable[..., Any], client: FlaskClient) -> None:
    heart1_tablet = sign_in(create_user(Role.RESPONDER_EMT, unit=create_unit()))
    stranger = create_user(Role.RESPONDER_PEER)
    body = {"username": stranger.username, "password": PASSWORD,
            "device_id": heart1_tablet.device_id}

    refusals = [client.post(LOGIN, json=body).status_code for _ in range(7)]

    assert refusals == [403] * 7
    assert _try(client, stranger.username, PASSWORD, address="127.0.0.1").status_code == 200


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(
        slow_waits: Flask, create_user: MakeUser, client: FlaskClient) -> None:
    user = create_user(Role.DISPATCHER)
    forged = [_try(client, user.username, "wrong", **{"X-Forwarded-For": f"192.0.2.{n}"})
              .status_code for n in range(6)]

    assert forged == [401] * 5 + [429]


@pytest.fixture
def behind_a_proxy(database_url: str, tmp_path: Any) -> Iterator[Flask]:
    with running_app(database_url, tmp_path, TRUSTED_PROXIES=1,
                     LOGIN_DELAY_BASE_SECONDS=60) as app:
        yield app


def test_behind_a_trusted_proxy_each_client_address_is_counted_apart(
        behind_a_proxy: Flask) -> None:
    create_user_service(db.session, username="medic", full_name="Medic", role=Role.RESPONDER_EMT,
                        password=PASSWORD)
    db.session.commit()
    client = behind_a_proxy.test_client()
    proxy = "10.0.0.254"

    from_attacker = [_try(client, "medic", "wrong", proxy, **{"X-Forwarded-For": "203.0.113.9"})
                     .status_code for _ in range(6)]
    from_medic = _try(client, "medic", PASSWORD, proxy, **{"X-Forwarded-For": "10.1.2.3"})

    assert from_attacker == [401] * 5 + [429]
    assert from_medic.status_code == 200


def test_failures_older_than_the_window_are_purged(
        app: Flask, create_user: MakeUser, client: FlaskClient) -> None:
    _codes(client, "old-typo", 2, address="10.0.0.1")
    _codes(client, "fresh-typo", 1, address="10.0.0.2")
    long_ago = utcnow() - timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] + 60)
    old_keys = [row.key for row in db.session.scalars(sa.select(LoginThrottle))
                if row.failures == 2]
    db.session.execute(sa.update(LoginThrottle).where(LoginThrottle.key.in_(old_keys))
                       .values(last_failure_at=long_ago, next_allowed_at=long_ago))
    db.session.commit()

    assert run_job(app, "feed_purge").status == "ran"

    db.session.expire_all()
    left = set(db.session.scalars(sa.select(LoginThrottle.key)))
    assert len(old_keys) == 2
    assert left
    assert not left & set(old_keys)


def test_an_unknown_user_name_is_checked_like_a_wrong_password(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, hash: str, password: str) -> bool:
        checked.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)

    answer = _try(client, "no-such-person", "a guess")

    assert answer.status_code == 401
    assert len(checked) == 1
    assert checked[0].startswith("$argon2id$")


@pytest.mark.postgres
def test_parallel_wrong_guesses_get_no_more_than_the_allowance(pg_database: str) -> None:
    _truncate_all(pg_database)
    guesses = 16
    app = make_app(pg_database, LOGIN_DELAY_BASE_SECONDS=60,
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": guesses, "max_overflow": 4})
    with app.app_context():
        create_user_service(db.session, username="target", full_name="Target",
                            role=Role.SUPERVISOR, password=PASSWORD)
        db.session.commit()

    def guess(n: int) -> int:
        return int(_try(app.test_client(), "target", f"guess {n}").status_code)

    codes = together([partial(guess, n) for n in range(guesses)])
    with app.app_context():
        db.engine.dispose()

    assert sorted(codes) == [401] * app.config["LOGIN_FREE_FAILURES_PER_NAME"] + [429] * (
        guesses - app.config["LOGIN_FREE_FAILURES_PER_NAME"])
