"""``/static/vendor/bpmn-js/<path>`` serves bpmn-js's built files from the project's node_modules (the
set-up step installs them), refuses paths that climb out of ``dist/``, and says how to fix a missing
install."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from rma_orchestrator.web.vendor import BPMN_JS_DIST, project_root

VIEWER = "/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"


def test_the_viewer_and_its_styles_are_served_from_node_modules(app: Flask) -> None:
    dist = project_root(app) / BPMN_JS_DIST
    assert (project_root(app) / "pyproject.toml").is_file() and dist.is_dir(), "run `make setup`"
    client = app.test_client()
    viewer = client.get(VIEWER)
    assert viewer.status_code == 200 and viewer.mimetype in ("text/javascript", "application/javascript")
    assert viewer.get_data() == (dist / "bpmn-navigated-viewer.production.min.js").read_bytes()
    styles = client.get("/static/vendor/bpmn-js/assets/bpmn-js.css")
    assert styles.status_code == 200 and styles.mimetype == "text/css"
    assert client.get("/static/app.css").status_code == 200  # the app's own static files still work


@pytest.mark.parametrize(
    "path",
    [
        "../package.json",
        "%2e%2e/package.json",
        "..%2fpackage.json",
        "assets/../../package.json",
        "%2fetc%2fpasswd",
        "..%5cpackage.json",
        "no-such-file.js",
    ],
)
def test_paths_outside_dist_are_not_found(app: Flask, path: str) -> None:
    answer = app.test_client().get(f"/static/vendor/bpmn-js/{path}")
    assert answer.status_code == 404
    assert b'"name": "bpmn-js"' not in answer.get_data()


def test_a_missing_install_says_to_run_make_setup(app: Flask, tmp_path: Path) -> None:
    app.config["BPMN_JS_DIST"] = str(tmp_path / "node_modules" / "bpmn-js" / "dist")
    answer = app.test_client().get(VIEWER)
    assert answer.status_code == 500
    assert "bpmn-js is not installed: run `make setup`" in answer.get_data(as_text=True)


def test_the_modeler_bundle_is_served_from_the_build_and_a_missing_build_says_so(
    app: Flask, tmp_path: Path
) -> None:
    client = app.test_client()
    for path, mimetypes in (
        ("bpmn.js", ("text/javascript", "application/javascript")),
        ("modeler.css", ("text/css",)),
    ):
        answer = client.get(f"/static/vendor/modeler/{path}")
        assert answer.status_code == 200 and answer.mimetype in mimetypes, (
            "run `make setup` (it builds build/modeler/)"
        )
    assert client.get("/static/vendor/modeler/../package.json").status_code == 404
    app.config["MODELER_BUILD"] = str(tmp_path / "build" / "modeler")
    answer = client.get("/static/vendor/modeler/bpmn.js")
    assert answer.status_code == 500
    assert "The modeler is not built: run `make setup`" in answer.get_data(as_text=True)
