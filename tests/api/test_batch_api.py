"""POST /api/v1/batches: a preview with dry_run, else each case acted on in its own transaction and a
report of each (issue 11 item 5); GET /api/v1/batches/{id} reads the report again."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from support import MANAGER

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import cancel_instance, get_instance, suspend_instance
from rma_orchestrator.service.results import InstanceInfo

Auth = Callable[[str], dict[str, str]]
Start = Callable[..., InstanceInfo]


def status(services: Services, instance_id: int) -> str:
    return get_instance(services, instance_id, MANAGER).status


def test_a_dry_run_previews_and_changes_nothing(
    deployed: Services, start_order: Start, client: FlaskClient, auth: Auth
) -> None:
    cases = [start_order() for _ in range(3)]
    suspend_instance(deployed, cases[1].id, MANAGER)
    body = {"action": "resume", "filter": {"status": "suspended"}, "dry_run": True}
    answer = client.post("/api/v1/batches", json=body, headers=auth("manager"))
    assert answer.status_code == 200, answer.json
    preview = answer.json
    assert (preview["action"], preview["total"], preview["instance_ids"]) == ("resume", 1, [cases[1].id])
    assert preview["first"][0]["business_key"] == cases[1].business_key
    assert preview["filter"] == {"status": "suspended"}
    assert status(deployed, cases[1].id) == "suspended"


def test_a_run_reports_each_case(
    deployed: Services, start_order: Start, client: FlaskClient, auth: Auth
) -> None:
    done, ended = start_order(), start_order()
    cancel_instance(deployed, ended.id, MANAGER)
    body = {"action": "cancel", "instance_ids": [done.id, ended.id], "reason": "重复登记 duplicates"}
    answer = client.post("/api/v1/batches", json=body, headers=auth("manager"))
    assert answer.status_code == 200, answer.json
    report = answer.json
    assert (report["total"], report["succeeded"], report["failed"], report["pending"]) == (2, 1, 1, 0)
    assert [(i["instance_id"], i["outcome"]) for i in report["items"]] == [
        (done.id, "ok"),
        (ended.id, "failed"),
    ]
    assert "already ended" in report["items"][1]["message"]
    assert report["reason"] == "重复登记 duplicates" and report["finished_at"] is not None
    again = client.get(f"/api/v1/batches/{report['id']}", headers=auth("admin"))
    assert again.status_code == 200 and again.json == report
    assert status(deployed, done.id) == "cancelled"


def test_a_filter_is_resolved_when_the_run_starts(
    deployed: Services, start_order: Start, client: FlaskClient, auth: Auth
) -> None:
    cases = [start_order() for _ in range(2)]
    body = {"action": "suspend", "filter": {"q": cases[0].business_key}, "reason": "hold"}
    report = client.post("/api/v1/batches", json=body, headers=auth("manager")).json
    assert [i["instance_id"] for i in report["items"]] == [cases[0].id] and report["filter"] == body["filter"]
    assert [status(deployed, c.id) for c in cases] == ["suspended", "running"]


def test_refusals_change_nothing(
    deployed: Services, start_order: Start, client: FlaskClient, auth: Auth
) -> None:
    case = start_order()
    manager = auth("manager")
    refused = [
        ({"action": "cancel", "instance_ids": [case.id]}, "reason"),
        ({"action": "cancel", "instance_ids": [case.id], "reason": "  "}, "reason"),
        ({"action": "explode", "instance_ids": [case.id], "reason": "x"}, "action"),
        ({"action": "cancel", "instance_ids": [case.id], "filter": {}, "reason": "x"}, "filter"),
        ({"action": "cancel", "reason": "x"}, "instance_ids"),
        ({"action": "cancel", "instance_ids": list(range(1, 1003)), "reason": "x"}, "instance_ids"),
        ({"action": "cancel", "filter": {"status": "sleeping"}, "reason": "x"}, "status"),
        ({"action": "cancel", "instance_ids": ["one"], "reason": "x"}, "instance_ids.0"),
    ]
    for body, field in refused:
        answer = client.post("/api/v1/batches", json=body, headers=manager)
        assert answer.status_code == 400, body
        assert field in [e.get("field") for e in answer.json["errors"]], (body, answer.json)
    too_many = client.post("/api/v1/batches", json=refused[5][0], headers=manager).json
    assert "at most 1,000 cases" in too_many["errors"][0]["message"]
    assert status(deployed, case.id) == "running"


def test_staff_and_analysts_get_403(
    deployed: Services, start_order: Start, client: FlaskClient, auth: Auth
) -> None:
    case = start_order()
    report = client.post(
        "/api/v1/batches",
        json={"action": "suspend", "instance_ids": [case.id], "reason": "r"},
        headers=auth("manager"),
    ).json
    for who in ("staff", "analyst"):
        for dry_run in (True, False):
            body = {"action": "cancel", "instance_ids": [case.id], "reason": "r", "dry_run": dry_run}
            assert client.post("/api/v1/batches", json=body, headers=auth(who)).status_code == 403, who
        for body in ({"action": "cancel", "instance_ids": [case.id]}, {"action": "cancel", "filter": {}}):
            assert client.post("/api/v1/batches", json=body, headers=auth(who)).status_code == 403, (
                who,
                body,
            )
        assert client.get(f"/api/v1/batches/{report['id']}", headers=auth(who)).status_code == 403
    assert client.get("/api/v1/batches/999999", headers=auth("manager")).status_code == 404
    assert status(deployed, case.id) == "suspended"
