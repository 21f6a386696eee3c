"""The JSON API: tasks, drafts and saved inbox filters."""

from __future__ import annotations

from flask import Response, request

from ...errors import NotFound
from ...service import (
    drafts,
    saved_filters,
    tasks,
)
from ...service.results import (
    DraftInfo,
    InboxTask,
    Page,
    SavedFilterInfo,
    TaskDetail,
    TaskInfo,
)
from ..auth import current_actor, services
from . import bp
from .bodies import (
    AssignBody,
    CompleteBody,
    DraftBody,
    SavedFilterBody,
)
from .operations import operation, parse_body
from .params import INBOX_QUERY, TASK_ERRORS, bool_arg, int_arg


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
        overdue=bool_arg("overdue"),
        page=int_arg("page", 1),
        per_page=int_arg("per_page", 50),
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
    return tasks.assign_task(services(), task_id, body.user, current_actor(), body.reason)


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
