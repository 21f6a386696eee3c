"""``/static/vendor/bpmn-js/<path>``: bpmn-js's built files, served from the project's ``node_modules``.

The set-up step (``make setup``) installs bpmn-js from the npm registry into ``node_modules/``
beside ``src/``; nothing of it is committed. Only files under its ``dist/`` are served, so a path
that climbs out of it is not found; a missing install says which command fixes it.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, send_from_directory
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import InternalServerError, NotFound
from werkzeug.security import safe_join

bp = Blueprint("vendor", __name__)
BPMN_JS_DIST = Path("node_modules") / "bpmn-js" / "dist"
MISSING = "bpmn-js is not installed: run `make setup` in {root} (it installs node_modules/ from npm)."


def project_root(app: Flask) -> Path:
    """The folder holding ``src/`` and ``node_modules/`` (this package is ``src/rma_orchestrator/web``)."""
    return Path(app.root_path).resolve().parents[2]


def bpmn_js_dist(app: Flask) -> Path:
    """Where bpmn-js's built files are; ``BPMN_JS_DIST`` in the app's config overrides it (tests)."""
    configured = app.config.get("BPMN_JS_DIST")
    return Path(configured) if configured else project_root(app) / BPMN_JS_DIST


@bp.get("/static/vendor/bpmn-js/<path:path>")
def bpmn_js(path: str) -> ResponseReturnValue:
    dist = bpmn_js_dist(current_app)
    if not dist.is_dir():
        raise InternalServerError(MISSING.format(root=project_root(current_app)))
    if safe_join(str(dist), path) is None:  # ``..``, absolute paths, backslashes: outside dist/
        raise NotFound()
    return send_from_directory(dist, path, max_age=3600)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
