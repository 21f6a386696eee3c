"""The draft scenario API: list, run one file, replay a recording and save it; 403, 404, bad names."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_check import CheckedClient
from support import ANALYST

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.diagram_drafts import create_draft
from rma_orchestrator.web import create_app

sys.path.insert(0, str(Path(__file__).parents[1] / "scenario"))
from draft_scenario_support import scenario_document, with_folder  # noqa: E402

CLOCK = "2026-05-11T09:00:00+08:00"


@pytest.fixture
def app(services: Services, tmp_path: Path) -> Flask:
    app = create_app(services=with_folder(services, tmp_path, "return_abandoned.yaml"))
    app.config["TESTING"] = True
    app.test_client_class = CheckedClient
    return app


def _folder(app: Flask) -> Path:
    folder = app.extensions["rma"].settings.scenario_dir
    assert folder is not None
    return Path(folder)


def test_list_run_replay_and_save(
    app: Flask, client: FlaskClient, auth: Callable[[str], dict[str, str]]
) -> None:
    draft = create_draft(app.extensions["rma"], "return", ANALYST)
    headers = auth("analyst")
    listed = client.get(f"/api/v1/drafts/{draft.id}/scenarios", headers=headers)
    assert listed.status_code == 200 and listed.json["total"] == 1
    assert listed.json["items"][0]["file"] == "return_abandoned.yaml"
    run = client.post(
        f"/api/v1/drafts/{draft.id}/scenario-runs", json={"file": "return_abandoned.yaml"}, headers=headers
    )
    assert run.status_code == 200, run.json
    assert (run.json["passed"], run.json["failed"]) == (1, 0) and run.json["results"][0]["passed"]
    steps = [{"start": scenario_document("return_abandoned.yaml")["start"]}, {"clock": "P7DT1H"}]
    replay = client.post(
        f"/api/v1/drafts/{draft.id}/recording-replays", json={"clock": CLOCK, "steps": steps}, headers=headers
    )
    assert replay.status_code == 200 and replay.json["passed"], replay.json
    assert replay.json["expect"] == {"status": "running", "tasks": [], "timers": ["goods_deadline"]}
    body = {"file": "return_reminded", "name": "reminded", "clock": CLOCK, "steps": steps}
    saved = client.post(f"/api/v1/drafts/{draft.id}/scenario-files", json=body, headers=headers)
    assert saved.status_code == 201 and saved.json["file"] == "return_reminded.yaml"
    assert (_folder(app) / "return_reminded.yaml").read_text(encoding="utf-8") == saved.json["yaml"]
    again = client.post(f"/api/v1/drafts/{draft.id}/scenario-files", json=body, headers=headers)
    assert again.status_code == 409
    replaced = client.post(
        f"/api/v1/drafts/{draft.id}/scenario-files", json={**body, "overwrite": True}, headers=headers
    )
    assert replaced.status_code == 200 and replaced.json["replaced"] is True


def test_refusals_change_nothing(
    app: Flask, client: FlaskClient, auth: Callable[[str], dict[str, str]]
) -> None:
    draft = create_draft(app.extensions["rma"], "return", ANALYST)
    before = sorted(p.name for p in _folder(app).iterdir())
    runs, files = f"/api/v1/drafts/{draft.id}/scenario-runs", f"/api/v1/drafts/{draft.id}/scenario-files"
    analyst = auth("analyst")
    for traversal in ("../return.bpmn", "../../pyproject.toml", "/etc/passwd", "sub/x.yaml"):
        answer = client.post(runs, json={"file": traversal}, headers=analyst)
        assert answer.status_code == 400 and answer.json["errors"][0]["field"] == "file"
    assert client.post(runs, json={"file": "none.yaml"}, headers=analyst).status_code == 404
    assert client.post(runs, json={}, headers=analyst).status_code == 400
    unknown = f"/api/v1/drafts/{draft.id + 70}"
    assert client.get(f"{unknown}/scenarios", headers=analyst).status_code == 404
    assert (
        client.post(
            f"{unknown}/scenario-runs", json={"file": "return_abandoned.yaml"}, headers=analyst
        ).status_code
        == 404
    )
    bad = {"file": "../evil", "name": "x", "steps": [{"start": {}}]}
    assert client.post(files, json=bad, headers=analyst).status_code == 400
    assert (
        client.post(files, json={**bad, "file": "ok", "steps": [{"jump": 1}]}, headers=analyst).status_code
        == 400
    )
    for who in ("staff", "manager"):
        headers = auth(who)
        assert client.get(f"/api/v1/drafts/{draft.id}/scenarios", headers=headers).status_code == 403
        assert client.post(runs, json={"file": "return_abandoned.yaml"}, headers=headers).status_code == 403
        replays = f"/api/v1/drafts/{draft.id}/recording-replays"
        assert client.post(replays, json={"steps": []}, headers=headers).status_code == 403
        body = {"file": "by_staff", "name": "staff", "steps": [{"start": {}}]}
        assert client.post(files, json=body, headers=headers).status_code == 403
    assert sorted(p.name for p in _folder(app).iterdir()) == before
