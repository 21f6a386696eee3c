"""The managers' instance page /monitor/instances/<id>: what it shows (timeline, case data, timers,
incidents), its diagram endpoint (the instance's own version, called processes), who may open it,
and its actions, each of which needs a reason that goes into the audit trail."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from page_client import csrf_token
from rma_cases import case_data, deploy_rma
from support import AGENT, ANALYST, DIVIDE_FILE, MANAGER, database_state, lifecycle_files

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, list_events, start_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.products import seed_product
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.service.users import add_user

REASON = "客户来电要求 Customer phoned"


@pytest.fixture
def manager(signed_in: Callable[..., FlaskClient]) -> FlaskClient:
    return signed_in("manager")


@pytest.fixture
def divided(services: Services) -> InstanceInfo:
    """A case stopped at an incident: ``share = total / parts`` with parts 0."""
    deploy(services, {"divide.bpmn": DIVIDE_FILE.read_bytes()}, ANALYST)
    started = start_instance(services, "divide", {"total": 1, "parts": 0}, AGENT)
    assert started.status == "error"
    return started


def post(client: FlaskClient, path: str, **fields: str) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, "/monitor/instances"), **fields})


def reasons(services: Services, instance_id: int, kind: str) -> list[Any]:
    return [
        e.details.get("reason") for e in list_events(services, instance_id, MANAGER).items if e.kind == kind
    ]


def refusal(page: str) -> str:
    found = re.search(r'<p class="form-error" role="alert" data-refused="[^"]+">([^<]*)</p>', page)
    assert found, "the page shows no refusal"
    return html.unescape(found.group(1))


def test_the_page_shows_the_diagram_timeline_case_data_tasks_and_timers(
    start_order: Callable[..., InstanceInfo], services: Services, manager: FlaskClient
) -> None:
    instance = start_order(amount=500)  # manual route: waits at review_order with two boundary timers
    answer = manager.get(f"/monitor/instances/{instance.id}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert instance.business_key in page and "order_review v1" in page
    assert f'data-url="/monitor/instances/{instance.id}/diagram.json"' in page
    assert 'src="/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"' in page
    assert "Case registered" in page and "Task created" in page  # the audit timeline
    assert "&#34;amount&#34;: 500" in page and "&#34;route&#34;: &#34;manual&#34;" in page  # the case data
    timers = re.findall(r'<tr data-timer="\d+"><td>(\w+)</td>', page)
    assert sorted(timers) == ["review_reminder", "review_timeout"]
    (task,) = get_instance(services, instance.id, MANAGER).tasks
    assert f'action="/monitor/instances/{instance.id}/tasks/{task.id}/assign"' in page
    assert "No open incidents." in page


def test_the_page_shows_an_incident_with_its_error_and_a_retry_form(
    divided: InstanceInfo, manager: FlaskClient
) -> None:
    page = manager.get(f"/monitor/instances/{divided.id}").get_data(as_text=True)
    (incident_id,) = re.findall(r'<div class="incident" data-incident="(\d+)">', page)
    assert "division by zero" in page
    assert f'action="/monitor/instances/{divided.id}/incidents/{incident_id}/retry"' in page
    assert "Stopped at an error" in page


@pytest.mark.parametrize("who", ["staff", "analyst"])
def test_other_staff_get_403_on_the_page_its_diagram_and_its_actions(
    who: str,
    start_order: Callable[..., InstanceInfo],
    services: Services,
    signed_in: Callable[..., FlaskClient],
) -> None:
    instance = start_order(amount=500)
    client = signed_in(who)
    assert client.get(f"/monitor/instances/{instance.id}").status_code == 403
    assert client.get(f"/monitor/instances/{instance.id}/diagram.json").status_code == 403
    before = database_state(services)
    token = csrf_token(client, "/tasks")
    answer = client.post(
        f"/monitor/instances/{instance.id}/cancel", data={"csrf_token": token, "reason": "x"}
    )
    assert answer.status_code == 403
    assert database_state(services) == before


def test_the_diagram_is_the_instance_s_own_version_with_its_states_timers_and_calls(
    start_order: Callable[..., InstanceInfo], services: Services, manager: FlaskClient
) -> None:
    instance = start_order(amount=500)
    files = lifecycle_files()
    renamed = files["order_review.bpmn"].replace(b'name="Review order"', b'name="Check order"')
    assert renamed != files["order_review.bpmn"]
    deploy(services, {"order_review.bpmn": renamed}, ANALYST)  # version 2: the instance stays on 1
    diagram = manager.get(f"/monitor/instances/{instance.id}/diagram.json").json
    assert diagram["process_key"] == "order_review" and diagram["version"] == 1
    assert 'name="Review order"' in diagram["xml"] and "Check order" not in diagram["xml"]
    states = diagram["states"]
    assert states["start_order"] == "completed" and states["review_order"] == "active"
    assert states["review_timeout"] == "waiting"
    assert diagram["calls"] == {"fix_order": "order_fix"}
    due = {t["element_id"]: t["label"] for t in diagram["timers"]}
    assert set(due) == {"review_reminder", "review_timeout"}
    assert re.fullmatch(r"due \d{4}-\d\d-\d\d \d\d:\d\d \(\d+ h left\)", due["review_timeout"])
    called = manager.get(f"/monitor/instances/{instance.id}/diagram.json?process=order_fix").json
    assert called["process_key"] == "order_fix" and '<bpmn:process id="order_fix"' in called["xml"]
    assert called["top_process_key"] == "order_review" and called["states"] == {}
    assert manager.get(f"/monitor/instances/{instance.id}/diagram.json?process=divide").status_code == 404
    assert manager.get("/monitor/instances/999999/diagram.json").status_code == 404


def test_the_diagram_marks_a_message_wait_a_failed_step_and_a_called_process_s_own_states(
    start_order: Callable[..., InstanceInfo], divided: InstanceInfo, services: Services, manager: FlaskClient
) -> None:
    paid = start_order(amount=50)  # the auto route: waits for the payment message
    diagram = manager.get(f"/monitor/instances/{paid.id}/diagram.json").json
    assert diagram["states"]["wait_payment"] == "waiting" and "review_order" not in diagram["states"]
    assert deliver_message(services, "payment_received", paid.business_key, {"ref": "P-1"}, AGENT).delivered
    top = manager.get(f"/monitor/instances/{paid.id}/diagram.json").json
    assert top["states"]["fix_order"] == "completed" and top["states"]["end_done"] == "completed"
    called = manager.get(f"/monitor/instances/{paid.id}/diagram.json?process=order_fix").json
    assert called["states"] and set(called["states"].values()) == {"completed"}
    assert not set(called["states"]) & set(top["states"])  # each diagram its own elements
    failed = manager.get(f"/monitor/instances/{divided.id}/diagram.json").json
    assert failed["states"] == {"start": "completed", "compute": "error"}


def test_an_action_without_the_csrf_token_is_refused(
    start_order: Callable[..., InstanceInfo], services: Services, manager: FlaskClient
) -> None:
    instance = start_order(amount=500)
    before = database_state(services)
    answer = manager.post(f"/monitor/instances/{instance.id}/cancel", data={"reason": REASON})
    assert answer.status_code == 400
    assert database_state(services) == before


@pytest.mark.parametrize(
    ("action", "status", "event"),
    [("suspend", "suspended", "instance_suspended"), ("cancel", "cancelled", "instance_cancelled")],
)
def test_an_action_with_a_reason_changes_the_case_and_records_the_reason(
    action: str,
    status: str,
    event: str,
    start_order: Callable[..., InstanceInfo],
    services: Services,
    manager: FlaskClient,
) -> None:
    instance = start_order(amount=500)
    answer = post(manager, f"/monitor/instances/{instance.id}/{action}", reason=f"  {REASON} ")
    assert answer.status_code == 302 and answer.headers["Location"] == f"/monitor/instances/{instance.id}"
    assert get_instance(services, instance.id, MANAGER).status == status
    assert reasons(services, instance.id, event) == [REASON]
    page = manager.get(f"/monitor/instances/{instance.id}").get_data(as_text=True)
    assert f'<q class="reason">{escape(REASON)}</q>' in page


def test_resume_with_a_reason(
    start_order: Callable[..., InstanceInfo], services: Services, manager: FlaskClient
) -> None:
    instance = start_order(amount=500)
    assert post(manager, f"/monitor/instances/{instance.id}/suspend", reason="wait").status_code == 302
    assert post(manager, f"/monitor/instances/{instance.id}/resume", reason=REASON).status_code == 302
    assert get_instance(services, instance.id, MANAGER).status == "running"
    assert reasons(services, instance.id, "instance_resumed") == [REASON]


@pytest.mark.parametrize("action", ["cancel", "suspend", "assign", "resume"])
def test_an_action_without_a_reason_is_refused_and_changes_nothing(
    action: str, start_order: Callable[..., InstanceInfo], services: Services, manager: FlaskClient
) -> None:
    instance = start_order(amount=500)
    path = f"/monitor/instances/{instance.id}/{action}"
    fields = {"reason": "   "}
    if action == "assign":
        (task,) = get_instance(services, instance.id, MANAGER).tasks
        path = f"/monitor/instances/{instance.id}/tasks/{task.id}/assign"
        fields["user"] = "cs1"
    if action == "resume":
        assert post(manager, f"/monitor/instances/{instance.id}/suspend", reason="wait").status_code == 302
        fields["reason"] = ""
    before = database_state(services)
    answer = post(manager, path, **fields)
    assert answer.status_code == 400
    assert refusal(answer.get_data(as_text=True)) == "Give a reason: it goes into the case's audit trail."
    assert database_state(services) == before


def assign_choices(page: str, task_id: str) -> list[tuple[str, str]]:
    """The (value, text) of each option of the task's reassign choice."""
    found = re.search(
        rf'<select id="user-{re.escape(task_id)}" name="user" required>(.*?)</select>', page, re.S
    )
    assert found, "the page has no choice of users for the task"
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1))
    return [(value, html.unescape(text).strip()) for value, text in options]


def test_the_reassign_choice_offers_the_group_s_members_then_the_managers(
    start_order: Callable[..., InstanceInfo],
    services: Services,
    manager: FlaskClient,
    add_people: Callable[[str], str],
) -> None:
    instance = start_order(amount=500)
    (task,) = get_instance(services, instance.id, MANAGER).tasks
    assert task.group == "customer_service"
    add_people("staff")  # cs1, in the group
    add_people("warehouse")  # wh1, another group: not offered
    add_user(services, "boss_wu", [], "manager")  # a manager of no group may take any task
    add_user(services, "ana_admin", ["warehouse"], "admin")
    page = manager.get(f"/monitor/instances/{instance.id}").get_data(as_text=True)
    assert assign_choices(page, task.id) == [
        ("", "Choose who takes the task"),
        ("cs1", "cs1"),
        ("mia", "mia"),  # the signed-in manager is in the group too
        ("ana_admin", "ana_admin (administrator)"),
        ("boss_wu", "boss_wu (manager)"),
    ]
    zh = manager.get(f"/monitor/instances/{instance.id}", headers={"Accept-Language": "zh"})
    assert ("boss_wu", "boss_wu (经理)") in assign_choices(zh.get_data(as_text=True), task.id)


def test_a_task_is_reassigned_with_its_reason(
    start_order: Callable[..., InstanceInfo],
    services: Services,
    manager: FlaskClient,
    add_people: Callable[[str], str],
) -> None:
    instance = start_order(amount=500)
    (task,) = get_instance(services, instance.id, MANAGER).tasks
    path = f"/monitor/instances/{instance.id}/tasks/{task.id}/assign"
    outsider = add_people("warehouse")
    before = database_state(services)
    for user, message in [
        ("nobody_here", "There is no active user named nobody_here."),
        (outsider, "wh1 may not take tasks of the group Customer service."),  # posted past the choice
        ("", "Choose who takes the task."),
    ]:
        answer = post(manager, path, user=user, reason=REASON)
        assert answer.status_code == 400, user
        assert refusal(answer.get_data(as_text=True)) == message
        assert f'value="{escape(REASON)}"' in answer.get_data(as_text=True)  # the reason typed stays
    assert database_state(services) == before
    name = add_people("staff")
    no_reason = post(manager, path, user=name, reason="")
    assert no_reason.status_code == 400
    assert f'<option value="{name}" selected>' in no_reason.get_data(as_text=True)  # the choice stays
    assert post(manager, path, user=name, reason=REASON).status_code == 302
    (task,) = get_instance(services, instance.id, MANAGER).tasks
    assert task.assignee == name
    assert reasons(services, instance.id, "task_assigned") == [REASON]
    page = manager.get(f"/monitor/instances/{instance.id}").get_data(as_text=True)
    assert ("cs1", "cs1 · has it now") in assign_choices(page, task.id)


def test_a_retry_with_corrected_data_resolves_the_incident(
    divided: InstanceInfo, services: Services, manager: FlaskClient
) -> None:
    (incident,) = get_instance(services, divided.id, MANAGER).incidents
    path = f"/monitor/instances/{divided.id}/incidents/{incident.id}/retry"
    before = database_state(services)
    for data, message in [
        ('{"parts": 2', "The corrected data is not valid JSON (line 1, column 12)"),
        ("[2]", "The corrected data must be a JSON object"),
        ('"parts"', "The corrected data must be a JSON object"),
    ]:
        answer = post(manager, path, data=data, reason=REASON)
        assert answer.status_code == 400, data
        assert refusal(answer.get_data(as_text=True)).startswith(message), data
        assert str(escape(data)) in answer.get_data(as_text=True)  # the typed data stays
    no_reason = post(manager, path, data='{"parts": 2}', reason="")
    assert no_reason.status_code == 400
    assert database_state(services) == before
    assert post(manager, path, data='{"parts": 2}', reason=REASON).status_code == 302
    detail = get_instance(services, divided.id, MANAGER)
    assert detail.status == "completed" and detail.data["share"] == 0.5
    assert [i.resolved_at is not None for i in detail.incidents] == [True]
    assert reasons(services, divided.id, "incident_resolved") == [REASON]


def test_a_retry_of_another_case_s_incident_is_not_found(
    divided: InstanceInfo, start_order: Callable[..., InstanceInfo], services: Services, manager: FlaskClient
) -> None:
    other = start_order(amount=500)
    (incident,) = get_instance(services, divided.id, MANAGER).incidents
    answer = post(manager, f"/monitor/instances/{other.id}/incidents/{incident.id}/retry", reason=REASON)
    assert answer.status_code == 404
    assert get_instance(services, divided.id, MANAGER).status == "error"


def test_the_page_shows_the_product_s_history(services: Services, manager: FlaskClient) -> None:
    deploy_rma(services)
    seed_product(
        services,
        {
            "serial_no": "SN-PAGE-1",
            "warranty_start_on": "2025-08-31",
            "warranty_months": 12,
            "repairs": [
                {"started_on": "2025-11-02", "ended_on": "2025-11-22", "in_warranty": True, "fixed": False}
            ],
        },
    )
    data = case_data(services)
    data["product"] = {**data["product"], "serial_no": "SN-PAGE-1"}
    earlier = start_instance(services, "rma_case", data, AGENT)
    instance = start_instance(services, "rma_case", {**data, "order_no": "SO-PAGE-2"}, AGENT)
    page = manager.get(f"/monitor/instances/{instance.id}").get_data(as_text=True)
    assert "Product history" in page and "SN-PAGE-1" in page
    assert "<td>2025-11-02</td><td>2025-11-22</td><td>20</td>" in page
    assert f'<a href="/monitor/instances/{earlier.id}">{earlier.business_key}</a>' in page  # its other case


def test_an_action_on_a_case_that_changed_meanwhile_says_so(
    start_order: Callable[..., InstanceInfo], services: Services, manager: FlaskClient
) -> None:
    instance = start_order(amount=500)
    assert post(manager, f"/monitor/instances/{instance.id}/cancel", reason=REASON).status_code == 302
    again = post(manager, f"/monitor/instances/{instance.id}/suspend", reason=REASON)  # from a stale page
    assert again.status_code == 409
    assert refusal(again.get_data(as_text=True)).startswith("The case changed meanwhile:")
    assert get_instance(services, instance.id, MANAGER).status == "cancelled"


def test_a_retry_that_fails_again_opens_a_new_incident_and_says_so(
    divided: InstanceInfo, services: Services, manager: FlaskClient
) -> None:
    (incident,) = get_instance(services, divided.id, MANAGER).incidents
    path = f"/monitor/instances/{divided.id}/incidents/{incident.id}/retry"
    answer = post(manager, path, data='{"parts": 0}', reason=REASON)
    assert answer.status_code == 302
    page = manager.get(answer.headers["Location"]).get_data(as_text=True)
    assert "The step failed again: see the new incident." in page
    detail = get_instance(services, divided.id, MANAGER)
    assert detail.status == "error" and [i.resolved_at is None for i in detail.incidents] == [False, True]
