"""The one place that maps errors to HTTP: JSON ``{"errors": [...]}`` for the API, HTML for pages.

A page never shows a traceback: an unexpected error is logged and answered with a plain 500 page.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from ..errors import (
    Conflict,
    DraftChanged,
    Forbidden,
    InvalidData,
    InvalidDefinition,
    NotFound,
    PreconditionRequired,
    RmaError,
    StepStopped,
    TooManyAttempts,
    Unauthorized,
)
from .error_texts import error_text

STATUS = [
    (InvalidDefinition, 422),
    (StepStopped, 422),
    (InvalidData, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (PreconditionRequired, 428),
    (TooManyAttempts, 429),
]
JSON_PATHS = ("/api/", "/healthz", "/metrics")


def status_for(error: RmaError) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 400


def wants_json() -> bool:
    return request.path.startswith(JSON_PATHS)


def page_titles() -> dict[int, str]:
    return {
        400: _("The request could not be used"),
        401: _("Please sign in"),
        403: _("You may not open this"),
        404: _("Not found"),
        409: _("Something changed meanwhile"),
        413: _("The upload is too large"),
        422: _("The diagram or form was refused"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
    }


def page_messages() -> dict[int, str]:
    return {
        404: _("There is no page at this address. Check the link, or start again from the start page."),
        405: _("This address does not take that kind of request."),
        413: _("The upload is larger than this server accepts."),
    }


def error_page(status: int, message: str) -> ResponseReturnValue:
    title = page_titles().get(status, _("The request could not be used"))
    try:
        return render_template("error.html", status=status, title=title, message=message), status
    except Exception:  # noqa: BLE001 - the layout itself failed (database down?): a bare page
        current_app.logger.exception("the error page could not be rendered")
        return f"<!doctype html><title>{status}</title><h1>{escape(title)}</h1>", status


def init_app(app: Flask) -> None:
    @app.errorhandler(RmaError)
    def _service_error(error: RmaError) -> ResponseReturnValue:
        status = status_for(error)
        if wants_json():
            body: dict[str, Any] = {"errors": error.items}
            if isinstance(error, DraftChanged):
                body |= {"revision": error.revision, "updated_by": error.updated_by}
            response = jsonify(body)
            if isinstance(error, Unauthorized):
                response.headers["WWW-Authenticate"] = "Bearer"
            if isinstance(error, TooManyAttempts):
                response.headers["Retry-After"] = str(error.retry_after)
            return response, status
        if isinstance(error, Unauthorized):
            return redirect(url_for("shell.sign_in", next=request.full_path.rstrip("?")))
        if isinstance(error, TooManyAttempts):
            response = make_response(error_page(status, error.message))
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        return error_page(status, error_text(error))

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> ResponseReturnValue:
        if wants_json():
            return jsonify({"errors": [{"message": f"CSRF check failed: {error.description}"}]}), 400
        message = _("This page was open too long or came from elsewhere: reload it and try again.")
        return error_page(400, message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        if wants_json():
            return jsonify({"errors": [{"message": error.description or error.name}]}), status
        return error_page(status, page_messages().get(status, error.description or error.name))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error")
        if wants_json():
            return jsonify({"errors": [{"message": "internal error; the change was not applied"}]}), 500
        message = _("The change was not applied. Try again; if it happens again, tell an administrator.")
        return error_page(500, message)
