"""The staff's working day on the real procedures: inbox, claim, task page, errors, drafts, completion."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from page_client import csrf_token
from rma_cases import case_data, deploy_rma
from support import ADMIN, AGENT

from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.results import InstanceInfo


@pytest.fixture
def rma(services: Services) -> Services:
    deploy_rma(services)
    return services


@pytest.fixture
def start_case(rma: Services) -> Callable[..., InstanceInfo]:
    def start(**changes: object) -> InstanceInfo:
        return start_instance(rma, "rma_case", case_data(rma, **changes), AGENT)

    return start


def review_task(services: Services, instance: InstanceInfo) -> str:
    (task,) = [t for t in get_instance(services, instance.id, AGENT).tasks if t.status == "open"]
    return task.id


def rows(page: str) -> list[str]:
    """The task ids of the inbox rows, in their order."""
    return re.findall(r'<tr data-task="([^"]+)"', page)


def test_the_inbox_lists_my_groups_tasks_next_breach_first_with_their_case(
    rma: Services, start_case: Callable[..., InstanceInfo], signed_in: Callable[..., FlaskClient]
) -> None:
    first = start_case()
    move_clock(rma, ADMIN, add="PT2H")
    second = start_case(customer={"name": "王伟 Wang Wei", "phone": "13800001111", "email": "w@example.cn"})
    client = signed_in("staff")
    page = client.get("/tasks?view=groups").get_data(as_text=True)
    assert rows(page) == [review_task(rma, first), review_task(rma, second)]  # registered first, due first
    assert "王伟 Wang Wei" in page and "电热水壶 Electric kettle" in page and first.business_key in page
    found = client.get("/tasks?view=groups&q=13800001111").get_data(as_text=True)
    assert rows(found) == [review_task(rma, second)]
    assert "Keyboard shortcuts" in page and "<kbd>j</kbd>" in page


def test_staff_of_another_group_see_nothing_and_get_403_on_the_task(
    rma: Services, start_case: Callable[..., InstanceInfo], signed_in: Callable[..., FlaskClient]
) -> None:
    task = review_task(rma, start_case())
    warehouse = signed_in("warehouse")
    assert rows(warehouse.get("/tasks?view=groups").get_data(as_text=True)) == []
    assert "view=all" not in warehouse.get("/tasks").get_data(as_text=True)  # no "all" tab for staff
    answer = warehouse.get(f"/tasks/{task}")
    assert answer.status_code == 403 and "text/html" in answer.content_type


def test_claim_and_unclaim_from_the_list(
    rma: Services, start_case: Callable[..., InstanceInfo], signed_in: Callable[..., FlaskClient]
) -> None:
    task = review_task(rma, start_case())
    client = signed_in("staff")
    token = csrf_token(client, "/tasks")
    claimed = client.post(f"/tasks/{task}/claim", data={"csrf_token": token, "next": "/tasks?view=mine"})
    assert claimed.headers["Location"] == "/tasks?view=mine"
    mine = client.get("/tasks?view=mine").get_data(as_text=True)
    assert rows(mine) == [task] and "You claimed the task." in mine
    client.post(f"/tasks/{task}/unclaim", data={"csrf_token": token})
    assert rows(client.get("/tasks?view=mine").get_data(as_text=True)) == []


def test_the_task_page_shows_the_case_and_its_decision(
    rma: Services, start_case: Callable[..., InstanceInfo], signed_in: Callable[..., FlaskClient]
) -> None:
    instance = start_case()
    page = signed_in("staff").get(f"/tasks/{review_task(rma, instance)}").get_data(as_text=True)
    for fact in ("李娜 Li Na", "13912345678", "电热水壶 Electric kettle", "KETTLE-1", instance.business_key):
        assert fact in page
    assert "eligible" in page and "Case registered" in page  # the decision and the history
    assert 'name="return_method"' in page


def test_a_case_waiting_for_documents_says_which_not_that_it_is_refused(
    rma: Services, start_case: Callable[..., InstanceInfo], signed_in: Callable[..., FlaskClient]
) -> None:
    instance = start_case(order_verified=False)
    task = review_task(rma, instance)
    client = signed_in("staff")
    page = client.get(f"/tasks/{task}").get_data(as_text=True)
    assert "documents missing</strong>:" in page and "Proof of purchase" in page
    assert "not eligible" not in page and 'name="documents_request_channel"' in page
    chinese = client.get(f"/tasks/{task}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "缺少资料</strong>:" in chinese and "请补充购买凭证" in chinese


def _review_form(client: FlaskClient, task: str, **fields: str) -> dict[str, str]:
    data = {"csrf_token": csrf_token(client, f"/tasks/{task}"), "eligible": "true", "approved": "true"}
    data.update(fields)
    return data


@pytest.mark.parametrize(("language", "message"), [("en", "required"), ("zh-CN", "必填")])
def test_a_wrong_form_shows_the_error_at_its_field_and_keeps_what_was_typed(
    rma: Services,
    start_case: Callable[..., InstanceInfo],
    signed_in: Callable[..., FlaskClient],
    language: str,
    message: str,
) -> None:
    task = review_task(rma, start_case())
    client = signed_in("staff", language=language)
    answer = client.post(
        f"/tasks/{task}", data=_review_form(client, task, return_method="customer_ships", _action="complete")
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    field = re.search(r'<[^>]*name="return_address"[^>]*>', page)
    assert field and 'aria-invalid="true"' in field.group(0)
    described = re.search(r'aria-describedby="([^"]+)"', field.group(0))
    assert described
    error_ids = described.group(1).split()
    texts = [re.search(rf'id="{i}"[^>]*>(.*?)</', page, re.S) for i in error_ids]
    assert any(t and message in t.group(1) for t in texts), [t.group(1) for t in texts if t]
    assert re.search(r'value="customer_ships"[^>]*selected|selected[^>]*value="customer_ships"', page)


def test_a_draft_is_kept_and_restored(
    rma: Services, start_case: Callable[..., InstanceInfo], signed_in: Callable[..., FlaskClient]
) -> None:
    task = review_task(rma, start_case())
    client = signed_in("staff")
    form = _review_form(
        client, task, return_method="customer_ships", return_address="上海市 1 号", _action="draft"
    )
    assert client.post(f"/tasks/{task}", data=form).status_code == 302
    page = client.get(f"/tasks/{task}").get_data(as_text=True)
    assert "上海市 1 号" in page
    assert "上海市 1 号" not in signed_in("manager").get(f"/tasks/{task}").get_data(as_text=True)


def test_completing_opens_the_next_task_and_a_late_second_agent_gets_the_conflict_page(
    rma: Services,
    start_case: Callable[..., InstanceInfo],
    signed_in: Callable[..., FlaskClient],
) -> None:
    first, second = start_case(), start_case()
    task, following = review_task(rma, first), review_task(rma, second)
    agent, other = signed_in("staff"), signed_in("manager")
    typed = {"return_method": "customer_ships", "return_address": "上海", "_action": "complete"}
    late_form = _review_form(other, task, **typed)
    done = agent.post(f"/tasks/{task}", data=_review_form(agent, task, **typed))
    assert done.status_code == 302 and done.headers["Location"] == f"/tasks/{following}"
    late = other.post(f"/tasks/{task}", data=late_form)
    assert late.status_code == 409
    text = late.get_data(as_text=True)
    assert "completed" in text and "/tasks" in text and "Traceback" not in text


def test_inbox_filters_are_saved_by_name_and_shared_as_links(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("staff")
    page = client.get("/tasks?view=groups&kind=repair&overdue=1").get_data(as_text=True)
    query = re.search(r'name="query" value="([^"]*)"', page)
    assert query and query.group(1).replace("&amp;", "&") == "view=groups&kind=repair&overdue=1"
    token = csrf_token(client, "/tasks")
    form = {"csrf_token": token, "name": "逾期维修", "query": "view=groups&kind=repair&overdue=1"}
    saved = client.post("/tasks/filters", data=form)
    assert saved.headers["Location"].endswith("/tasks?view=groups&kind=repair&overdue=1")
    listed = client.get("/tasks").get_data(as_text=True)
    assert re.search(r'<a href="/tasks\?view=groups&amp;kind=repair&amp;overdue=1">逾期维修</a>', listed)
    client.post("/tasks/filters/delete", data={"csrf_token": token, "name": "逾期维修"})
    after = client.get("/tasks").get_data(as_text=True)
    assert "Filter 逾期维修 deleted." in after and ">逾期维修</a>" not in after
    refused = client.post("/tasks/filters", data={"csrf_token": token, "name": "x", "query": "evil=1"})
    assert refused.status_code == 302
    assert "The filter was not saved" in client.get("/tasks").get_data(as_text=True)


def test_an_agent_holding_nothing_lands_on_the_groups_tasks(
    rma: Services, start_case: Callable[..., InstanceInfo], signed_in: Callable[..., FlaskClient]
) -> None:
    task = review_task(rma, start_case())
    client = signed_in("staff")
    landing = client.get("/tasks").get_data(as_text=True)
    assert rows(landing) == [task]
    assert re.search(r'aria-current="page">\s*My groups, unclaimed', landing)
    assert rows(client.get("/tasks?view=mine").get_data(as_text=True)) == []  # asked for: kept
