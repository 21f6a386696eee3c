"""POST /validations: the findings of a deploy plus the lint rules, for the modeler; nothing is written."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from support import database_state, lifecycle_files

from rma_orchestrator.service.context import Services

Auth = Callable[[str], dict[str, str]]
LINT = Path(__file__).parents[1] / "unit" / "data" / "lint"


def _validate(client: FlaskClient, headers: dict[str, str], files: dict[str, bytes]):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/validations",
        data={"files": [(io.BytesIO(content), name) for name, content in files.items()]},
        headers=headers,
        content_type="multipart/form-data",
    )


def _settled(client: FlaskClient, headers: dict[str, str]) -> None:
    """The first request of a test creates its user and stores the controlled clock: done before counting."""
    assert client.get("/api/v1/process-definitions", headers=headers).status_code in (200, 403)


def _lint(*names: str) -> dict[str, bytes]:
    return {name: (LINT / name).read_bytes() for name in names}


def test_an_analyst_gets_errors_and_warnings_with_rule_and_element(
    client: FlaskClient, auth: Auth, services: Services
) -> None:
    _settled(client, auth("analyst"))
    before = database_state(services)
    response = _validate(
        client,
        auth("analyst"),
        _lint("lint_message_payload.bpmn", "lint_unreachable.bpmn", "lint_review.json"),
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert [(e["file"], e["element"], e["rule"]) for e in body["errors"]] == [
        ("lint_unreachable.bpmn", "orphan", "unreachable"),
        ("lint_unreachable.bpmn", "end_orphan", "unreachable"),
    ]
    assert [(w["element"], w["rule"]) for w in body["warnings"]] == [
        ("reply_early", "message-payload"),
        ("wait_reply", "message-payload"),
    ]
    assert all(
        isinstance(item["line"], int) and item["message"] for item in body["errors"] + body["warnings"]
    )
    assert database_state(services) == before


def test_references_resolve_against_the_deployed_files_as_a_deploy_would(
    client: FlaskClient, auth: Auth, services: Services
) -> None:
    alone = _validate(client, auth("analyst"), _lint("lint_clean.bpmn"))
    assert [(e["element"], e["rule"]) for e in alone.json["errors"]] == [("review", "user-task-form")]
    deployed = client.post(
        "/api/v1/deployments",
        data={
            "files": [
                (io.BytesIO(c), n) for n, c in {**lifecycle_files(), **_lint("lint_review.json")}.items()
            ]
        },
        headers=auth("analyst"),
        content_type="multipart/form-data",
    )
    assert deployed.status_code == 201, deployed.json
    before = database_state(services)
    again = _validate(client, auth("analyst"), _lint("lint_clean.bpmn"))
    assert again.status_code == 200 and again.json == {"errors": [], "warnings": []}
    bad_lane = (LINT / "lint_clean.bpmn").read_bytes().replace(b"lane_customer_service", b"lane_nobody")
    refused = _validate(client, auth("analyst"), {"lint_clean.bpmn": bad_lane})
    assert [e["rule"] for e in refused.json["errors"]] == ["deploy"]
    assert "lane_nobody" in refused.json["errors"][0]["message"]
    assert database_state(services) == before


def test_staff_and_managers_may_not_validate(client: FlaskClient, auth: Auth, services: Services) -> None:
    for role in ("staff", "manager"):
        _settled(client, auth(role))
    before = database_state(services)
    for role in ("staff", "manager"):
        response = _validate(client, auth(role), _lint("lint_clean.bpmn", "lint_review.json"))
        assert response.status_code == 403
        assert "needs the role analyst" in response.json["errors"][0]["message"]
    assert database_state(services) == before


def test_a_file_uploaded_twice_is_a_400_and_nothing_is_validated(client: FlaskClient, auth: Auth) -> None:
    content = (LINT / "lint_clean.bpmn").read_bytes()
    response = client.post(
        "/api/v1/validations",
        data={"files": [(io.BytesIO(content), "a.bpmn"), (io.BytesIO(content), "a.bpmn")]},
        headers=auth("analyst"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response.json["errors"] == [{"field": "files", "message": "a.bpmn uploaded twice"}]
