"""Flask application factory: the staff's pages, the JSON API and the operational endpoints."""

from __future__ import annotations

from flask import Flask

from ..bootstrap import bootstrap
from ..config import Settings
from ..service.context import Services
from .api.operations import MAX_BODY_BYTES


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the app; pass ``services`` to share one set with a scheduler or a test."""
    services = services or bootstrap(settings)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = services.settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["rma"] = services

    from . import (
        cases,
        errors,
        i18n,
        labels,
        modeler,
        monitor,
        ops,
        request_metrics,
        session,
        shell,
        tasks,
        vendor,
    )
    from .api import bp as api_bp

    errors.init_app(app)
    request_metrics.init_app(app)
    session.init_app(app, services)
    i18n.init_app(app, services.settings.business_tz)
    shell.init_app(app)
    labels.init_app(app)
    vendor.init_app(app)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(monitor.bp)
    app.register_blueprint(modeler.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(api_bp)
    return app
