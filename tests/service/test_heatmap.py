"""The SLA heatmap's figures (service/heatmap.py) on three real rma_case cases: one reviewed after
2 h, one after 26 h (its 24-hour first-response SLA fired first), one still waiting at its review
past the deadline; on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rma_cases import case_data, deploy_rma
from support import ADMIN, AGENT, MANAGER

from rma_orchestrator.errors import Forbidden, InvalidData
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.dashboard import today_of
from rma_orchestrator.service.heatmap import (
    Heatmap,
    get_heatmap,
    get_late_cases,
    parse_heatmap_query,
)
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.tasks import complete_task

HOUR = 3600.0
PHONE = {
    "sku": "PH-1",
    "name": "手机 Phone",
    "category": "electronics",
    "exclusion": "none",
    "price_paid": "999.00",
}


def review(services: Services, instance_id: int) -> None:
    (task,) = [t for t in get_instance(services, instance_id, MANAGER).tasks if t.element_id == "review_case"]
    answer = {"eligible": False, "approved": False, "return_method": "not_applicable"}
    complete_task(services, task.id, answer, MANAGER)


@pytest.fixture
def cases(services: Services) -> dict[str, int]:
    deploy_rma(services)
    answered = start_instance(services, "rma_case", case_data(services, reason="no_reason"), AGENT)
    late = start_instance(
        services, "rma_case", case_data(services, reason="wrong_item", product=PHONE), AGENT
    )
    waiting = start_instance(services, "rma_case", case_data(services, reason="wrong_item"), AGENT)
    move_clock(services, ADMIN, add="PT2H")
    review(services, answered.id)
    move_clock(services, ADMIN, add="PT24H")  # 26 h: the first-response SLA fired for the other two
    review(services, late.id)
    return {"answered": answered.id, "late": late.id, "waiting": waiting.id}


def heatmap(services: Services, **args: str) -> Heatmap:
    query = parse_heatmap_query({"process": "rma_case", **args}, today_of(services))
    return get_heatmap(services, MANAGER, query)


def test_the_review_step_passed_waiting_times_and_late_rate(
    services: Services, cases: dict[str, int]
) -> None:
    heat = heatmap(services, days="7")
    assert heat.process_key == "rma_case" and heat.version >= 1 and "review_case" in heat.xml
    review_case = heat.element("review_case")
    assert review_case is not None
    assert (review_case.passed, review_case.waiting, review_case.reached) == (2, 1, 3)
    assert review_case.median == pytest.approx(2 * HOUR, abs=1)  # nearest rank: ⌈2/2⌉ = 1st
    assert review_case.p90 == pytest.approx(26 * HOUR, abs=1)  # ⌈0.9·2⌉ = 2nd
    assert review_case.late == 2 and review_case.slas == ("first_response",)
    assert review_case.late_rate == pytest.approx(2 / 3)
    assert review_case.hot  # 67 % > 10 %
    assert not heatmap(services, days="7", threshold="70").element("review_case").hot  # type: ignore[union-attr]
    others = [e for e in heat.elements if e.kind == "task" and e.element_id != "review_case"]
    assert all(not e.hot and e.late == 0 for e in others)


def test_the_late_cases_of_an_element_with_their_breakdown(services: Services, cases: dict[str, int]) -> None:
    query = parse_heatmap_query({"process": "rma_case", "days": "30"}, today_of(services))
    late = get_late_cases(services, MANAGER, query, "review_case")
    assert late.total == 2
    assert {c.instance_id for c in late.cases} == {cases["late"], cases["waiting"]}
    assert late.by_reason == [("wrong_item", 2)]
    assert dict(late.by_category) == {"electronics": 1, "home_goods": 1}
    assert get_late_cases(services, MANAGER, query, "inspect_goods").total == 0


def test_a_period_before_the_cases_counts_nothing(services: Services, cases: dict[str, int]) -> None:
    day = (today_of(services) - timedelta(days=20)).isoformat()
    heat = heatmap(services, **{"from": day, "to": day})
    assert heat.elements == []


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"process": "no_such_process"}, "process"),
        ({"process": "rma_case", "version": "99"}, "version"),
        ({"process": "rma_case", "version": "x"}, "version"),
        ({"process": "rma_case", "days": "5"}, "days"),
        ({"process": "rma_case", "threshold": "150"}, "threshold"),
        ({}, "process"),
    ],
)
def test_bad_queries_name_the_parameter(services: Services, args: dict[str, Any], field: str) -> None:
    deploy_rma(services)
    with pytest.raises(InvalidData) as refused:
        get_heatmap(services, MANAGER, parse_heatmap_query(args, today_of(services)))
    assert field in {item["field"] for item in refused.value.items}


def test_staff_may_not_see_the_heatmap(services: Services) -> None:
    deploy_rma(services)
    query = parse_heatmap_query({"process": "rma_case"}, today_of(services))
    with pytest.raises(Forbidden):
        get_heatmap(services, AGENT, query)
