"""Timer expressions analysts try out run under the step limits: the modeler's preview and validation.

``POST /timer-previews`` and the lint rule ``timer-evaluates`` of ``POST /validations`` (and of a
draft's validation) evaluate analyst code while the analyst waits. Each C-level bomb of
``test_step_limits`` must come back as a clear answer naming the limit that stopped it, in a small
body, and the same app must go on answering; a huge value is echoed cut short.
"""

from __future__ import annotations

import io
from typing import Any

import hostile_processes as hp
import pytest
from flask.testing import FlaskClient
from limited import C_LEVEL_BOMBS

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.users import add_user, create_token
from rma_orchestrator.web import create_app

BOMBS = {name: bomb.removeprefix("x = ") for name, bomb in C_LEVEL_BOMBS.items()}
SMALL_BODY = 10_000  # bytes: one field error, not the value
HUGE_LIST = "sorted(list(range(10**6)))"  # quick to make, 8 MB as a list, far more as its repr


def _stopped(message: str) -> bool:
    """Stopped by the time limit (1 s for an expression) or by the step memory limit (1024 MB)."""
    return "ran longer than its limit of 1 s and was stopped" in message or "the limit is 1024 MB" in message


def _analyst(services: Services) -> tuple[FlaskClient, dict[str, str]]:
    app = create_app(services=services)
    app.config["TESTING"] = True
    add_user(services, "ana", [], "analyst")
    return app.test_client(), {"Authorization": f"Bearer {create_token(services, 'ana')}"}


def _preview(client: FlaskClient, headers: dict[str, str], expression: str) -> Any:
    body = {"kind": "timeDuration", "expression": expression, "start": "2026-01-05T09:00:00+08:00"}
    return client.post("/api/v1/timer-previews", json=body, headers=headers)


@pytest.mark.parametrize("bomb", list(BOMBS), ids=list(BOMBS))
def test_a_c_level_bomb_in_a_timer_preview_is_a_field_error_naming_the_limit(
    sqlite_limited: Services, bomb: str
) -> None:
    client, headers = _analyst(sqlite_limited)
    answer = _preview(client, headers, BOMBS[bomb])
    assert answer.status_code == 400
    assert len(answer.get_data()) < SMALL_BODY
    (error,) = answer.get_json()["errors"]
    assert error["field"] == "expression" and _stopped(error["message"]), error["message"]
    fine = _preview(client, headers, '"P7D"')
    assert fine.status_code == 200, fine.get_data(as_text=True)
    assert fine.get_json()["due_at"].startswith("2026-01-12T01:00:00")


def test_a_huge_value_in_a_timer_preview_is_echoed_cut_short(sqlite_limited: Services) -> None:
    client, headers = _analyst(sqlite_limited)
    answer = _preview(client, headers, HUGE_LIST)
    assert answer.status_code == 400 and len(answer.get_data()) < SMALL_BODY
    (error,) = answer.get_json()["errors"]
    assert error["message"].startswith("It gives list [0, 1, 2,") and len(error["message"]) < 250


def _validate(client: FlaskClient, headers: dict[str, str], files: dict[str, bytes]) -> Any:
    return client.post(
        "/api/v1/validations",
        data={"files": [(io.BytesIO(content), name) for name, content in files.items()]},
        headers=headers,
        content_type="multipart/form-data",
    )


def _timer_warning(answer: Any) -> str:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["errors"] == []
    (warning,) = body["warnings"]
    assert (warning["rule"], warning["element"]) == ("timer-evaluates", "wait")
    return str(warning["message"])


@pytest.mark.parametrize("bomb", list(BOMBS), ids=list(BOMBS))
def test_a_c_level_bomb_in_a_timer_is_a_validation_warning_naming_the_limit(
    sqlite_limited: Services, bomb: str
) -> None:
    client, headers = _analyst(sqlite_limited)
    files = hp.timer("bombed", f'"PT" + str({BOMBS[bomb]}) + "S"')
    message = _timer_warning(_validate(client, headers, files))
    assert _stopped(message), message
    assert _timer_warning(_validate(client, headers, hp.timer("huge", HUGE_LIST))).endswith(
        "not an ISO 8601 string"
    )


def test_a_drafts_validation_stops_a_bomb_in_its_timer_on_both_databases(limited: Services) -> None:
    services = limited
    client, headers = _analyst(services)
    deployed = client.post(
        "/api/v1/deployments",
        data={"files": [(io.BytesIO(hp.timer("timed", '"PT1H"')["timed.bpmn"]), "timed.bpmn")]},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert deployed.status_code in (200, 201), deployed.get_data(as_text=True)
    draft = client.post("/api/v1/drafts", json={"process_key": "timed"}, headers=headers).get_json()
    bombed = hp.timer("timed", f'"PT" + str({BOMBS["sort_by_str"]}) + "S"')["timed.bpmn"]
    saved = client.put(
        f"/api/v1/drafts/{draft['id']}/files/timed.bpmn",
        data=bombed,
        headers={**headers, "If-Match": str(draft["revision"])},
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)
    answer = client.post(f"/api/v1/drafts/{draft['id']}/validations", headers=headers)
    message = _timer_warning(answer)
    assert _stopped(message) and len(message) < 500, message
