"""Human tasks: list, read, claim, unclaim, assign and complete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..engine import runtime
from ..errors import Conflict, Forbidden, InvalidData, NotFound, TaskHeldByOther, TaskNotOpen
from ..store.models import HumanTask, ProcessInstance, User
from ..store.uow import UnitOfWork
from . import audit, steps
from .context import Actor, Services
from .forms import validate_form
from .instances import paginate
from .permissions import require_role
from .views import task_view

TASK_STATUSES = ("open", "completed", "cancelled")


def list_tasks(
    services: Services,
    actor: Actor,
    assignee: str | None = None,
    group: str | None = None,
    status: str | None = "open",
    overdue: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """Tasks the actor may see: their groups' and their own (managers and analysts see all)."""
    if status is not None and status not in TASK_STATUSES:
        raise InvalidData(
            "unknown status", [{"field": "status", "message": f"must be one of {', '.join(TASK_STATUSES)}"}]
        )
    query = select(HumanTask, ProcessInstance.business_key).join(
        ProcessInstance, ProcessInstance.id == HumanTask.instance_id
    )
    if status:
        query = query.where(HumanTask.status == status)
    if assignee:
        query = query.where(HumanTask.assignee == (actor.name if assignee == "me" else assignee))
    if group:
        query = query.where(HumanTask.group == group)
    if overdue:
        query = query.where(HumanTask.due_at.is_not(None), HumanTask.due_at < services.clock.now())
    if not actor.has_role("manager", "analyst"):
        query = query.where(HumanTask.group.in_(actor.groups) | (HumanTask.assignee == actor.name))
    order = [HumanTask.created_at, HumanTask.id]
    return paginate(services, query, task_view, order, page, per_page, tuples=True)


def get_task(services: Services, task_id: str, actor: Actor) -> dict[str, Any]:
    """The task with its form schema and the data the form starts from."""
    with services.database.read() as session:
        task, instance = _load(session, task_id)
        _check_may_see(actor, task)
        result = task_view(task, instance.business_key)
        definition = services.definitions.get(instance.definition_id)
        result["form"] = task.form
        result["schema"] = definition.forms.get(task.form) if task.form else None
        result["data"] = instance.data
    if task.status == "open":
        workflow = steps.restore(services, instance)
        result["data"] = runtime.task_data(workflow, task_id)
    return result


def claim_task(services: Services, task_id: str, actor: Actor) -> dict[str, Any]:
    with services.clock.pinned() as now, services.uow() as uow:
        task, instance = _lock_open(uow, task_id)
        if not actor.may_work(task.group):
            raise Forbidden(f"{actor.name} is not in the group {task.group} of this task")
        if task.assignee not in (None, actor.name):
            raise TaskHeldByOther(f"task {task_id} is claimed by {task.assignee}")
        task.assignee = actor.name
        audit.record(
            uow.session, instance.id, "task_claimed", now, actor.name, task.element_id, task_id=task.id
        )
        uow.commit()
        return task_view(task, instance.business_key)


def unclaim_task(services: Services, task_id: str, actor: Actor) -> dict[str, Any]:
    with services.clock.pinned() as now, services.uow() as uow:
        task, instance = _lock_open(uow, task_id)
        if task.assignee != actor.name and not actor.has_role("manager"):
            raise TaskHeldByOther(f"task {task_id} is claimed by {task.assignee or 'nobody'}")
        task.assignee = None
        audit.record(
            uow.session, instance.id, "task_unclaimed", now, actor.name, task.element_id, task_id=task.id
        )
        uow.commit()
        return task_view(task, instance.business_key)


def assign_task(services: Services, task_id: str, user: str, actor: Actor) -> dict[str, Any]:
    require_role(actor, "manager")
    with services.clock.pinned() as now, services.uow() as uow:
        task, instance = _lock_open(uow, task_id)
        if not isinstance(user, str) or uow.session.scalar(select(User.id).where(User.name == user)) is None:
            raise InvalidData("unknown user", [{"field": "user", "message": f"no user named {user!r}"}])
        task.assignee = user
        audit.record(
            uow.session,
            instance.id,
            "task_assigned",
            now,
            actor.name,
            task.element_id,
            task_id=task.id,
            assignee=user,
        )
        uow.commit()
        return task_view(task, instance.business_key)


def complete_task(
    services: Services, task_id: str, data: dict[str, Any] | None, actor: Actor
) -> dict[str, Any]:
    """Validate ``data`` against the task's form, complete it and run on; claims implicitly."""
    data = data if data is not None else {}
    with services.clock.pinned() as now, services.uow() as uow:
        task, instance = _lock_open(uow, task_id)
        if not actor.may_work(task.group):
            raise Forbidden(f"{actor.name} is not in the group {task.group} of this task")
        if task.assignee not in (None, actor.name) and not actor.has_role("manager"):
            raise TaskHeldByOther(f"task {task_id} is claimed by {task.assignee}")
        definition = services.definitions.get(instance.definition_id)
        if task.form:
            validate_form(task.form, definition.forms[task.form], data)
        elif not isinstance(data, dict):
            raise InvalidData(
                "data must be a JSON object", [{"field": "", "message": "must be a JSON object"}]
            )
        task.status, task.completed_at, task.completed_by = "completed", now, actor.name
        task.assignee = task.assignee or actor.name
        audit.record(
            uow.session, instance.id, "task_completed", now, actor.name, task.element_id, task_id=task.id
        )
        steps.apply(
            services,
            uow,
            instance,
            lambda wf: runtime.complete_user_task(wf, task_id, data),
            actor.name,
            "complete_task",
        )
        uow.commit()
        return task_view(task, instance.business_key)


def _load(session: Any, task_id: str) -> tuple[HumanTask, ProcessInstance]:
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task, session.get(ProcessInstance, task.instance_id)


def _lock_open(uow: UnitOfWork, task_id: str) -> tuple[HumanTask, ProcessInstance]:
    """Lock the task's instance, then check the task is still open and the instance takes work."""
    task = uow.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"task {task_id} not found")
    instance = uow.lock_instance(task.instance_id)
    if not uow.database.is_sqlite:  # read again now that we hold the lock (SQLite held it from BEGIN)
        uow.session.refresh(task)
    if task.status != "open":
        raise TaskNotOpen(f"task {task_id} is {task.status}")
    if instance.status == "suspended":
        raise Conflict(f"instance {instance.id} is suspended; resume it first")
    return task, instance


def _check_may_see(actor: Actor, task: HumanTask) -> None:
    if not (
        actor.has_role("manager", "analyst") or actor.may_work(task.group) or task.assignee == actor.name
    ):
        raise Forbidden(f"{actor.name} may not see tasks of the group {task.group}")
