"""The JSON API end to end through Flask: status codes, body shapes, auth."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from local_http import recording_server
from support import DIVIDE_FILE, lifecycle_files

from rma_orchestrator.service.context import Services

Auth = Callable[[str], dict[str, str]]


def _upload(files: dict[str, bytes]) -> dict[str, list[tuple[io.BytesIO, str]]]:
    return {"files": [(io.BytesIO(content), name) for name, content in files.items()]}


def _deploy(client: FlaskClient, auth: Auth, files: dict[str, bytes] | None = None, query: str = ""):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/deployments{query}",
        data=_upload(files or lifecycle_files()),
        headers=auth("analyst"),
        content_type="multipart/form-data",
    )


def test_open_endpoints_need_no_token(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/api/v1/openapi.json").json["openapi"].startswith("3.1")
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.mimetype == "text/plain"
    assert "# TYPE rma_timers_pending gauge" in metrics.text


def test_everything_else_needs_a_valid_token(client: FlaskClient) -> None:
    response = client.get("/api/v1/process-instances")
    assert response.status_code == 401 and response.json["errors"][0]["message"]
    bad = client.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json == {"errors": [{"message": "invalid or revoked token"}]}


def test_deploy_statuses(client: FlaskClient, auth: Auth) -> None:
    dry = _deploy(client, auth, query="?dry_run=1")
    assert dry.status_code == 200 and dry.json["dry_run"] is True
    first = _deploy(client, auth)
    assert first.status_code == 201
    assert {(p["process_key"], p["version"], p["created"]) for p in first.json["processes"]} == {
        ("order_review", 1, True),
        ("order_fix", 1, True),
    }
    again = _deploy(client, auth)
    assert again.status_code == 200 and again.json["deployment_id"] == first.json["deployment_id"]
    definitions = client.get("/api/v1/process-definitions", headers=auth("staff")).json
    assert definitions["total"] == 2 and set(definitions["items"][0]) >= {
        "process_key",
        "name",
        "version",
        "deployment_id",
        "deployed_at",
    }
    xml = client.get("/api/v1/process-definitions/order_review/versions/1/bpmn", headers=auth("staff"))
    assert xml.status_code == 200 and b"order_review" in xml.data


def test_deploy_errors_are_422_with_locations(client: FlaskClient, auth: Auth) -> None:
    response = _deploy(client, auth, {"bad.bpmn": b"<definitions><unclosed></definitions>"})
    assert response.status_code == 422
    (error,) = response.json["errors"]
    assert error["file"] == "bad.bpmn" and error["line"] == 1 and "message" in error
    assert client.get("/api/v1/process-definitions", headers=auth("staff")).json["total"] == 0


def test_a_doctype_with_entities_is_422_naming_the_file(client: FlaskClient, auth: Auth) -> None:
    laughs = '<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">'
    bomb = f'<?xml version="1.0"?>\n<!DOCTYPE definitions [{laughs}]>\n<definitions>&c;</definitions>'
    response = _deploy(client, auth, {"bomb.bpmn": bomb.encode()})
    assert response.status_code == 422
    (error,) = response.json["errors"]
    assert error["file"] == "bomb.bpmn" and error["line"] == 2 and "DOCTYPE" in error["message"]


def test_a_form_referring_to_a_url_is_422_and_nothing_is_fetched(client: FlaskClient, auth: Auth) -> None:
    with recording_server() as server:
        url = f"{server.base}/address.json"
        form = {"type": "object", "properties": {"address": {"$ref": url}}}
        response = _deploy(client, auth, {"address_form.json": json.dumps(form).encode()})
        assert server.requests == []
    assert response.status_code == 422
    (error,) = response.json["errors"]
    assert error["file"] == "address_form.json" and url in error["message"]


def test_deploy_needs_the_analyst_role(client: FlaskClient, auth: Auth) -> None:
    response = client.post(
        "/api/v1/deployments",
        data=_upload(lifecycle_files()),
        headers=auth("staff"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert response.json == {
        "errors": [{"message": "cs1 (staff) may not do this; it needs the role analyst"}]
    }
    assert client.get("/api/v1/process-definitions", headers=auth("staff")).json["total"] == 0


@pytest.fixture
def deployed_api(client: FlaskClient, auth: Auth) -> FlaskClient:
    assert _deploy(client, auth).status_code == 201
    return client


def _start(client: FlaskClient, auth: Auth, amount: float = 500, **extra: object):  # type: ignore[no-untyped-def]
    body = {
        "process_key": "order_review",
        "data": {"order_no": "SO-1", "amount": amount, "category": "other"},
        **extra,
    }
    return client.post("/api/v1/process-instances", json=body, headers=auth("staff"))


def test_start_and_read_an_instance(deployed_api: FlaskClient, auth: Auth) -> None:
    started = _start(deployed_api, auth)
    assert started.status_code == 201 and started.json["status"] == "running"
    assert set(started.json) >= {"id", "business_key", "process_key", "version", "status"}
    instance = deployed_api.get(f"/api/v1/process-instances/{started.json['id']}", headers=auth("staff")).json
    assert set(instance) >= {
        "id",
        "business_key",
        "process_key",
        "version",
        "status",
        "outcome",
        "started_at",
        "ended_at",
        "data",
        "tasks",
        "timers",
        "incidents",
        "element_states",
    }
    assert instance["status"] == "running"
    (task,) = instance["tasks"]
    assert task["element_id"] == "review_order"
    assert set(task) >= {
        "id",
        "instance_id",
        "business_key",
        "process_key",
        "element_id",
        "name",
        "group",
        "assignee",
        "status",
        "created_at",
        "due_at",
        "completed_at",
        "completed_by",
    }
    assert _start(deployed_api, auth, business_key=started.json["business_key"]).status_code == 409
    listed = deployed_api.get("/api/v1/process-instances?status=running", headers=auth("staff")).json
    assert listed["total"] == 1 and listed["items"][0]["id"] == started.json["id"]
    events = deployed_api.get(f"/api/v1/process-instances/{started.json['id']}/events", headers=auth("staff"))
    assert events.json["items"][0]["kind"] == "instance_started"
    assert deployed_api.get("/api/v1/process-instances/999", headers=auth("staff")).status_code == 404


def test_bad_start_data_is_400_with_fields(deployed_api: FlaskClient, auth: Auth) -> None:
    response = deployed_api.post(
        "/api/v1/process-instances",
        headers=auth("staff"),
        json={"process_key": "order_review", "data": {"amount": -1}},
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json["errors"]} == {"order_no", "amount", "category"}
    not_json = deployed_api.post("/api/v1/process-instances", headers=auth("staff"), data="x")
    assert not_json.status_code == 400
    assert not_json.json["errors"][0]["message"] == "body must be a JSON object"


def test_task_endpoints(deployed_api: FlaskClient, auth: Auth) -> None:
    instance_id = _start(deployed_api, auth).json["id"]
    tasks = deployed_api.get("/api/v1/tasks?group=customer_service", headers=auth("staff")).json
    task_id = tasks["items"][0]["id"]
    detail = deployed_api.get(f"/api/v1/tasks/{task_id}", headers=auth("staff")).json
    assert detail["schema"]["properties"]["approved"]["type"] == "boolean"
    assert deployed_api.post(f"/api/v1/tasks/{task_id}/claim", headers=auth("warehouse")).status_code == 403
    assert (
        deployed_api.post(f"/api/v1/tasks/{task_id}/claim", headers=auth("staff")).json["assignee"] == "cs1"
    )
    mine = deployed_api.get("/api/v1/tasks?assignee=me", headers=auth("staff")).json
    assert mine["total"] == 1
    bad = deployed_api.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {"approved": 3}}, headers=auth("staff")
    )
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "approved"
    held = deployed_api.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {"approved": True}}, headers=auth("warehouse")
    )
    assert held.status_code == 403
    done = deployed_api.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {"approved": True}}, headers=auth("staff")
    )
    assert done.status_code == 200 and done.json["status"] == "completed"
    again = deployed_api.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {"approved": True}}, headers=auth("staff")
    )
    assert again.status_code == 409
    overdue = deployed_api.get("/api/v1/tasks?overdue=true&status=open", headers=auth("manager")).json
    assert overdue["total"] == 0
    assert (
        deployed_api.get(f"/api/v1/process-instances/{instance_id}", headers=auth("staff")).json["tasks"]
        == []
    )


def test_messages_endpoint(deployed_api: FlaskClient, auth: Auth) -> None:
    key = _start(deployed_api, auth, amount=10).json["business_key"]
    body = {
        "name": "payment_received",
        "business_key": key,
        "payload": {"ref": "1"},
        "idempotency_key": "m-1",
    }
    first = deployed_api.post("/api/v1/messages", json=body, headers=auth("staff"))
    assert first.status_code == 202 and first.json["delivered"] is True
    again = deployed_api.post("/api/v1/messages", json=body, headers=auth("staff"))
    assert again.status_code == 202 and again.json == {"delivered": True, "duplicate": True}
    ended = deployed_api.post(
        "/api/v1/messages", json={**body, "idempotency_key": "m-2"}, headers=auth("staff")
    )
    assert ended.status_code == 409
    assert ended.json == {"errors": [{"message": f"case {key} has already ended (completed)"}]}
    unknown = deployed_api.post(
        "/api/v1/messages", json={**body, "business_key": "X", "idempotency_key": None}, headers=auth("staff")
    )
    assert unknown.status_code == 404
    assert unknown.json == {"errors": [{"message": "no case with business key X"}]}


def test_clock_and_overdue(deployed_api: FlaskClient, auth: Auth) -> None:
    _start(deployed_api, auth)
    assert deployed_api.get("/api/v1/clock", headers=auth("staff")).status_code == 403
    moved = deployed_api.post("/api/v1/clock", json={"add": "PT3H"}, headers=auth("admin"))
    assert moved.status_code == 200 and moved.json["fired"] == 1
    overdue = deployed_api.get("/api/v1/tasks?overdue=true", headers=auth("manager")).json
    assert overdue["total"] == 1  # its 2 h reminder passed: overdue, though the 24 h timeout is not due
    later = deployed_api.post("/api/v1/clock", json={"add": "PT1H"}, headers=auth("admin"))
    assert later.status_code == 200 and later.json["fired"] == 0
    bad = deployed_api.post("/api/v1/clock", json={"set": "2001-01-01T00:00:00Z"}, headers=auth("admin"))
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "set"


def test_incident_retry_endpoint(client: FlaskClient, auth: Auth) -> None:
    assert _deploy(client, auth, {"divide.bpmn": DIVIDE_FILE.read_bytes()}).status_code == 201
    started = client.post(
        "/api/v1/process-instances",
        headers=auth("staff"),
        json={"process_key": "divide", "data": {"total": 1, "parts": 0}},
    )
    assert started.status_code == 201 and started.json["status"] == "error"
    incidents = client.get("/api/v1/incidents", headers=auth("manager")).json
    incident_id = incidents["items"][0]["id"]
    assert (
        client.post(
            f"/api/v1/incidents/{incident_id}/retry", json={"data": {"parts": 2}}, headers=auth("staff")
        ).status_code
        == 403
    )
    retried = client.post(
        f"/api/v1/incidents/{incident_id}/retry", json={"data": {"parts": 2}}, headers=auth("manager")
    )
    assert retried.status_code == 200 and retried.json["instance_status"] == "completed"
    assert retried.json["resolved_at"] is not None and retried.json["new_incident"] is False
    assert client.get("/api/v1/incidents", headers=auth("manager")).json["total"] == 0
    instance = client.get(f"/api/v1/process-instances/{started.json['id']}", headers=auth("staff")).json
    assert instance["data"]["share"] == 0.5
    assert [i["resolved_at"] is not None for i in instance["incidents"]] == [True]


def test_manager_actions(deployed_api: FlaskClient, auth: Auth) -> None:
    instance_id = _start(deployed_api, auth).json["id"]
    base = f"/api/v1/process-instances/{instance_id}"
    assert deployed_api.post(f"{base}/suspend", headers=auth("staff")).status_code == 403
    assert deployed_api.post(f"{base}/suspend", headers=auth("manager")).json["status"] == "suspended"
    assert deployed_api.post(f"{base}/resume", headers=auth("manager")).json["status"] == "running"
    assert deployed_api.post(f"{base}/cancel", headers=auth("manager")).json["status"] == "cancelled"
    assert deployed_api.post(f"{base}/resume", headers=auth("manager")).status_code == 409


def test_clock_is_not_found_unless_controlled(services: Services, client: FlaskClient, auth: Auth) -> None:
    from rma_orchestrator.clock import SystemClock

    services.clock = SystemClock()
    expected = {"errors": [{"message": "the clock is not controlled here (set RMA_CONTROLLED_CLOCK=1)"}]}
    for response in (
        client.get("/api/v1/clock", headers=auth("admin")),
        client.post("/api/v1/clock", json={"add": "PT1H"}, headers=auth("admin")),
    ):
        assert response.status_code == 404 and response.json == expected
