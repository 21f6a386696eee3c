"""A manager's cancel, suspend, resume and reassign may say why: the reason goes into the audit trail
(the monitor's actions ask for one); a bad reason is refused and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from support import AGENT, ANALYST, DIVIDE_FILE, MANAGER

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, list_events, start_instance
from rma_orchestrator.service.results import InstanceInfo

Auth = Callable[[str], dict[str, str]]


def _events(services: Services, instance_id: int, kind: str) -> list[dict[str, Any]]:
    return [e.details for e in list_events(services, instance_id, MANAGER).items if e.kind == kind]


def test_suspend_resume_and_cancel_record_their_reasons(
    deployed: Services, start_order: Callable[..., InstanceInfo], client: FlaskClient, auth: Auth
) -> None:
    instance = start_order()
    base = f"/api/v1/process-instances/{instance.id}"
    manager = auth("manager")
    wait = {"reason": "客户要求暂停 Customer asked to wait"}
    assert client.post(f"{base}/suspend", json=wait, headers=manager).status_code == 200
    assert client.post(f"{base}/resume", headers=manager).status_code == 200  # the API does not insist
    twice = {"reason": "重复登记 Registered twice"}
    assert client.post(f"{base}/cancel", json=twice, headers=manager).status_code == 200
    assert _events(deployed, instance.id, "instance_suspended") == [wait]
    assert _events(deployed, instance.id, "instance_resumed") == [{}]
    assert _events(deployed, instance.id, "instance_cancelled") == [twice]


def test_a_reassignment_records_its_reason(
    deployed: Services, start_order: Callable[..., InstanceInfo], client: FlaskClient, auth: Auth
) -> None:
    instance = start_order()
    auth("staff")  # the user the task goes to
    (task,) = get_instance(deployed, instance.id, MANAGER).tasks
    body = {"user": "cs1", "reason": "原负责人休假 The holder is on leave"}
    answer = client.post(f"/api/v1/tasks/{task.id}/assign", json=body, headers=auth("manager"))
    assert answer.status_code == 200, answer.get_json()
    (assigned,) = _events(deployed, instance.id, "task_assigned")
    assert assigned["assignee"] == "cs1" and assigned["reason"] == body["reason"]


def test_a_bad_reason_is_refused_and_changes_nothing(
    deployed: Services, start_order: Callable[..., InstanceInfo], client: FlaskClient, auth: Auth
) -> None:
    instance = start_order()
    base = f"/api/v1/process-instances/{instance.id}"
    for body in ({"reason": "x" * 501}, {"reason": 5}, {"reason": "nul\x00"}):
        answer = client.post(f"{base}/cancel", json=body, headers=auth("manager"))
        assert answer.status_code == 400, body
        assert answer.get_json()["errors"][0]["field"] == "reason"
    assert get_instance(deployed, instance.id, MANAGER).status == "running"
    assert _events(deployed, instance.id, "instance_cancelled") == []


def test_a_retry_records_its_reason_and_a_bad_one_changes_nothing(
    services: Services, client: FlaskClient, auth: Auth
) -> None:
    deploy(services, {"divide.bpmn": DIVIDE_FILE.read_bytes()}, ANALYST)
    started = start_instance(services, "divide", {"total": 1, "parts": 0}, AGENT)
    (incident,) = get_instance(services, started.id, MANAGER).incidents
    path = f"/api/v1/incidents/{incident.id}/retry"
    bad = client.post(path, json={"data": {"parts": 2}, "reason": "x" * 501}, headers=auth("manager"))
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "reason"
    assert get_instance(services, started.id, MANAGER).status == "error"
    body = {"data": {"parts": 2}, "reason": "参数已更正 Parts corrected"}
    assert client.post(path, json=body, headers=auth("manager")).status_code == 200
    (resolved,) = _events(services, started.id, "incident_resolved")
    assert resolved == {"incident_id": incident.id, "reason": body["reason"]}
