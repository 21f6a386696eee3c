"""``/static/vendor/bpmn-js/<path>``: bpmn-js's built files, served from the project's ``node_modules``;
``/static/vendor/modeler/<path>``: the analysts' modeler bundle the set-up step builds into ``build/modeler``.

The set-up step (``make setup``) installs bpmn-js from the npm registry into ``node_modules/``
beside ``src/`` and bundles the modeler's entry modules (``web/static/modeler/``) with it into
``build/modeler/``; nothing of either is committed. Only files under those folders are served, so a
path that climbs out is not found; a missing install or build says which command fixes it.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, send_from_directory
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import InternalServerError, NotFound
from werkzeug.security import safe_join

bp = Blueprint("vendor", __name__)
BPMN_JS_DIST = Path("node_modules") / "bpmn-js" / "dist"
MODELER_BUILD = Path("build") / "modeler"
MISSING = "bpmn-js is not installed: run `make setup` in {root} (it installs node_modules/ from npm)."
MISSING_BUILD = (
    "The modeler is not built: run `make setup` in {root} (it bundles build/modeler/ from node_modules/)."
)


def project_root(app: Flask) -> Path:
    """The folder holding ``src/`` and ``node_modules/`` (this package is ``src/rma_orchestrator/web``)."""
    return Path(app.root_path).resolve().parents[2]


def bpmn_js_dist(app: Flask) -> Path:
    """Where bpmn-js's built files are; ``BPMN_JS_DIST`` in the app's config overrides it (tests)."""
    configured = app.config.get("BPMN_JS_DIST")
    return Path(configured) if configured else project_root(app) / BPMN_JS_DIST


def modeler_build(app: Flask) -> Path:
    """Where the modeler bundle is; ``MODELER_BUILD`` in the app's config overrides it (tests)."""
    configured = app.config.get("MODELER_BUILD")
    return Path(configured) if configured else project_root(app) / MODELER_BUILD


def _send(folder: Path, path: str, missing: str) -> ResponseReturnValue:
    if not folder.is_dir():
        raise InternalServerError(missing.format(root=project_root(current_app)))
    if safe_join(str(folder), path) is None:  # ``..``, absolute paths, backslashes: outside the folder
        raise NotFound()
    return send_from_directory(folder, path, max_age=3600)


@bp.get("/static/vendor/bpmn-js/<path:path>")
def bpmn_js(path: str) -> ResponseReturnValue:
    return _send(bpmn_js_dist(current_app), path, MISSING)


@bp.get("/static/vendor/modeler/<path:path>")
def modeler(path: str) -> ResponseReturnValue:
    return _send(modeler_build(current_app), path, MISSING_BUILD)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
