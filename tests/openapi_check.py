"""Checks an API answer against the response schema openapi.json documents for it."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
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
    return next(iter(content.values()))["schema"]


def check_against_openapi(app: Flask, response: TestResponse) -> None:
    """Validate a JSON answer of the API against its documented schema, required fields included."""
    request = response.request
    if not request.path.startswith(f"{API}/") or response.mimetype != "application/json":
        return
    schema = documented_schema(app, request.method, request.path, response.status_code)
    validator = Draft202012Validator({**schema, "components": openapi_document()["components"]})
    problems = [
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
        for e in validator.iter_errors(response.json)
    ]
    assert not problems, f"{request.method} {request.path} {response.status_code}: {problems}"
