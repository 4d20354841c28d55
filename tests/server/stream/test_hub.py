"""The hub takes events it is handed (its own process's commit, a NOTIFY carrying them) on
trust only when they follow the last one read: then they reach the listeners with no query;
after a gap (a smaller id may still be committing) it says no, and the caller reads the
table. What NOTIFY carries round-trips, and an event too large for it goes as its id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from server.stream.audience import Audience
from server.stream.hub import (
    NOTIFY_PAYLOAD_BYTES,
    Event,
    Hub,
    Listener,
    event_of_notify,
    notify_payload,
)

SUPERVISORS = Audience.of(roles=["supervisor"])


def event(event_id: int, payload: dict[str, object] | None = None) -> Event:
    return Event(event_id, "backup.requested", "2026-12-03T08:00:00+00:00",
                 payload or {"id": f"request-{event_id}"}, SUPERVISORS)


@pytest.fixture
def statements() -> Iterator[tuple[sa.Engine, list[str]]]:
    engine = sa.create_engine("sqlite://")
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda _conn, _cursor, statement, *_rest: seen.append(statement))
    yield engine, seen
    engine.dispose()


def hub_after(last_id: int, engine: sa.Engine) -> tuple[Hub, Listener]:
    hub = Hub(engine, last_id)
    listener = Listener(role="supervisor", unit_id=None, user_id=1)
    hub.register(listener)
    return hub, listener


def queued(listener: Listener) -> list[int]:
    found = []
    while not listener.queue.empty():
        found.append(listener.queue.get_nowait().id)
    return found


def test_events_that_follow_the_last_one_read_reach_listeners_with_no_query(
        statements: tuple[sa.Engine, list[str]]) -> None:
    engine, seen = statements
    hub, listener = hub_after(5, engine)
    woken: list[list[int]] = []
    hub.callbacks.append(lambda events: woken.append([e.id for e in events]))

    assert hub.offer_committed([event(6), event(7)])

    assert queued(listener) == [6, 7]
    assert hub.last_id == 7
    assert woken == [[6, 7]]
    assert seen == []


def test_an_event_after_a_gap_is_refused_so_the_table_is_read(
        statements: tuple[sa.Engine, list[str]]) -> None:
    engine, _ = statements
    hub, listener = hub_after(5, engine)

    assert not hub.offer_committed([event(7)])
    assert not hub.offer_committed([event(6), event(8)])

    assert queued(listener) == []
    assert hub.last_id == 5


def test_events_already_read_are_not_handed_out_twice(
        statements: tuple[sa.Engine, list[str]]) -> None:
    engine, _ = statements
    hub, listener = hub_after(5, engine)

    assert hub.offer_committed([event(4), event(5)])
    assert hub.offer_committed([event(5), event(6)])

    assert queued(listener) == [6]


def test_a_notify_carries_the_whole_event_and_it_reads_back_the_same() -> None:
    sent = Event(41, "backup.acknowledged", "2026-12-03T08:00:00+00:00",
                 {"id": "r", "acknowledged_by": {"id": 3, "name": "Alex Rivera"}},
                 Audience.of(roles=["dispatcher"], units=[2], users=[9]))

    assert event_of_notify(notify_payload(sent)) == sent


def test_an_event_too_large_for_a_notify_goes_as_its_id_and_the_row_is_read() -> None:
    large = event(42, {"ids": ["x" * 36] * (NOTIFY_PAYLOAD_BYTES // 36)})

    assert notify_payload(large) == "42"
    assert event_of_notify("42") is None


@pytest.mark.parametrize("payload", ["{", '{"id": 1}', '{"id": "x", "type": "t", "at": "a", '
                                     '"payload": {}, "audience": {}}', "[]"])
def test_a_notify_that_does_not_read_as_an_event_is_not_trusted(payload: str) -> None:
    assert event_of_notify(payload) is None


def test_the_listeners_standing_is_checked_once_for_them_all_per_period(
        statements: tuple[sa.Engine, list[str]]) -> None:
    engine, _ = statements
    hub = Hub(engine, 0)
    listeners = [Listener(role="supervisor", unit_id=None, user_id=i) for i in range(50)]
    for listener in listeners:
        hub.register(listener)
    checks: list[int] = []

    def check(found: list[Listener]) -> set[Listener]:
        checks.append(len(found))
        return {each for each in found if each.user_id != 7}

    answers = [hub.in_good_standing(each, check, max_age=0) for each in listeners[:1]]
    answers += [hub.in_good_standing(each, check, max_age=3600) for each in listeners]
    assert checks == [50]  # one check of all 50, then 50 answers from it
    assert answers[0]
    assert answers[1:] == [each.user_id != 7 for each in listeners]


def test_a_listener_registered_after_the_last_check_stands_until_the_next(
        statements: tuple[sa.Engine, list[str]]) -> None:
    engine, _ = statements
    hub, first = hub_after(0, engine)
    assert not hub.in_good_standing(first, lambda found: set(), max_age=0)
    late = Listener(role="supervisor", unit_id=None, user_id=2)
    hub.register(late)  # its sign-in was checked as it connected, after that check
    assert hub.in_good_standing(late, lambda found: set(), max_age=3600)
    assert not hub.in_good_standing(late, lambda found: set(), max_age=0)


def test_a_failed_standing_check_changes_nothing_and_the_next_ask_checks_again(
        statements: tuple[sa.Engine, list[str]]) -> None:
    engine, _ = statements
    hub, listener = hub_after(0, engine)

    def down(found: list[Listener]) -> set[Listener]:
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("the database went away"))

    with pytest.raises(sa.exc.OperationalError):
        hub.in_good_standing(listener, down, max_age=0)
    assert hub.in_good_standing(listener, down, max_age=3600)  # still as it connected
    assert hub.in_good_standing(listener, lambda found: set(found), max_age=0)
