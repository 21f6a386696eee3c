"""POST /api/v1/migrations (issue 12, point 5): a dry run lists each case of the version with
whether it can move and why not (200); a run answers 202 with the batch run that moves the movable
ones (Location: its report, which analysts may read); staff get 403, bad input a clear 400 or 404
and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from migration_cases import deploy_return, deploy_version_1, reminder_after, start_return, without_reminder
from sqlalchemy import text
from support import ADMIN

from rma_orchestrator.service.batch_work import work_on_batches
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance
from rma_orchestrator.service.results import InstanceInfo

Auth = Callable[[str], dict[str, str]]


@pytest.fixture
def waiting(services: Services) -> InstanceInfo:
    deploy_version_1(services)
    case = start_return(services, f"JD-{uuid.uuid4().hex[:8]}")
    deploy_return(services, reminder_after(5))
    return case


def body(**changes: Any) -> dict[str, Any]:
    return {"process_key": "return", "from_version": 1, "to_version": 2, **changes}


def test_a_dry_run_lists_the_cases_and_changes_nothing(
    services: Services, waiting: InstanceInfo, client: FlaskClient, auth: Auth
) -> None:
    answer = client.post("/api/v1/migrations", json=body(dry_run=True), headers=auth("analyst"))
    assert answer.status_code == 200, answer.json
    assert (answer.json["total"], answer.json["movable"]) == (1, 1)
    [item] = answer.json["items"]
    assert item == {
        "instance_id": waiting.id,
        "business_key": waiting.business_key,
        "status": "running",
        "movable": True,
        "reasons": [],
        "reason_codes": [],
    }
    assert get_instance(services, waiting.id, ADMIN).version == 1


def test_a_case_that_cannot_move_says_why_in_english_with_the_reason_code(
    services: Services, client: FlaskClient, auth: Auth
) -> None:
    deploy_version_1(services)
    case = start_return(services, f"SO-{uuid.uuid4().hex[:8]}")
    deploy_return(services, without_reminder())
    answer = client.post("/api/v1/migrations", json=body(dry_run=True), headers=auth("analyst"))
    assert answer.status_code == 200, answer.json
    [item] = answer.json["items"]
    assert item["instance_id"] == case.id and not item["movable"]
    assert any(
        "element goods_reminder_due" in reason and "version 2 has no such element" in reason
        for reason in item["reasons"]
    )
    codes = {(r["code"], r["params"].get("element", "").split(" ")[0]) for r in item["reason_codes"]}
    assert ("element_removed_now", "goods_reminder_due") in codes
    assert len(item["reason_codes"]) == len(item["reasons"])


def test_a_run_answers_202_with_its_report_and_moves_the_case(
    services: Services, waiting: InstanceInfo, client: FlaskClient, auth: Auth
) -> None:
    sent = body(instance_ids=[waiting.id], reason="reminder after 5 days")
    answer = client.post("/api/v1/migrations", json=sent, headers=auth("analyst"))
    assert answer.status_code == 202, answer.json
    assert (answer.json["action"], answer.json["target_version"], answer.json["total"]) == ("migrate", 2, 1)
    location = answer.headers["Location"]
    assert location.endswith(f"/api/v1/batches/{answer.json['id']}")
    work_on_batches(services)
    report = client.get(location, headers=auth("analyst"))
    assert report.status_code == 200, report.json
    assert (report.json["status"], report.json["succeeded"]) == ("finished", 1)
    assert get_instance(services, waiting.id, ADMIN).version == 2


def test_staff_and_managers_may_not_migrate(waiting: InstanceInfo, client: FlaskClient, auth: Auth) -> None:
    for who in ("staff", "manager"):
        answer = client.post("/api/v1/migrations", json=body(dry_run=True), headers=auth(who))
        assert answer.status_code == 403, (who, answer.json)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"to_version": 1}, 400, "to_version"),
        ({"from_version": "1"}, 400, "from_version"),
        ({"from_version": 0}, 400, "from_version"),
        ({"instance_ids": ["x"]}, 400, "instance_ids.0"),
        ({"process_key": "nope"}, 404, None),
        ({"to_version": 7}, 404, None),
        ({"instance_ids": [999_999]}, 404, None),
        ({"dry_run": False, "reason": "  "}, 400, "reason"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    services: Services,
    waiting: InstanceInfo,
    client: FlaskClient,
    auth: Auth,
    changes: dict[str, Any],
    code: int,
    field: str | None,
) -> None:
    sent = {**body(dry_run=True), **changes}
    answer = client.post("/api/v1/migrations", json=sent, headers=auth("analyst"))
    assert answer.status_code == code, answer.json
    if field is not None:
        assert field in [error.get("field") for error in answer.json["errors"]]
    assert get_instance(services, waiting.id, ADMIN).version == 1
    with services.database.reading() as connection:
        assert connection.execute(text("SELECT count(*) FROM batch_run")).scalar() == 0
