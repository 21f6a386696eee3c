"""``/tasks/<id>``: the case summary, its history and attachments, and the task's form.

One POST takes every button of the form: complete, save draft, add or remove a row. Whatever
happens, what the user typed is shown again; a task someone else took or finished meanwhile
gets a clear page with the way back to the inbox, never a 500.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ...errors import Conflict, InvalidData, TaskHeldByOther, TaskNotOpen
from ...service import attachments, drafts, instances, tasks
from ...service.context import Actor
from ...service.results import TaskDetail
from ..auth import services
from ..error_texts import error_text
from ..forms import field_errors, parse_form, render_form
from ..i18n import current_language
from ..shell import require_page_actor
from ..uploads import store_uploads
from . import bp
from .case_view import case_view


def conflict_message(error: Conflict) -> str:
    if isinstance(error, TaskHeldByOther):
        return _("Someone else claimed this task meanwhile.")
    if isinstance(error, TaskNotOpen):
        return _("This task was completed or cancelled meanwhile.")
    return _("The case changed meanwhile: %(reason)s", reason=error_text(error))


@bp.get("/tasks/<task_id>")
def task_page(task_id: str) -> ResponseReturnValue:
    actor = require_page_actor()
    task = tasks.get_task(services(), task_id, actor)
    if task.status != "open":
        return _closed(task)
    draft = drafts.get_draft(services(), task_id, actor)
    return _render(actor, task, draft if draft is not None else task.data, [], restored=draft is not None)


@bp.post("/tasks/<task_id>")
def submit_task(task_id: str) -> ResponseReturnValue:
    actor = require_page_actor()
    task = tasks.get_task(services(), task_id, actor)
    if task.status != "open":
        return _closed(task)
    schema = task.schema or {"type": "object", "properties": {}}
    parsed = parse_form(schema, request.form, services().settings.business_tz, request.files)
    language = current_language()
    if parsed.row_action is not None:
        return _render(actor, task, parsed.rows_changed(), [])
    try:
        data = store_uploads(actor, task.instance_id, schema, parsed.data, parsed.files, task_id=task_id)
    except InvalidData as error:
        return _render(actor, task, parsed.data, field_errors(error, language), status=400)
    if request.form.get("_action") == "draft":
        try:
            drafts.save_draft(services(), task_id, data, actor)
        except Conflict as error:
            return _conflict(task, error)
        flash(_("Draft saved. It is kept for you until the task is completed."), "info")
        return redirect(url_for("tasks.task_page", task_id=task_id))
    if parsed.errors:
        return _render(actor, task, data, field_errors(parsed.errors, language), status=400)
    try:
        tasks.complete_task(services(), task_id, data, actor)
    except InvalidData as error:
        return _render(actor, task, data, field_errors(error, language), status=400)
    except Conflict as error:
        return _conflict(task, error)
    flash(_("Task completed: %(name)s, %(case)s.", name=task.name, case=task.business_key), "info")
    following = _next_task(actor, task_id)
    return redirect(url_for("tasks.task_page", task_id=following) if following else url_for("tasks.inbox"))


def _render(
    actor: Actor,
    task: TaskDetail,
    data: dict[str, Any],
    errors: list[dict[str, Any]],
    status: int = 200,
    restored: bool = False,
) -> ResponseReturnValue:
    detail = instances.get_instance(services(), task.instance_id, actor)
    events = instances.list_events(services(), task.instance_id, actor).items
    files = attachments.list_attachments(services(), actor, task.instance_id)
    names = {f.id: f.filename for f in files}
    form = render_form(task.schema, data, errors, current_language(), names) if task.schema else None
    return (
        render_template(
            "tasks/task.html",
            task=task,
            case=case_view(detail, task.data),
            events=list(reversed(events)),
            form=form,
            errors=errors,
            files=files,
            restored=restored,
            now=services().clock.now(),
        ),
        status,
    )


def _closed(task: TaskDetail) -> ResponseReturnValue:
    message = (
        _("This task was completed by %(who)s.", who=task.completed_by)
        if task.status == "completed"
        else _("This task was cancelled: its case moved on without it.")
    )
    return render_template("tasks/closed.html", task=task, message=message), 409


def _conflict(task: TaskDetail, error: Conflict) -> ResponseReturnValue:
    return render_template("tasks/closed.html", task=task, message=conflict_message(error)), 409


def _next_task(actor: Actor, done: str) -> str | None:
    """The next task of the inbox to open after completing one: mine first, then my groups'."""
    for view in ("mine", "groups"):
        found = tasks.list_tasks(services(), actor, view=view, per_page=2)
        for item in found.items:
            if item.id != done:
                return item.id
    return None
