"""The JSON API under /api/v1: each view parses, calls one service function, returns its result."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...errors import InvalidData, NotFound
from ...service import (
    attachments,
    definitions,
    drafts,
    incidents,
    instances,
    messages,
    paging,
    saved_filters,
    tasks,
)
from ...service import clock as clock_service
from ...service.results import (
    AttachmentInfo,
    ClockMove,
    ClockReading,
    DefinitionInfo,
    Delivery,
    DeployResult,
    DraftInfo,
    EventInfo,
    InboxTask,
    IncidentInfo,
    InstanceDetail,
    InstanceInfo,
    Page,
    RetryResult,
    SavedFilterInfo,
    TaskDetail,
    TaskInfo,
)
from ...service.uploads import THUMBNAIL_TYPE, megabytes, too_large
from ..auth import current_actor, services
from ..downloads import send_attachment
from .bodies import (
    AssignBody,
    ClockBody,
    CompleteBody,
    DraftBody,
    MessageBody,
    RetryBody,
    SavedFilterBody,
    StartBody,
)
from .operations import MAX_BODY_BYTES, Multipart, operation, parse_body

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The query parameters' schemas: an empty value counts as not given.
TEXT: dict[str, Any] = {"type": "string"}
FLAG: dict[str, Any] = {"type": "string", "description": "on for 1, true or yes; anything else is off"}
RESOLVED: dict[str, Any] = {"type": "string", "description": "true or 1: resolved ones; all: every one"}
PAGING: dict[str, dict[str, Any]] = {
    "page": {"type": "integer", "minimum": 1, "maximum": paging.MAX_PAGE, "default": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": paging.MAX_PER_PAGE, "default": 50},
}


def _one_of(values: tuple[str, ...], empty: str) -> dict[str, Any]:
    return {"type": "string", "enum": [*values, ""], "description": f"empty: {empty}"}

TASK_ERRORS = (403, 404, 409)
INBOX_QUERY: dict[str, dict[str, Any]] = {
    "view": _one_of(tasks.INBOX_VIEWS, "every task the caller may see"),
    "assignee": {"type": "string", "description": "a user name, or me"},
    "group": TEXT,
    "kind": _one_of(tasks.CASE_KINDS, "every kind"),
    "status": _one_of(tasks.TASK_STATUSES, "every status (open when not given)"),
    "overdue": FLAG,
    "q": {"type": "string", "description": "part of the RMA number, order number, customer name or phone"},
    **PAGING,
}


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


@operation(bp, "get", "/openapi.json", summary="This document", returns=dict[str, Any], auth=False)
def openapi() -> Any:
    from ..openapi import openapi_document

    return jsonify(openapi_document())


@operation(
    bp,
    "post",
    "/deployments",
    summary="Deploy .bpmn, .dmn and .json form files (201 new versions, 200 all identical)",
    returns=DeployResult,
    status=201,
    also=(200,),
    errors=(400, 403, 422),
    body=Multipart({"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}),
    query={"dry_run": FLAG},
)
def deploy() -> Any:
    actor = current_actor()
    files: dict[str, bytes] = {}
    for storage in request.files.getlist("files"):
        name = storage.filename or ""
        if name in files:
            raise InvalidData("duplicate file", [{"field": "files", "message": f"{name} uploaded twice"}])
        files[name] = storage.read()
    result = definitions.deploy(services(), files, actor, dry_run=_bool_arg("dry_run"))
    return result, 201 if result.created and not result.dry_run else 200


@operation(
    bp, "get", "/process-definitions", summary="Latest version of every process", returns=Page[DefinitionInfo]
)
def list_definitions() -> Page[DefinitionInfo]:
    items = definitions.list_definitions(services(), current_actor())
    return Page(items, len(items), 1, max(len(items), 1))


@operation(
    bp,
    "get",
    "/process-definitions/<key>/versions/<int:version>/bpmn",
    summary="BPMN XML of one version",
    returns=str,
    errors=(404,),
    media_type="application/xml",
)
def definition_xml(key: str, version: int) -> Response:
    xml = definitions.get_definition_xml(services(), key, version, current_actor())
    return Response(xml, mimetype="application/xml")


@operation(
    bp,
    "post",
    "/process-instances",
    summary="Start an instance",
    returns=InstanceInfo,
    status=201,
    errors=(400, 403, 404, 409),
    body=StartBody,
)
def start_instance() -> InstanceInfo:
    body = parse_body(StartBody)
    return instances.start_instance(
        services(), body.process_key, body.data, current_actor(), body.business_key
    )


@operation(
    bp,
    "get",
    "/process-instances",
    summary="List instances",
    returns=Page[InstanceInfo],
    errors=(400,),
    query={
        "status": _one_of(instances.STATUSES, "every status"),
        "process_key": TEXT,
        "business_key": TEXT,
        **PAGING,
    },
)
def list_instances() -> Page[InstanceInfo]:
    return instances.list_instances(
        services(),
        current_actor(),
        status=request.args.get("status") or None,
        process_key=request.args.get("process_key") or None,
        business_key=request.args.get("business_key") or None,
        page=_int_arg("page", 1),
        per_page=_int_arg("per_page", 50),
    )


@operation(
    bp,
    "get",
    "/process-instances/<int:instance_id>",
    summary="One instance",
    returns=InstanceDetail,
    errors=(404,),
)
def get_instance(instance_id: int) -> InstanceDetail:
    return instances.get_instance(services(), instance_id, current_actor())


@operation(
    bp,
    "get",
    "/process-instances/<int:instance_id>/events",
    summary="Audit trail",
    returns=Page[EventInfo],
    errors=(404,),
)
def instance_events(instance_id: int) -> Page[EventInfo]:
    return instances.list_events(services(), instance_id, current_actor())


def _instance_action(name: str, command: Any) -> None:
    def view(instance_id: int) -> InstanceInfo:
        result: InstanceInfo = command(services(), instance_id, current_actor())
        return result

    view.__name__ = f"{name}_instance"
    operation(
        bp,
        "post",
        f"/process-instances/<int:instance_id>/{name}",
        summary=f"{name.title()} an instance (managers)",
        returns=InstanceInfo,
        errors=(403, 404, 409),
    )(view)


_instance_action("cancel", instances.cancel_instance)
_instance_action("suspend", instances.suspend_instance)
_instance_action("resume", instances.resume_instance)


@operation(
    bp,
    "post",
    "/messages",
    summary="Deliver or keep a message",
    returns=Delivery,
    status=202,
    errors=(400, 403, 404, 409),
    body=MessageBody,
)
def deliver_message() -> Delivery:
    body = parse_body(MessageBody)
    return messages.deliver_message(
        services(),
        body.name,
        body.business_key,
        body.payload,
        current_actor(),
        idempotency_key=body.idempotency_key,
    )


@operation(
    bp,
    "get",
    "/tasks",
    summary="List tasks, the next deadline first (the inbox)",
    returns=Page[InboxTask],
    errors=(400, 403),
    query=INBOX_QUERY,
)
def list_tasks() -> Page[InboxTask]:
    return tasks.list_tasks(
        services(),
        current_actor(),
        assignee=request.args.get("assignee") or None,
        group=request.args.get("group") or None,
        status=request.args.get("status", "open") or None,
        overdue=_bool_arg("overdue"),
        page=_int_arg("page", 1),
        per_page=_int_arg("per_page", 50),
        view=request.args.get("view") or None,
        kind=request.args.get("kind") or None,
        q=request.args.get("q") or None,
    )


@operation(
    bp, "get", "/tasks/<task_id>", summary="One task with its form", returns=TaskDetail, errors=(403, 404)
)
def get_task(task_id: str) -> TaskDetail:
    return tasks.get_task(services(), task_id, current_actor())


@operation(bp, "post", "/tasks/<task_id>/claim", summary="Claim a task", returns=TaskInfo, errors=TASK_ERRORS)
def claim_task(task_id: str) -> TaskInfo:
    return tasks.claim_task(services(), task_id, current_actor())


@operation(
    bp, "post", "/tasks/<task_id>/unclaim", summary="Unclaim a task", returns=TaskInfo, errors=TASK_ERRORS
)
def unclaim_task(task_id: str) -> TaskInfo:
    return tasks.unclaim_task(services(), task_id, current_actor())


@operation(
    bp,
    "post",
    "/tasks/<task_id>/assign",
    summary="Assign to a user (managers)",
    returns=TaskInfo,
    errors=(400, *TASK_ERRORS),
    body=AssignBody,
)
def assign_task(task_id: str) -> TaskInfo:
    body = parse_body(AssignBody)
    return tasks.assign_task(services(), task_id, body.user, current_actor())


@operation(
    bp,
    "post",
    "/tasks/<task_id>/complete",
    summary="Complete with form data",
    returns=TaskInfo,
    errors=(400, *TASK_ERRORS),
    body=CompleteBody,
)
def complete_task(task_id: str) -> TaskInfo:
    body = parse_body(CompleteBody, required=False)
    return tasks.complete_task(services(), task_id, body.data, current_actor())


@operation(
    bp,
    "put",
    "/tasks/<task_id>/draft",
    summary="Save your draft of an open task's form",
    returns=DraftInfo,
    errors=(400, *TASK_ERRORS),
    body=DraftBody,
)
def save_draft(task_id: str) -> DraftInfo:
    body = parse_body(DraftBody)
    return drafts.save_draft(services(), task_id, body.data, current_actor())


@operation(
    bp,
    "get",
    "/tasks/<task_id>/draft",
    summary="Your draft of a task's form (404 when you saved none)",
    returns=DraftInfo,
    errors=(403, 404),
)
def get_draft(task_id: str) -> DraftInfo:
    found = drafts.find_draft(services(), task_id, current_actor())
    if found is None:
        raise NotFound(f"you have no draft of task {task_id}")
    return found


@operation(
    bp,
    "delete",
    "/tasks/<task_id>/draft",
    summary="Drop your draft of a task's form",
    returns=None,
    status=204,
    errors=(403, 404),
)
def delete_draft(task_id: str) -> Response:
    drafts.delete_draft(services(), task_id, current_actor())
    return Response(status=204)


@operation(
    bp, "get", "/saved-filters", summary="Your saved inbox filters, by name", returns=Page[SavedFilterInfo]
)
def list_saved_filters() -> Page[SavedFilterInfo]:
    items = saved_filters.list_filters(services(), current_actor())
    return Page(items, len(items), 1, max(len(items), 1))


@operation(
    bp,
    "put",
    "/saved-filters/<name>",
    summary="Save an inbox filter under a name (replacing one of that name)",
    returns=SavedFilterInfo,
    errors=(400,),
    body=SavedFilterBody,
)
def save_filter(name: str) -> SavedFilterInfo:
    body = parse_body(SavedFilterBody)
    return saved_filters.save_filter(services(), name, body.query, current_actor())


@operation(
    bp,
    "delete",
    "/saved-filters/<name>",
    summary="Delete one of your saved inbox filters",
    returns=None,
    status=204,
    errors=(404,),
)
def delete_filter(name: str) -> Response:
    saved_filters.delete_filter(services(), name, current_actor())
    return Response(status=204)


@operation(
    bp,
    "get",
    "/incidents",
    summary="List incidents (resolved=true|all; open ones by default)",
    returns=Page[IncidentInfo],
    errors=(400,),
    query={"resolved": RESOLVED, **PAGING},
)
def list_incidents() -> Page[IncidentInfo]:
    resolved = request.args.get("resolved")
    return incidents.list_incidents(
        services(),
        current_actor(),
        resolved=None if resolved == "all" else resolved in ("1", "true"),
        page=_int_arg("page", 1),
        per_page=_int_arg("per_page", 50),
    )


@operation(
    bp,
    "post",
    "/incidents/<int:incident_id>/retry",
    summary="Retry the failed step with corrected data (managers)",
    returns=RetryResult,
    errors=(400, 403, 404, 409),
    body=RetryBody,
)
def retry_incident(incident_id: int) -> RetryResult:
    body = parse_body(RetryBody, required=False)
    return incidents.retry_incident(services(), incident_id, current_actor(), body.data)


@operation(
    bp,
    "get",
    "/clock",
    summary="Controlled time (RMA_CONTROLLED_CLOCK=1 only)",
    returns=ClockReading,
    errors=(403, 404),
)
def get_clock() -> ClockReading:
    return clock_service.get_clock(services(), current_actor())


@operation(
    bp,
    "post",
    "/clock",
    summary="Move the controlled clock, firing what falls due",
    returns=ClockMove,
    errors=(400, 403, 404),
    body=ClockBody,
)
def move_clock() -> ClockMove:
    body = parse_body(ClockBody, required=False)
    return clock_service.move_clock(services(), current_actor(), add=body.add, set_to=body.set)


# ---- attachments --------------------------------------------------------------------------------------

UPLOAD_PARTS: dict[str, dict[str, Any]] = {
    "file": {"type": "string", "format": "binary", "description": "JPEG, PNG, WebP or PDF"},
    "kind": {"type": "string", "enum": list(attachments.KINDS), "default": "other"},
}
MULTIPART_SLACK = 64 * 1024  # bytes of part headers and boundaries allowed beyond the file itself
FILE_TYPES = ("image/png", "image/webp", "application/pdf")  # besides image/jpeg


def _upload() -> tuple[str, str | None, bytes]:
    """The upload's (kind, file name, bytes); a body too large is refused before it is read (413)."""
    limit = services().settings.max_upload_mb
    request.max_content_length = min(MAX_BODY_BYTES, megabytes(limit) + MULTIPART_SLACK)
    try:
        parts = request.files.getlist("file")
        kind = request.form.get("kind", "other")
    except RequestEntityTooLarge:
        raise RequestEntityTooLarge(too_large(limit)) from None
    if len(parts) != 1:
        problem = "send the file in one part named file" if not parts else "send one file per upload"
        raise InvalidData("no file", [{"field": "file", "message": problem}])
    return kind, parts[0].filename, parts[0].read()


@operation(
    bp,
    "post",
    "/attachments",
    summary="Upload a file for a case not started yet (staged: only you see it, your next start uses it)",
    returns=AttachmentInfo,
    status=201,
    errors=(400, 403),
    body=Multipart(UPLOAD_PARTS, required=("file",)),
)
def stage_attachment() -> AttachmentInfo:
    kind, filename, content = _upload()
    return attachments.add_attachment(services(), current_actor(), None, kind, filename, content)


@operation(
    bp,
    "post",
    "/process-instances/<int:instance_id>/attachments",
    summary="Upload a photo, proof of purchase or evidence to a case",
    returns=AttachmentInfo,
    status=201,
    errors=(400, 403, 404, 409),
    body=Multipart(
        {**UPLOAD_PARTS, "task_id": {"type": "string", "description": "the task whose form it comes with"}},
        required=("file",),
    ),
)
def add_attachment(instance_id: int) -> AttachmentInfo:
    kind, filename, content = _upload()
    task_id = request.form.get("task_id") or None
    return attachments.add_attachment(
        services(), current_actor(), instance_id, kind, filename, content, task_id=task_id
    )


@operation(
    bp,
    "get",
    "/process-instances/<int:instance_id>/attachments",
    summary="A case's attachments in upload order",
    returns=Page[AttachmentInfo],
    errors=(403, 404),
)
def list_attachments(instance_id: int) -> Page[AttachmentInfo]:
    items = attachments.list_attachments(services(), current_actor(), instance_id)
    return Page(items, len(items), 1, max(len(items), 1))


@operation(
    bp,
    "get",
    "/attachments/<int:attachment_id>",
    summary="One attachment",
    returns=AttachmentInfo,
    errors=(403, 404),
)
def get_attachment(attachment_id: int) -> AttachmentInfo:
    return attachments.get_attachment(services(), current_actor(), attachment_id)


@operation(
    bp,
    "get",
    "/attachments/<int:attachment_id>/content",
    summary="The file itself, as a download of the type its bytes showed at upload",
    returns=bytes,
    errors=(403, 404),
    media_type="image/jpeg",
    also_media=FILE_TYPES,
)
def attachment_content(attachment_id: int) -> Response:
    info, path = attachments.attachment_file(services(), current_actor(), attachment_id)
    return send_attachment(info, path)


@operation(
    bp,
    "get",
    "/attachments/<int:attachment_id>/thumbnail",
    summary="A JPEG of an image attachment, at most 320 pixels on its longest side (404 for PDFs)",
    returns=bytes,
    errors=(403, 404),
    media_type=THUMBNAIL_TYPE,
)
def attachment_thumbnail(attachment_id: int) -> Response:
    info, path = attachments.attachment_file(services(), current_actor(), attachment_id, thumbnail=True)
    return send_attachment(info, path, thumbnail=True)
