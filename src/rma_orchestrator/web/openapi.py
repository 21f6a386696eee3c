"""The OpenAPI 3.1 document of /api/v1, generated from the declared operations and their result types."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from . import api  # noqa: F401 - importing the blueprint declares its operations
from .api.operations import MAX_BODY_BYTES, OPERATIONS, Multipart, Operation, RawBody

ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["message"],
                "properties": {
                    "message": {"type": "string"},
                    "field": {"type": "string", "description": "dotted path of a bad input field"},
                    "file": {"type": ["string", "null"]},
                    "line": {"type": ["integer", "null"]},
                    "element": {"type": ["string", "null"]},
                    "rule": {"type": "string", "description": "id of the validation rule an item breaks"},
                },
            },
        }
    },
}
REASONS = {
    400: "Invalid data",
    401: "No valid token",
    403: "Not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    413: f"Request body too large ({MAX_BODY_BYTES // (1024 * 1024)} MiB; an upload: RMA_MAX_UPLOAD_MB)",
    422: "Invalid definition files",
    428: "The If-Match header (the revision the change is based on) is missing",
}
REF = "#/components/schemas/{model}"


@functools.cache
def openapi_document() -> dict[str, Any]:
    keyed: list[tuple[tuple[int, str], JsonSchemaMode, TypeAdapter[Any]]] = []
    for index, op in enumerate(OPERATIONS):
        if op.returns is not None and op.media_type == "application/json":
            keyed.append(((index, "response"), "serialization", TypeAdapter(op.returns)))
        if op.body is not None and not isinstance(op.body, Multipart | RawBody):
            keyed.append(((index, "body"), "validation", TypeAdapter(op.body)))
    schemas, definitions = TypeAdapter.json_schemas(keyed, ref_template=REF)
    components = {name: _tidy(schema) for name, schema in definitions.get("$defs", {}).items()}
    components["Errors"] = ERRORS_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for index, op in enumerate(OPERATIONS):
        paths.setdefault(op.path, {})[op.method] = _operation(
            op,
            schemas.get(((index, "response"), "serialization")),
            schemas.get(((index, "body"), "validation")),
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "rma-orchestrator",
            "version": "1",
            "description": "BPMN orchestration of after-sales returns, exchanges and repairs.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(op: Operation, response: dict[str, Any] | None, body: dict[str, Any] | None) -> dict[str, Any]:
    content_schema = response if response is not None else {"type": "string"}
    ok: dict[str, Any] = {
        "description": "OK",
        "content": {
            # a file served as JSON (a form) is any JSON, not a string
            media: {"schema": {} if response is None and media == "application/json" else content_schema}
            for media in (op.media_type, *op.also_media)
        },
    }
    if op.status == 204:
        ok = {"description": "Done; no content"}
    responses: dict[str, Any] = {str(code): ok for code in (op.status, *op.also)}
    for code in (*op.errors, *((401,) if op.auth else ()), *((413,) if op.body is not None else ())):
        responses[str(code)] = {
            "description": REASONS[code],
            "content": {"application/json": {"schema": {"$ref": REF.format(model="Errors")}}},
        }
    result: dict[str, Any] = {"summary": op.summary, "responses": responses}
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": kind}}
        for name, kind in op.path_types.items()
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in op.query.items()
    ]
    parameters += [
        {"name": name, "in": "header", "required": True, "schema": schema}
        for name, schema in op.headers.items()
    ]
    if parameters:
        result["parameters"] = parameters
    if isinstance(op.body, Multipart):
        schema: dict[str, Any] = {"type": "object", "properties": op.body.parts}
        if op.body.required:
            schema["required"] = list(op.body.required)
        result["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    elif isinstance(op.body, RawBody):
        raw = {"type": "string", "format": "binary", "description": op.body.description}
        result["requestBody"] = {"required": True, "content": {op.body.media_type: {"schema": raw}}}
    elif body is not None:
        result["requestBody"] = {"required": True, "content": {"application/json": {"schema": _tidy(body)}}}
    if not op.auth:
        result["security"] = []
    return result


def _tidy(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop the descriptions dataclasses write for themselves ("Name(field: type, ...)")."""
    description = schema.get("description", "")
    title = schema.get("title", "")
    if description.startswith(f"{title}("):
        schema = {k: v for k, v in schema.items() if k != "description"}
    return schema
