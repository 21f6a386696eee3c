"""The OpenAPI document and the routes must describe the same endpoints."""

from __future__ import annotations

import re

from flask import Flask

from rma_orchestrator.web.openapi import openapi_document


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len("/api/v1") :])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((path, method.lower()))
    return found


def _documented() -> set[tuple[str, str]]:
    return {(path, method) for path, item in openapi_document()["paths"].items() for method in item}


def test_every_route_is_documented_and_every_documented_path_exists(app: Flask) -> None:
    assert _routes(app) == _documented()


def test_path_parameters_match(app: Flask) -> None:
    for path, item in openapi_document()["paths"].items():
        names = set(re.findall(r"{([a-z_]+)}", path))
        for operation in item.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, path


def test_every_operation_documents_its_errors(app: Flask) -> None:
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if operation.get("security") != []:
                assert "401" in codes, (path, method)


def test_the_document_is_valid_openapi_3_1() -> None:
    from openapi_spec_validator import validate

    validate(openapi_document())


def test_a_documented_result_names_every_field_as_required(app: Flask) -> None:
    from jsonschema import Draft202012Validator
    from openapi_check import documented_schema

    schema = documented_schema(app, "GET", "/api/v1/tasks/some-id", 200)
    components = openapi_document()["components"]
    task = components["schemas"]["TaskDetail"]
    assert set(task["required"]) >= {"id", "due_at", "completed_by", "schema", "data"}
    answer = {name: None for name in task["required"]}
    del answer["due_at"]
    problems = list(Draft202012Validator({**schema, "components": components}).iter_errors(answer))
    assert any("'due_at' is a required property" in p.message for p in problems)
