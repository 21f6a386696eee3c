"""Open operational endpoints: health and Prometheus metrics."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from ..errors import Unauthorized
from .auth import services

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    with services().database.read() as session:
        session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    token = services().settings.metrics_token
    if token and request.headers.get("Authorization") != f"Bearer {token}":
        raise Unauthorized("metrics need the RMA_METRICS_TOKEN bearer token")
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
