"""Checks an API answer against the response schema openapi.json documents for it."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.test import TestResponse

from rma_orchestrator.web.openapi import openapi_document

API = "/api/v1"


def documented_schema(app: Flask, method: str, path: str, status: int) -> dict[str, Any]:
    """The response schema openapi.json gives for this request and status (AssertionError if none)."""
    document = openapi_document()
    try:
        rule, _ = app.url_map.bind("localhost").match(path, method=method, return_rule=True)
    except (NotFound, MethodNotAllowed):
        assert status in (404, 405), f"{method} {path} matches no route but answered {status}"
        return {"$ref": "#/components/schemas/Errors"}
    template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)[len(API) :]
    responses = document["paths"][template][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {template} answered {status}, not documented"
    content = responses[str(status)]["content"]
    return (content.get("application/json") or next(iter(content.values())))["schema"]


def check_body(app: Flask, method: str, path: str, status: int, body: Any) -> None:
    """Validate a JSON body of the API against its documented schema, required fields included."""
    schema = documented_schema(app, method, path, status)
    validator = Draft202012Validator({**schema, "components": openapi_document()["components"]})
    problems = [
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(body)
    ]
    assert not problems, f"{method} {path} {status}: {problems}"


def check_against_openapi(app: Flask, response: TestResponse) -> None:
    """Validate a test client's JSON answer from the API against openapi.json."""
    request = response.request
    if request.path.startswith(f"{API}/") and response.mimetype == "application/json":
        check_body(app, request.method, request.path, response.status_code, response.json)


class CheckedClient(FlaskClient):
    """Every API answer is checked against openapi.json before the test sees it."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        check_against_openapi(self.application, response)
        return response
