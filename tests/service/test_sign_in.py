"""Browser sign-in: one answer for every wrong guess, a throttle shared through the database,
the session's user loader and each user's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from support import ADMIN

from rma_orchestrator.errors import InvalidData, TooManyAttempts, Unauthorized
from rma_orchestrator.service import users
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.users import (
    MAX_FAILURES,
    actor_for_name,
    actor_for_token,
    add_user,
    create_token,
    retry_wait,
    set_locale,
    sign_in,
)
from rma_orchestrator.store.models import TABLES

PASSWORD = "correct horse"
HOME = "10.0.0.1"


@pytest.fixture
def people(services: Services) -> Services:
    add_user(services, "cs1", ["customer_service"], "staff", PASSWORD)
    add_user(services, "wh1", ["warehouse"], "staff", PASSWORD)
    add_user(services, "nopass", ["warehouse"], "staff")
    add_user(services, "gone", ["warehouse"], "staff", PASSWORD)
    with services.database.engine.begin() as connection:
        user = TABLES["app_user"]
        connection.execute(update(user).where(user.c.name == "gone").values(active=False))
    return services


def _refusal(call: Callable[[], Any]) -> tuple[str, list[dict[str, Any]]]:
    with pytest.raises(Unauthorized) as refused:
        call()
    return refused.value.message, refused.value.items


def _fail(services: Services, times: int, name: str = "cs1", address: str | None = HOME) -> None:
    for _ in range(times):
        with pytest.raises(Unauthorized):
            sign_in(services, name, "wrong", address)


def _wait_asked(services: Services, name: str = "cs1", address: str | None = HOME) -> int:
    with pytest.raises(TooManyAttempts) as refused:
        sign_in(services, name, PASSWORD, address)
    return refused.value.retry_after


def test_the_right_password_signs_in(people: Services) -> None:
    actor = sign_in(people, "cs1", PASSWORD, HOME)
    assert (actor.name, actor.role, actor.groups, actor.locale) == (
        "cs1",
        "staff",
        frozenset({"customer_service"}),
        None,
    )


def test_every_wrong_guess_gets_the_same_answer(people: Services) -> None:
    wrong_password = _refusal(lambda: sign_in(people, "cs1", "wrong", HOME))
    assert wrong_password == ("wrong user name or password", [{"message": "wrong user name or password"}])
    for name, password in [
        ("nobody", PASSWORD),  # unknown user
        ("nopass", ""),  # no password set
        ("gone", PASSWORD),  # no longer active
        ("x" * 500, PASSWORD),  # no user can have this name
        ("cs1", "x" * 5000),  # longer than any password
    ]:
        assert _refusal(lambda n=name, p=password: sign_in(people, n, p, f"10.9.9.{len(n) % 200}")) == (
            wrong_password
        ), name


def test_an_unknown_user_costs_one_hash_like_a_known_one(
    people: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = users.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(users, "check_password_hash", counting)
    for name in ("cs1", "nobody", "gone", "nopass"):
        _fail(people, 1, name, address=None)
    assert len(checked) == 4 and len(set(checked)) == 1  # one hash each, all of the same method


def test_five_failures_then_a_growing_wait_and_a_success_resets(people: Services) -> None:
    """The name's count alone here (no client address): it grows with each failure, a success clears it."""
    _fail(people, MAX_FAILURES - 1, address=None)
    assert sign_in(people, "cs1", PASSWORD, None).name == "cs1"  # four failures do not stop anyone
    _fail(people, MAX_FAILURES, address=None)
    assert _wait_asked(people, address=None) == 1  # even with the right password: it is not looked at
    move_clock(people, ADMIN, add="PT1S")
    _fail(people, 1, address=None)  # the sixth failure
    assert _wait_asked(people, address=None) == 2
    move_clock(people, ADMIN, add="PT1S")
    assert _wait_asked(people, address=None) == 1
    move_clock(people, ADMIN, add="PT1S")
    _fail(people, 1, address=None)
    assert _wait_asked(people, address=None) == 4
    move_clock(people, ADMIN, add="PT4S")
    assert sign_in(people, "cs1", PASSWORD, None).name == "cs1"
    _fail(people, MAX_FAILURES - 1, address=None)  # counting from zero again
    assert sign_in(people, "cs1", PASSWORD, None).name == "cs1"


def test_the_wait_is_refused_for_the_name_from_any_address(people: Services) -> None:
    _fail(people, MAX_FAILURES, address=None)
    assert _wait_asked(people, address="192.168.1.1") == 1
    assert sign_in(people, "wh1", PASSWORD, "192.168.1.1").name == "wh1"  # other users are unaffected


def test_a_client_address_is_throttled_across_user_names(people: Services) -> None:
    for name in ("a", "b", "c", "d", "e"):
        _fail(people, 1, name)
    assert _wait_asked(people, "wh1") == 1  # an untried name, from the same address
    assert sign_in(people, "wh1", PASSWORD, "10.0.0.2").name == "wh1"
    move_clock(people, ADMIN, add="PT1S")
    assert sign_in(people, "wh1", PASSWORD, HOME).name == "wh1"
    _fail(people, 1, "f")  # a success resets the name's count, not the address's
    assert _wait_asked(people, "wh1") == 2


def test_failures_a_day_old_are_forgotten(people: Services) -> None:
    _fail(people, MAX_FAILURES)
    move_clock(people, ADMIN, add="P1DT1S")
    _fail(people, 1)  # counts as the first failure again, not the sixth
    assert sign_in(people, "cs1", PASSWORD, "10.0.0.3").name == "cs1"


def test_the_wait_doubles_up_to_fifteen_minutes() -> None:
    assert [retry_wait(n).total_seconds() for n in (0, 4, 5, 6, 7, 10, 14, 15, 100, 10**9)] == [
        0,
        0,
        1,
        2,
        4,
        32,
        512,
        900,
        900,
        900,
    ]


def test_the_longest_wait_is_asked_after_many_failures(people: Services) -> None:
    failure = TABLES["sign_in_failure"]
    _fail(people, MAX_FAILURES)
    with people.database.engine.begin() as connection:
        connection.execute(update(failure).where(failure.c.key == "name:cs1").values(failures=40))
    assert _wait_asked(people, address=None) == 900
    move_clock(people, ADMIN, add="PT14M59S")
    assert _wait_asked(people, address=None) == 1
    move_clock(people, ADMIN, add="PT1S")
    assert sign_in(people, "cs1", PASSWORD, None).name == "cs1"


def test_odd_names_and_addresses_are_throttled_too(people: Services) -> None:
    for number, name in enumerate(("nul\x00name", "\udcff", "n" * 500)):
        _fail(people, MAX_FAILURES, name, address=f"\x00{number}" * 300)
        assert _wait_asked(people, name, address="elsewhere") == 1  # the name's count
    _fail(people, MAX_FAILURES - 1, "a", address="\udcff")
    _fail(people, 1, "b", address="\udcff")
    assert _wait_asked(people, "wh1", address="\udcff") == 1  # the odd address's count


def test_the_session_loader_finds_active_users_only(people: Services) -> None:
    actor = actor_for_name(people, "wh1")
    assert (actor.name, actor.groups) == ("wh1", frozenset({"warehouse"}))
    for name in ("gone", "nobody", "\x00", "n" * 500):
        with pytest.raises(Unauthorized):
            actor_for_name(people, name)


def test_a_user_chooses_a_language(people: Services) -> None:
    actor = actor_for_name(people, "cs1")
    set_locale(people, actor, "zh_CN")
    assert actor_for_name(people, "cs1").locale == "zh_CN"
    assert sign_in(people, "cs1", PASSWORD, HOME).locale == "zh_CN"
    assert actor_for_token(people, create_token(people, "cs1")).locale == "zh_CN"
    set_locale(people, actor, "en")
    assert actor_for_name(people, "cs1").locale == "en"
    assert actor_for_name(people, "wh1").locale is None
    for bad in ("fr", "zh-CN", "", "EN"):
        with pytest.raises(InvalidData) as refused:
            set_locale(people, actor, bad)
        assert refused.value.items == [{"field": "locale", "message": "must be one of zh_CN, en"}]
    assert actor_for_name(people, "cs1").locale == "en"


def test_concurrent_processes_share_the_count(people: Services, db_url: str, tmp_path: Any) -> None:
    """Another set of services on the same database (another server process) sees the failures."""
    from rma_orchestrator.bootstrap import bootstrap
    from rma_orchestrator.config import Settings

    other = bootstrap(
        Settings.from_env({}, data_dir=tmp_path / "other", database_url=db_url, controlled_clock=True)
    )
    try:
        _fail(people, 3)
        _fail(other, 2)
        assert _wait_asked(people) == 1 and _wait_asked(other) == 1
    finally:
        other.database.dispose()


def test_retry_after_is_whole_seconds_rounded_up(people: Services) -> None:
    _fail(people, MAX_FAILURES)
    move_clock(people, ADMIN, set_to=(people.clock.now() + timedelta(milliseconds=300)).isoformat())
    assert _wait_asked(people) == 1
