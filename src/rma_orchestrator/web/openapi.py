"""The OpenAPI 3.1 description of /api/v1 (a test fails when it and the routes drift apart)."""

from __future__ import annotations

from typing import Any

ERRORS = {"$ref": "#/components/schemas/Errors"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _op(
    summary: str,
    ok: int,
    schema: dict[str, Any],
    *errors: int,
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    auth: bool = True,
) -> dict[str, Any]:
    responses: dict[str, Any] = {str(ok): {"description": "OK", **_json(schema)}}
    for code in (*errors, *((401,) if auth else ())):
        responses[str(code)] = {"description": _REASONS[code], **_json(ERRORS)}
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
    if params:
        op["parameters"] = params
    if not auth:
        op["security"] = []
    return op


_REASONS = {
    400: "Invalid data",
    401: "No valid token",
    403: "Not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    422: "Invalid definition files",
}


def _path(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


def _query(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in names]


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"items": {"type": "array", "items": _ref(name)}, "total": {"type": "integer"}},
    }


OBJ = {"type": "object"}
INSTANCE_ID = [_path("instance_id", {"type": "integer"})]
TASK_ID = [_path("task_id")]

SCHEMAS: dict[str, Any] = {
    "Errors": {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "message": {"type": "string"},
                        "field": {"type": "string"},
                        "file": {"type": ["string", "null"]},
                        "line": {"type": ["integer", "null"]},
                        "element": {"type": ["string", "null"]},
                    },
                },
            }
        },
    },
    "Deployment": {
        "type": "object",
        "properties": {
            "deployment_id": {"type": ["integer", "null"]},
            "dry_run": {"type": "boolean"},
            "processes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "process_key": {"type": "string"},
                        "version": {"type": "integer"},
                        "created": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "Definition": {
        "type": "object",
        "properties": {
            k: {"type": t}
            for k, t in [
                ("process_key", "string"),
                ("name", "string"),
                ("version", "integer"),
                ("deployment_id", "integer"),
                ("deployed_at", "string"),
            ]
        },
    },
    "InstanceSummary": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "business_key": {"type": "string"},
            "process_key": {"type": "string"},
            "version": {"type": "integer"},
            "status": {"enum": ["running", "completed", "cancelled", "suspended", "error"]},
            "outcome": {"type": ["string", "null"]},
            "started_at": {"type": "string"},
            "ended_at": {"type": ["string", "null"]},
        },
    },
    "Instance": {
        "allOf": [
            _ref("InstanceSummary"),
            {
                "type": "object",
                "properties": {
                    "data": OBJ,
                    "tasks": {"type": "array", "items": _ref("Task")},
                    "timers": {"type": "array", "items": _ref("Timer")},
                    "incidents": {"type": "array", "items": _ref("Incident")},
                    "element_states": OBJ,
                },
            },
        ]
    },
    "Task": {
        "type": "object",
        "properties": {
            k: {"type": t}
            for k, t in [
                ("id", "string"),
                ("instance_id", "integer"),
                ("business_key", "string"),
                ("process_key", "string"),
                ("element_id", "string"),
                ("name", "string"),
                ("group", ["string", "null"]),
                ("assignee", ["string", "null"]),
                ("status", "string"),
                ("created_at", "string"),
                ("due_at", ["string", "null"]),
                ("completed_at", ["string", "null"]),
                ("completed_by", ["string", "null"]),
            ]
        },
    },
    "TaskDetail": {
        "allOf": [
            _ref("Task"),
            {
                "type": "object",
                "properties": {
                    "form": {"type": ["string", "null"]},
                    "schema": {"type": ["object", "null"]},
                    "data": OBJ,
                },
            },
        ]
    },
    "Timer": {
        "type": "object",
        "properties": {
            k: {"type": t}
            for k, t in [
                ("id", "integer"),
                ("element_id", "string"),
                ("process_key", "string"),
                ("due_at", "string"),
                ("status", "string"),
                ("fired_at", ["string", "null"]),
            ]
        },
    },
    "Incident": {
        "type": "object",
        "properties": {
            k: {"type": t}
            for k, t in [
                ("id", "integer"),
                ("instance_id", "integer"),
                ("element_id", ["string", "null"]),
                ("message", "string"),
                ("details", ["string", "null"]),
                ("created_at", "string"),
                ("resolved_at", ["string", "null"]),
            ]
        },
    },
    "Event": {
        "type": "object",
        "properties": {
            k: {"type": t}
            for k, t in [
                ("id", "integer"),
                ("at", "string"),
                ("kind", "string"),
                ("actor", ["string", "null"]),
                ("element_id", ["string", "null"]),
                ("details", "object"),
            ]
        },
    },
}

START_BODY = {
    "type": "object",
    "required": ["process_key"],
    "properties": {"process_key": {"type": "string"}, "data": OBJ, "business_key": {"type": "string"}},
}
MESSAGE_BODY = {
    "type": "object",
    "required": ["name", "business_key"],
    "properties": {
        "name": {"type": "string"},
        "business_key": {"type": "string"},
        "payload": OBJ,
        "idempotency_key": {"type": "string"},
    },
}
CLOCK = {"type": "object", "properties": {"now": {"type": "string"}, "fired": {"type": "integer"}}}
PAGING = _query("page", "per_page")


def _paths() -> dict[str, Any]:
    task_action = {"post": _op("", 200, _ref("Task"), 403, 404, 409, params=TASK_ID)}
    instance_action = {"post": _op("", 200, _ref("InstanceSummary"), 403, 404, 409, params=INSTANCE_ID)}
    paths: dict[str, Any] = {
        "/openapi.json": {"get": _op("This document", 200, OBJ, auth=False)},
        "/deployments": {
            "post": {
                **_op(
                    "Deploy .bpmn, .dmn and .json form files (201 new versions, 200 all identical)",
                    201,
                    _ref("Deployment"),
                    400,
                    403,
                    422,
                    params=_query("dry_run"),
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "files": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "binary"},
                                    }
                                },
                            }
                        }
                    },
                },
            }
        },
        "/process-definitions": {"get": _op("Latest version of every process", 200, _list_of("Definition"))},
        "/process-definitions/{key}/versions/{version}/bpmn": {
            "get": {
                **_op(
                    "BPMN XML of one version",
                    200,
                    {"type": "string"},
                    404,
                    params=[_path("key"), _path("version", {"type": "integer"})],
                ),
            }
        },
        "/process-instances": {
            "post": _op(
                "Start an instance", 201, _ref("InstanceSummary"), 400, 403, 404, 409, body=START_BODY
            ),
            "get": _op(
                "List instances",
                200,
                _list_of("InstanceSummary"),
                400,
                params=_query("status", "process_key", "business_key") + PAGING,
            ),
        },
        "/process-instances/{instance_id}": {
            "get": _op("One instance", 200, _ref("Instance"), 404, params=INSTANCE_ID)
        },
        "/process-instances/{instance_id}/events": {
            "get": _op("Audit trail", 200, _list_of("Event"), 404, params=INSTANCE_ID)
        },
        "/messages": {
            "post": _op(
                "Deliver or keep a message",
                202,
                {"type": "object", "properties": {"delivered": {"type": "boolean"}}},
                400,
                403,
                404,
                409,
                body=MESSAGE_BODY,
            )
        },
        "/tasks": {
            "get": _op(
                "List tasks",
                200,
                _list_of("Task"),
                400,
                params=_query("assignee", "group", "status", "overdue") + PAGING,
            )
        },
        "/tasks/{task_id}": {
            "get": _op("One task with its form", 200, _ref("TaskDetail"), 403, 404, params=TASK_ID)
        },
        "/tasks/{task_id}/assign": {
            "post": _op(
                "Assign to a user (managers)",
                200,
                _ref("Task"),
                400,
                403,
                404,
                409,
                params=TASK_ID,
                body={"type": "object", "required": ["user"], "properties": {"user": {"type": "string"}}},
            )
        },
        "/tasks/{task_id}/complete": {
            "post": _op(
                "Complete with form data",
                200,
                _ref("Task"),
                400,
                403,
                404,
                409,
                params=TASK_ID,
                body={"type": "object", "properties": {"data": OBJ}},
            )
        },
        "/incidents": {
            "get": _op("List incidents", 200, _list_of("Incident"), params=_query("resolved") + PAGING)
        },
        "/incidents/{incident_id}/retry": {
            "post": _op(
                "Retry the failed step with corrected data",
                200,
                _ref("Incident"),
                400,
                403,
                404,
                409,
                params=[_path("incident_id", {"type": "integer"})],
                body={"type": "object", "properties": {"data": OBJ}},
            )
        },
        "/clock": {
            "get": _op("Controlled time (RMA_CONTROLLED_CLOCK=1 only)", 200, CLOCK, 403, 404),
            "post": _op(
                "Move the controlled clock, firing what falls due",
                200,
                CLOCK,
                400,
                403,
                404,
                body={"type": "object", "properties": {"add": {"type": "string"}, "set": {"type": "string"}}},
            ),
        },
    }
    for action in ("claim", "unclaim"):
        paths[f"/tasks/{{task_id}}/{action}"] = {
            "post": {**task_action["post"], "summary": f"{action.title()} a task"}
        }
    for action in ("cancel", "suspend", "resume"):
        paths[f"/process-instances/{{instance_id}}/{action}"] = {
            "post": {**instance_action["post"], "summary": f"{action.title()} an instance"}
        }
    return paths


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "rma-orchestrator",
            "version": "1",
            "description": "BPMN orchestration of after-sales returns, exchanges and repairs.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
