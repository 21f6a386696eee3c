"""The JSON API under /api/v1: each view parses, calls one service function, answers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from ...errors import InvalidData
from ...service import clock as clock_service
from ...service import definitions, incidents, instances, messages, tasks
from ..auth import current_actor, services
from ..openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _json_body(required: bool = True) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        if not required and not request.get_data():
            return {}
        raise InvalidData("send a JSON object body", [{"field": "", "message": "body must be a JSON object"}])
    if not isinstance(body, dict):
        raise InvalidData("send a JSON object body", [{"field": "", "message": "body must be a JSON object"}])
    return body


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidData(f"bad {name}", [{"field": name, "message": "must be an integer"}]) from None


def _bool_arg(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


@bp.post("/deployments")
def deploy() -> ResponseReturnValue:
    actor = current_actor()
    files: dict[str, bytes] = {}
    for storage in request.files.getlist("files"):
        name = storage.filename or ""
        if name in files:
            raise InvalidData("duplicate file", [{"field": "files", "message": f"{name} uploaded twice"}])
        files[name] = storage.read()
    result = definitions.deploy(services(), files, actor, dry_run=_bool_arg("dry_run"))
    return jsonify(result.to_dict()), 201 if result.created and not result.dry_run else 200


@bp.get("/process-definitions")
def list_definitions() -> ResponseReturnValue:
    items = definitions.list_definitions(services(), current_actor())
    return jsonify({"items": items, "total": len(items)})


@bp.get("/process-definitions/<key>/versions/<int:version>/bpmn")
def definition_xml(key: str, version: int) -> ResponseReturnValue:
    current_actor()
    return Response(definitions.get_definition_xml(services(), key, version), mimetype="application/xml")


@bp.post("/process-instances")
def start_instance() -> ResponseReturnValue:
    body = _json_body()
    process_key = body.get("process_key")
    if not isinstance(process_key, str) or not process_key:
        raise InvalidData("process_key is required", [{"field": "process_key", "message": "required"}])
    business_key = body.get("business_key")
    if business_key is not None and not isinstance(business_key, str):
        raise InvalidData("bad business_key", [{"field": "business_key", "message": "must be a string"}])
    result = instances.start_instance(
        services(), process_key, body.get("data"), current_actor(), business_key
    )
    return jsonify(result), 201


@bp.get("/process-instances")
def list_instances() -> ResponseReturnValue:
    return jsonify(
        instances.list_instances(
            services(),
            current_actor(),
            status=request.args.get("status") or None,
            process_key=request.args.get("process_key") or None,
            business_key=request.args.get("business_key") or None,
            page=_int_arg("page", 1),
            per_page=_int_arg("per_page", 50),
        )
    )


@bp.get("/process-instances/<int:instance_id>")
def get_instance(instance_id: int) -> ResponseReturnValue:
    return jsonify(instances.get_instance(services(), instance_id, current_actor()))


@bp.get("/process-instances/<int:instance_id>/events")
def instance_events(instance_id: int) -> ResponseReturnValue:
    return jsonify(instances.list_events(services(), instance_id, current_actor()))


@bp.post("/process-instances/<int:instance_id>/cancel")
def cancel_instance(instance_id: int) -> ResponseReturnValue:
    return jsonify(instances.cancel_instance(services(), instance_id, current_actor()))


@bp.post("/process-instances/<int:instance_id>/suspend")
def suspend_instance(instance_id: int) -> ResponseReturnValue:
    return jsonify(instances.suspend_instance(services(), instance_id, current_actor()))


@bp.post("/process-instances/<int:instance_id>/resume")
def resume_instance(instance_id: int) -> ResponseReturnValue:
    return jsonify(instances.resume_instance(services(), instance_id, current_actor()))


@bp.post("/messages")
def deliver_message() -> ResponseReturnValue:
    body = _json_body()
    result = messages.deliver_message(
        services(),
        body.get("name"),  # type: ignore[arg-type]
        body.get("business_key"),  # type: ignore[arg-type]
        body.get("payload"),
        current_actor(),
        idempotency_key=body.get("idempotency_key"),
    )
    return jsonify(result), 202


@bp.get("/tasks")
def list_tasks() -> ResponseReturnValue:
    return jsonify(
        tasks.list_tasks(
            services(),
            current_actor(),
            assignee=request.args.get("assignee") or None,
            group=request.args.get("group") or None,
            status=request.args.get("status", "open") or None,
            overdue=_bool_arg("overdue"),
            page=_int_arg("page", 1),
            per_page=_int_arg("per_page", 50),
        )
    )


@bp.get("/tasks/<task_id>")
def get_task(task_id: str) -> ResponseReturnValue:
    return jsonify(tasks.get_task(services(), task_id, current_actor()))


@bp.post("/tasks/<task_id>/claim")
def claim_task(task_id: str) -> ResponseReturnValue:
    return jsonify(tasks.claim_task(services(), task_id, current_actor()))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim_task(task_id: str) -> ResponseReturnValue:
    return jsonify(tasks.unclaim_task(services(), task_id, current_actor()))


@bp.post("/tasks/<task_id>/assign")
def assign_task(task_id: str) -> ResponseReturnValue:
    body = _json_body()
    return jsonify(tasks.assign_task(services(), task_id, body.get("user"), current_actor()))  # type: ignore[arg-type]


@bp.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> ResponseReturnValue:
    body = _json_body(required=False)
    data = body.get("data", {})
    return jsonify(tasks.complete_task(services(), task_id, data, current_actor()))


@bp.get("/incidents")
def list_incidents() -> ResponseReturnValue:
    resolved = request.args.get("resolved")
    return jsonify(
        incidents.list_incidents(
            services(),
            current_actor(),
            resolved=None if resolved == "all" else resolved in ("1", "true"),
            page=_int_arg("page", 1),
            per_page=_int_arg("per_page", 50),
        )
    )


@bp.post("/incidents/<int:incident_id>/retry")
def retry_incident(incident_id: int) -> ResponseReturnValue:
    body = _json_body(required=False)
    return jsonify(incidents.retry_incident(services(), incident_id, current_actor(), body.get("data")))


@bp.get("/clock")
def get_clock() -> ResponseReturnValue:
    return jsonify(clock_service.get_clock(services(), current_actor()))


@bp.post("/clock")
def move_clock() -> ResponseReturnValue:
    body = _json_body(required=False)
    result = clock_service.move_clock(
        services(), current_actor(), add=body.get("add"), set_to=body.get("set")
    )
    return jsonify(result)
