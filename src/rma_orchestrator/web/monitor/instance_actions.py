"""The managers' actions on ``/monitor/instances/<id>``: cancel, suspend, resume, reassign a task, retry
an incident with corrected data. Each needs a reason (the page insists; the API does not), which goes
into the audit trail. A refused action changes nothing and shows the page again, the problem at its
form and everything typed kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ...errors import Conflict, InvalidData, NotFound
from ...service import incidents, instances, tasks
from ..auth import services
from ..error_texts import TEXTS, error_text
from ..shell import require_page_actor
from . import bp
from .instance_page import ActionProblem, render_instance


@bp.post("/instances/<int:instance_id>/cancel")
def cancel(instance_id: int) -> ResponseReturnValue:
    return _act(instance_id, "cancel", instances.cancel_instance, _("Case cancelled."))


@bp.post("/instances/<int:instance_id>/suspend")
def suspend(instance_id: int) -> ResponseReturnValue:
    return _act(instance_id, "suspend", instances.suspend_instance, _("Case suspended."))


@bp.post("/instances/<int:instance_id>/resume")
def resume(instance_id: int) -> ResponseReturnValue:
    return _act(instance_id, "resume", instances.resume_instance, _("Case resumed."))


@bp.post("/instances/<int:instance_id>/tasks/<task_id>/assign")
def assign(instance_id: int, task_id: str) -> ResponseReturnValue:
    actor = require_page_actor()
    _task_of(instance_id, task_id)
    user = request.form.get("user", "").strip()
    form, typed = f"assign:{task_id}", {"user": user, "reason": request.form.get("reason", "")}
    if not user:
        return _refused(instance_id, form, _("Choose who takes the task."), typed)

    def run(reason: str) -> None:
        tasks.assign_task(services(), task_id, user, actor, reason=reason)

    return _run(instance_id, form, typed, run, _("Task assigned to %(user)s.", user=user))


@bp.post("/instances/<int:instance_id>/incidents/<int:incident_id>/retry")
def retry(instance_id: int, incident_id: int) -> ResponseReturnValue:
    actor = require_page_actor()
    detail = instances.get_instance(services(), instance_id, actor)
    if incident_id not in {i.id for i in detail.incidents}:
        raise NotFound(f"incident {incident_id} is not one of case {detail.business_key}")
    raw = request.form.get("data", "")
    form, typed = f"retry:{incident_id}", {"data": raw, "reason": request.form.get("reason", "")}
    data: dict[str, Any] | None = None
    if raw.strip():
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as error:
            message = _(
                "The corrected data is not valid JSON (line %(line)d, column %(column)d): %(error)s",
                line=error.lineno,
                column=error.colno,
                error=error.msg,
            )
            return _refused(instance_id, form, message, typed)
        if not isinstance(parsed, dict):
            message = _('The corrected data must be a JSON object in braces, e.g. {"parts": 2}.')
            return _refused(instance_id, form, message, typed)
        data = parsed

    def run(reason: str) -> None:
        result = incidents.retry_incident(services(), incident_id, actor, data, reason=reason)
        if result.new_incident:
            flash(_("The step failed again: see the new incident."), "error")

    return _run(instance_id, form, typed, run, _("Incident retried."))


def _act(instance_id: int, form: str, command: Callable[..., Any], done: str) -> ResponseReturnValue:
    actor = require_page_actor()
    typed = {"reason": request.form.get("reason", "")}

    def run(reason: str) -> None:
        command(services(), instance_id, actor, reason=reason)

    return _run(instance_id, form, typed, run, done)


def _run(
    instance_id: int, form: str, typed: dict[str, str], run: Callable[[str], None], done: str
) -> ResponseReturnValue:
    """Run the action with its reason; a missing reason, bad input or a conflict shows the page again."""
    reason = typed["reason"].strip()
    if not reason:
        return _refused(instance_id, form, _("Give a reason: it goes into the case's audit trail."), typed)
    try:
        run(reason)
    except InvalidData as error:
        return _refused(instance_id, form, _problem_text(error), typed)
    except Conflict as error:
        message = _("The case changed meanwhile: %(reason)s", reason=error_text(error))
        problem = ActionProblem(form, message, typed, at_form=False)
        return render_instance(require_page_actor(), instance_id, problem, 409)
    flash(done, "info")
    return redirect(url_for("monitor.instance_page", instance_id=instance_id))


def _refused(instance_id: int, form: str, message: str, typed: dict[str, str]) -> ResponseReturnValue:
    return render_instance(require_page_actor(), instance_id, ActionProblem(form, message, typed), 400)


def _task_of(instance_id: int, task_id: str) -> None:
    """A task of another case is not found here (the URL names the case it belongs to)."""
    task = tasks.get_task(services(), task_id, require_page_actor())
    if task.instance_id != instance_id:
        raise NotFound(f"task {task_id} is not a task of process instance {instance_id}")


def _problem_text(error: InvalidData) -> str:
    if error.code in TEXTS:
        return error_text(error)
    fields = {"reason": _("Reason"), "user": _("User"), "data": _("Corrected data")}
    parts = []
    for item in error.items:
        name = str(item.get("field") or "")
        label = fields.get(name.split(".")[0], name)
        parts.append(f"{label}: {item.get('message', error.message)}" if label else str(item.get("message")))
    return "; ".join(parts) or error.message
