"""POST /api/v1/batches: a preview with dry_run, else the run is recorded and answered at once (202 and
the report's address), its cases worked in the background, each in its own transaction (issue 11 item
5); GET /api/v1/batches/{id} is polled until the run has finished; POST …/stop ends it early. The
batch worker runs here in the test's thread (``work_on_batches``), as the scheduler would run it."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import text
from support import MANAGER

from rma_orchestrator.service.batch_work import work_on_batches
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


def test_a_run_answers_at_once_and_its_report_is_polled_until_it_finished(
    deployed: Services, start_order: Start, client: FlaskClient, auth: Auth
) -> None:
    done, ended = start_order(), start_order()
    cancel_instance(deployed, ended.id, MANAGER)
    body = {"action": "cancel", "instance_ids": [done.id, ended.id], "reason": "重复登记 duplicates"}
    answer = client.post("/api/v1/batches", json=body, headers=auth("manager"))
    assert answer.status_code == 202, answer.json
    started = answer.json
    assert answer.headers["Location"] == f"/api/v1/batches/{started['id']}"
    assert (started["status"], started["total"], started["pending"], started["finished_at"]) == (
        "running",
        2,
        2,
        None,
    )
    assert status(deployed, done.id) == "running"  # nothing is done inside the request
    polled = client.get(answer.headers["Location"], headers=auth("admin")).json
    assert polled["status"] == "running" and polled["pending"] == 2

    assert work_on_batches(deployed) == 2  # the scheduler's batch worker
    report = client.get(answer.headers["Location"], headers=auth("admin")).json
    assert report["status"] == "finished" and report["finished_at"] is not None
    assert (report["total"], report["succeeded"], report["failed"], report["pending"]) == (2, 1, 1, 0)
    assert [(i["instance_id"], i["outcome"]) for i in report["items"]] == [
        (done.id, "ok"),
        (ended.id, "failed"),
    ]
    assert "already ended" in report["items"][1]["message"]
    assert report["reason"] == "重复登记 duplicates"
    assert status(deployed, done.id) == "cancelled"
    failures = client.get(f"{answer.headers['Location']}?outcome=failed", headers=auth("admin")).json
    assert [i["instance_id"] for i in failures["items"]] == [ended.id] and failures["items_total"] == 1
    second = client.get(f"{answer.headers['Location']}?per_page=1&page=2", headers=auth("admin")).json
    assert [i["instance_id"] for i in second["items"]] == [ended.id] and second["items_total"] == 2
    for query in ("outcome=lost", "page=0", "per_page=201"):
        assert client.get(f"{answer.headers['Location']}?{query}", headers=auth("admin")).status_code == 400


def test_a_filter_is_resolved_when_the_run_starts(
    deployed: Services, start_order: Start, client: FlaskClient, auth: Auth
) -> None:
    cases = [start_order() for _ in range(2)]
    body = {"action": "suspend", "filter": {"q": cases[0].business_key}, "reason": "hold"}
    answer = client.post("/api/v1/batches", json=body, headers=auth("manager"))
    assert answer.status_code == 202
    assert [i["instance_id"] for i in answer.json["items"]] == [cases[0].id]
    assert answer.json["filter"] == body["filter"]
    work_on_batches(deployed)
    assert [status(deployed, c.id) for c in cases] == ["suspended", "running"]


def test_a_run_is_stopped_and_does_nothing_more(
    deployed: Services, start_order: Start, client: FlaskClient, auth: Auth
) -> None:
    cases = [start_order() for _ in range(3)]
    body = {"action": "cancel", "instance_ids": [c.id for c in cases], "reason": "wrong filter"}
    started = client.post("/api/v1/batches", json=body, headers=auth("manager")).json
    assert work_on_batches(deployed, limit=1) == 1
    for who in ("staff", "analyst"):
        assert client.post(f"/api/v1/batches/{started['id']}/stop", headers=auth(who)).status_code == 403
    answer = client.post(f"/api/v1/batches/{started['id']}/stop", headers=auth("manager"))
    assert answer.status_code == 200, answer.json
    stopped = answer.json
    assert (stopped["status"], stopped["succeeded"], stopped["skipped"], stopped["pending"]) == (
        "stopped",
        1,
        2,
        0,
    )
    assert stopped["stopped_by"] == "mia" and stopped["stopped_at"] is not None
    assert work_on_batches(deployed) == 0
    assert [status(deployed, c.id) for c in cases] == ["cancelled", "running", "running"]
    again = client.post(f"/api/v1/batches/{started['id']}/stop", headers=auth("manager"))
    assert again.status_code == 409
    assert client.post("/api/v1/batches/999999/stop", headers=auth("manager")).status_code == 404


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
        ({"action": "cancel", "instance_ids": list(range(1, 100_002)), "reason": "x"}, "instance_ids"),
        ({"action": "cancel", "filter": {"status": "sleeping"}, "reason": "x"}, "status"),
        ({"action": "cancel", "instance_ids": ["one"], "reason": "x"}, "instance_ids.0"),
    ]
    for body, field in refused:
        answer = client.post("/api/v1/batches", json=body, headers=manager)
        assert answer.status_code == 400, body
        assert field in [e.get("field") for e in answer.json["errors"]], (body, answer.json)
    too_many = client.post("/api/v1/batches", json=refused[5][0], headers=manager).json
    assert "at most 100,000 cases" in too_many["errors"][0]["message"]
    assert status(deployed, case.id) == "running"
    with deployed.database.reading() as connection:  # no run was recorded
        assert connection.execute(text("SELECT count(*) FROM batch_run")).scalar_one() == 0


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
    assert work_on_batches(deployed) == 1  # the manager's run alone
    assert status(deployed, case.id) == "suspended"
