"""``/monitor/instances/<id>``: one case for managers: its diagram at its own version with where it
stands, the audit timeline, the case data, the product's history, pending timers, incidents, and the
actions (``instance_actions``). ``…/diagram.json`` gives the viewer a diagram and its markers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ...service import instances, tasks
from ...service.context import Actor
from ...service.instance_diagrams import InstanceDiagram, get_instance_diagram
from ..auth import services
from ..i18n import local_time, relative_due
from ..shell import require_page_actor
from ..tasks.case_view import case_view
from . import bp


@dataclass(frozen=True)
class ActionProblem:
    """A refused action, shown at its form: which form, what went wrong, what was typed."""

    form: str  # "cancel", "suspend", "resume", "assign:<task id>", "retry:<incident id>"
    message: str
    typed: dict[str, str] = field(default_factory=dict)
    at_form: bool = True  # False: shown above the page (a conflict: the form may be gone by now)


@bp.get("/instances/<int:instance_id>")
def instance_page(instance_id: int) -> ResponseReturnValue:
    return render_instance(require_page_actor(), instance_id)


@bp.get("/instances/<int:instance_id>/diagram.json")
def instance_diagram(instance_id: int) -> ResponseReturnValue:
    """The diagram of the instance's version (``?process=KEY``: a process it calls) with its markers."""
    diagram = get_instance_diagram(services(), instance_id, require_page_actor(), request.args.get("process"))
    response = jsonify(diagram_json(diagram))
    response.headers["Cache-Control"] = "no-store"
    return response


def diagram_json(diagram: InstanceDiagram) -> dict[str, Any]:
    now = services().clock.now()
    return {
        "instance_id": diagram.instance_id,
        "process_key": diagram.process_key,
        "top_process_key": diagram.top_process_key,
        "version": diagram.version,
        "xml": diagram.xml,
        "states": {element: entry["state"] for element, entry in diagram.states.items()},
        "calls": diagram.calls,
        "timers": [
            {
                "element_id": timer.element_id,
                "due_at": timer.due_at.isoformat(),
                "label": _(
                    "due %(time)s (%(left)s)",
                    time=local_time(timer.due_at),
                    left=relative_due(timer.due_at, now),
                ),
            }
            for timer in diagram.timers
        ],
    }


def render_instance(
    actor: Actor, instance_id: int, problem: ActionProblem | None = None, status: int = 200
) -> ResponseReturnValue:
    """The page; after a refused action, with the problem at its form and what was typed kept."""
    detail = instances.get_instance(services(), instance_id, actor)
    events = instances.list_events(services(), instance_id, actor).items
    open_tasks = [t for t in detail.tasks if t.status == "open"]
    groups = {t.group for t in open_tasks}
    assignable = {group: tasks.assignable_users(services(), group, actor) for group in groups}
    page = render_template(
        "monitor/instance.html",
        instance=detail,
        case=case_view(detail, {}),
        events=list(reversed(events)),
        tasks=open_tasks,
        assignable=assignable,
        open_incidents=[i for i in detail.incidents if i.resolved_at is None],
        resolved_incidents=[i for i in detail.incidents if i.resolved_at is not None],
        case_data=json.dumps(detail.data, ensure_ascii=False, indent=2, sort_keys=True, default=str),
        problem=problem,
        case_endpoint="monitor.instance_page",  # the product history's other cases open here too
        now=services().clock.now(),
    )
    return page, status
