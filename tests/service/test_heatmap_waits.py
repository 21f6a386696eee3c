"""The SLA heatmap's figures at waits other than user tasks, on SQLite and PostgreSQL alike: a timer
cases wait at (its creation to its firing), a message catch (the wait's start to the message) and a
call activity (its called process's start to its end), and the called process's own heatmap.
On the three parcel cases of tests/parcel_cases.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from parcel_cases import parcel_cases
from support import MANAGER

from rma_orchestrator.errors import InvalidData
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.dashboard import today_of
from rma_orchestrator.service.heatmap import ElementHeat, Heatmap, get_heatmap, parse_heatmap_query

HOUR = 3600.0


@pytest.fixture
def parcels(services: Services) -> dict[str, int]:
    return parcel_cases(services)


def heatmap(services: Services, **args: str) -> Heatmap:
    period = {} if "from" in args else {"days": "7"}
    query = parse_heatmap_query({"process": "heat_parent", **period, **args}, today_of(services))
    return get_heatmap(services, MANAGER, query)


def figures(heat: Heatmap, element_id: str) -> ElementHeat:
    element = heat.element(element_id)
    assert element is not None, f"{element_id} has no figures"
    return element


def test_a_timer_cases_waited_at(services: Services, parcels: dict[str, int]) -> None:
    timer = figures(heatmap(services), "wait_two_hours")
    assert (timer.kind, timer.name) == ("timer", "2 hours")
    assert (timer.passed, timer.waiting, timer.reached) == (3, 0, 3)
    assert timer.median == pytest.approx(2 * HOUR, abs=1)
    assert timer.p90 == pytest.approx(2 * HOUR, abs=1)


def test_a_message_catch_delivered_and_waiting(services: Services, parcels: dict[str, int]) -> None:
    message = figures(heatmap(services), "wait_parcel")
    assert (message.kind, message.name) == ("message", "Parcel arrived")
    assert (message.passed, message.waiting, message.reached) == (2, 1, 3)
    assert message.median == pytest.approx(1 * HOUR, abs=1)  # nearest rank: ⌈2/2⌉ = 1st of 1 h, 3 h
    assert message.p90 == pytest.approx(3 * HOUR, abs=1)  # ⌈0.9·2⌉ = 2nd


def test_a_call_activity_its_called_process_and_its_own_heatmap(
    services: Services, parcels: dict[str, int]
) -> None:
    heat = heatmap(services)
    call = figures(heat, "check_parcel")
    assert (call.kind, call.called, call.name) == ("call", "heat_child", "Check the parcel")
    assert (call.passed, call.waiting, call.reached) == (1, 1, 2)  # A's ended, B's runs
    assert call.median == pytest.approx(4 * HOUR, abs=1) and call.p90 == call.median
    assert heat.element("inspect_parcel") is None  # the called process's task is not on this diagram

    child = heatmap(services, call="heat_child")
    assert (child.process_key, child.shown, child.version) == ("heat_parent", "heat_child", heat.version)
    assert 'id="heat_child"' in child.xml and child.query.params()["call"] == "heat_child"
    inspect = figures(child, "inspect_parcel")
    assert (inspect.kind, inspect.passed, inspect.waiting) == ("task", 1, 1)
    assert inspect.median == pytest.approx(4 * HOUR, abs=1)
    assert {e.element_id for e in child.elements} == {"inspect_parcel"}


def test_the_waits_of_a_period_before_the_cases_count_nothing(
    services: Services, parcels: dict[str, int]
) -> None:
    day = (today_of(services) - timedelta(days=20)).isoformat()
    assert heatmap(services, **{"from": day, "to": day}).elements == []


def test_a_process_the_version_does_not_call_is_refused(services: Services) -> None:
    parcel_cases(services)
    with pytest.raises(InvalidData) as refused:
        heatmap(services, call="no_such_process")
    assert [item["field"] for item in refused.value.items] == ["call"]
    assert "calls no process 'no_such_process'" in refused.value.items[0]["message"]
