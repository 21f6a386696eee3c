"""``/modeler/drafts/<id>/scenarios``: the draft's scenario files with Run all and the recorder, in
both languages, for analysts only; scenario files download from it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import ANALYST

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.diagram_drafts import create_draft
from rma_orchestrator.web import create_app

sys.path.insert(0, str(Path(__file__).parents[1] / "scenario"))
from draft_scenario_support import TESTS, with_folder  # noqa: E402


@pytest.fixture
def app(services: Services, tmp_path: Path) -> Flask:
    app = create_app(services=with_folder(services, tmp_path, "return_abandoned.yaml"))
    app.config["TESTING"] = True
    return app


def test_an_analyst_sees_the_files_run_all_and_the_recorder(
    app: Flask, signed_in: Callable[..., FlaskClient]
) -> None:
    draft = create_draft(app.extensions["rma"], "return", ANALYST)
    page = signed_in("analyst").get(f"/modeler/drafts/{draft.id}/scenarios")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-file="return_abandoned.yaml"' in html and "return abandoned, goods never sent" in html
    assert 'id="run-all"' in html and f"/api/v1/drafts/{draft.id}/scenario-runs" in html
    assert 'id="recorder"' in html and "draft_scenarios.js" in html
    chinese = signed_in("analyst", language="zh-CN").get(f"/modeler/drafts/{draft.id}/scenarios")
    text = chinese.get_data(as_text=True)
    assert "全部运行" in text and "录制场景" in text and "Run all" not in text


def test_a_scenario_file_downloads_and_paths_are_refused(
    app: Flask, signed_in: Callable[..., FlaskClient]
) -> None:
    draft = create_draft(app.extensions["rma"], "return", ANALYST)
    client = signed_in("analyst")
    base = f"/modeler/drafts/{draft.id}/scenarios/files"
    download = client.get(f"{base}/return_abandoned.yaml")
    assert download.status_code == 200
    assert download.get_data() == (TESTS / "return_abandoned.yaml").read_bytes()
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"{base}/..%2Freturn.bpmn").status_code in (400, 404)
    assert client.get(f"{base}/.hidden.yaml").status_code == 400
    assert client.get(f"{base}/none.yaml").status_code == 404
    assert client.get(f"/modeler/drafts/{draft.id + 50}/scenarios").status_code == 404


def test_staff_get_403(app: Flask, signed_in: Callable[..., FlaskClient]) -> None:
    draft = create_draft(app.extensions["rma"], "return", ANALYST)
    assert signed_in("staff").get(f"/modeler/drafts/{draft.id}/scenarios").status_code == 403
