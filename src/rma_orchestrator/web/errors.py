"""The one place that maps service errors to HTTP statuses and ``{"errors": [...]}`` bodies."""

from __future__ import annotations

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from ..errors import (
    Conflict,
    Forbidden,
    InvalidData,
    InvalidDefinition,
    NotFound,
    RmaError,
    StepStopped,
    TooManyAttempts,
    Unauthorized,
)

STATUS = [
    (InvalidDefinition, 422),
    (StepStopped, 422),
    (InvalidData, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TooManyAttempts, 429),
]


def status_for(error: RmaError) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 400


def init_app(app: Flask) -> None:
    @app.errorhandler(RmaError)
    def _service_error(error: RmaError) -> ResponseReturnValue:
        response = jsonify({"errors": error.items})
        if isinstance(error, Unauthorized):
            response.headers["WWW-Authenticate"] = "Bearer"
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after)
        return response, status_for(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        return jsonify({"errors": [{"message": error.description or error.name}]}), error.code or 500

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error")
        return jsonify({"errors": [{"message": "internal error; the change was not applied"}]}), 500
