"""The case list's filters the dashboard's links need: by reason, product category, the SLA timer
that fired, and outcome (service/instance_search.py), on real cases."""

from __future__ import annotations

import pytest
from rma_cases import case_data, deploy_rma
from support import ADMIN, AGENT, MANAGER

from rma_orchestrator.errors import InvalidData
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instance_list import search_instances
from rma_orchestrator.service.instance_search import InstanceSearch, parse_search
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.tasks import complete_task


def found(services: Services, **args: str) -> set[int]:
    return {row.id for row in search_instances(services, MANAGER, parse_search(args)).items}


def test_reason_category_sla_and_outcome_pick_their_cases(services: Services) -> None:
    deploy_rma(services)
    phone = {
        "sku": "PH-1",
        "name": "手机 Phone",
        "category": "electronics",
        "exclusion": "none",
        "price_paid": "9.00",
    }
    wrong = start_instance(
        services, "rma_case", case_data(services, reason="wrong_item", product=phone), AGENT
    )
    unused = start_instance(services, "rma_case", case_data(services, reason="no_reason"), AGENT)
    (task,) = get_instance(services, unused.id, MANAGER).tasks
    answer = {"eligible": False, "approved": False, "return_method": "not_applicable"}
    complete_task(services, task.id, answer, MANAGER)
    move_clock(services, ADMIN, add="PT25H")  # the wrong item's first response is breached
    assert found(services, reason="wrong_item") == {wrong.id}
    assert found(services, category="electronics") == {wrong.id}
    assert found(services, category="home_goods") == {unused.id}
    assert found(services, sla="first_response") == {wrong.id}
    assert found(services, sla="refund_7_days") == set()
    assert found(services, outcome="end_rejected") == {unused.id}
    assert found(services, reason="no_reason", outcome="end_rejected") == {unused.id}


def test_the_new_filters_go_to_the_url_and_back() -> None:
    search = InstanceSearch(
        reason="wrong_item", category="electronics", sla="first_response", outcome="end_refunded"
    )
    assert parse_search(search.params()) == search
    assert search.filtered
    with pytest.raises(InvalidData) as refused:
        parse_search({"reason": "x" * 41, "sla": "first_response"})
    assert [item["field"] for item in refused.value.items] == ["reason"]
