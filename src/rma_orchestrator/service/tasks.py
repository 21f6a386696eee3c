"""Human tasks: list, read, claim, unclaim, assign and complete."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..engine.step import CompleteTask
from ..errors import Conflict, InvalidData, NotFound, TaskHeldByOther, TaskNotOpen
from ..store import limits, queries
from ..store import users as stored_users
from ..store.dashboard import FIRST_RESPONSE_STEPS
from ..store.instances import InstanceRecord
from ..store.tasks import TaskRecord
from ..store.uow import UnitOfWork
from . import attachments, permissions
from .context import Actor, Services
from .forms import validate_form
from .inputs import check_data, check_text, check_texts, text_problem
from .instance_step import retried_on_conflict, take_step, write_step
from .paging import check_paging
from .results import InboxTask, Page, TaskDetail, TaskInfo, UserInfo
from .rows import build

TASK_STATUSES = ("open", "completed", "cancelled")
INBOX_VIEWS = ("mine", "groups", "all")
CASE_KINDS = ("return", "exchange", "repair", "complaint")
MAX_SEARCH = 100  # characters of an inbox search


def list_tasks(
    services: Services,
    actor: Actor,
    assignee: str | None = None,
    group: str | None = None,
    status: str | None = "open",
    overdue: bool = False,
    page: int = 1,
    per_page: int = 50,
    *,
    view: str | None = None,
    kind: str | None = None,
    q: str | None = None,
) -> Page[InboxTask]:
    """Tasks the actor may see (their groups' and their own; managers and analysts see all), the
    next deadline first, those without one last.

    ``view`` picks an inbox tab: ``mine`` (held by the actor), ``groups`` (unclaimed ones of the
    actor's groups) or ``all`` (for those who see every task); ``q`` is part of an RMA number,
    order number, customer name or phone, in any case.
    """
    q = q.strip() if isinstance(q, str) else q
    check_inbox_filters(view=view, assignee=assignee, group=group, kind=kind, status=status, q=q)
    check_paging(page, per_page)
    if view == "all":
        permissions.require_may_see_every_task(actor)
    where = queries.TaskFilter(
        status=status,
        assignee=actor.name if assignee == "me" else assignee,
        group=group,
        due_before=services.clock.now() if overdue else None,
        visible_to=permissions.task_visibility(actor),
        in_groups=actor.groups if view == "groups" else None,
        unclaimed=view == "groups",
        kind=kind,
        text=q or None,
    )
    if view == "mine":
        if where.assignee not in (None, actor.name):
            return Page([], 0, page, per_page)
        where = replace(where, assignee=actor.name)
    with services.database.reading() as connection:
        rows, total = queries.list_tasks(connection, where, page, per_page)
    return Page([build(InboxTask, r) for r in rows], total, page, per_page)


def check_inbox_filters(
    *,
    view: str | None = None,
    assignee: str | None = None,
    group: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
) -> None:
    """The inbox's filter values (of ``list_tasks`` and of saved filters): InvalidData naming each bad one."""
    problems = [
        {"field": name, "message": f"must be one of {', '.join(allowed)}"}
        for name, value, allowed in (
            ("status", status, TASK_STATUSES),
            ("view", view, INBOX_VIEWS),
            ("kind", kind, CASE_KINDS),
        )
        if value is not None and value not in allowed
    ]
    if problems:
        raise InvalidData("unknown value", problems)
    check_texts(
        {
            "assignee": (assignee, limits.USER_NAME),
            "group": (group, limits.GROUP_NAME),
            "q": (q, MAX_SEARCH),
        }
    )


def get_task(services: Services, task_id: str, actor: Actor) -> TaskDetail:
    """The task with its form schema and the data the form starts from (from the projection)."""
    check_task_id(task_id)
    with services.database.reading() as connection:
        row = queries.task(connection, task_id)
    if row is None:
        raise NotFound.of("task_not_found", task=task_id)
    permissions.require_may_see_task(actor, row.group, row.assignee)
    definition = services.definitions.get(row.definition_id)
    data = row.data if row.status == "open" and row.data is not None else row.instance_data
    return build(TaskDetail, row, schema=definition.forms.get(row.form) if row.form else None, data=data)


def claim_task(services: Services, task_id: str, actor: Actor) -> TaskInfo:
    with services.clock.pinned() as now, services.uow() as uow:
        task, instance = _lock_open(uow, task_id)
        permissions.require_may_claim(actor, task.group, task.assignee, task_id)
        if not uow.tasks.set_assignee(task, actor.name):
            raise _changed_meanwhile(uow, task_id)
        uow.events.record(instance.id, "task_claimed", now, actor.name, task.element_id, task_id=task_id)
        uow.commit()
        return _with(task, assignee=actor.name)


def unclaim_task(services: Services, task_id: str, actor: Actor) -> TaskInfo:
    with services.clock.pinned() as now, services.uow() as uow:
        task, instance = _lock_open(uow, task_id)
        permissions.require_may_unclaim(actor, task.assignee, task_id)
        if not uow.tasks.set_assignee(task, None):
            raise _changed_meanwhile(uow, task_id)
        uow.events.record(instance.id, "task_unclaimed", now, actor.name, task.element_id, task_id=task_id)
        uow.commit()
        return _with(task, assignee=None)


def assignable_users(services: Services, group: str | None, actor: Actor) -> list[UserInfo]:
    """The active users ``assign_task`` accepts for a task of ``group``: its members first, then the
    managers and admins (who may work any task), each part by name."""
    permissions.require_may_manage_instances(actor)
    check_text("group", group, limits.GROUP_NAME, required=False)
    with services.database.reading() as connection:
        users = stored_users.active_users_in(connection, group, permissions.WORK_EVERY_GROUP)
    allowed = [
        UserInfo(name, role, groups)
        for name, role, groups in users
        if permissions.may_work_group(Actor(name, role, frozenset(groups)), group)
    ]
    return sorted(allowed, key=lambda user: (group not in user.groups, user.name))


def assign_task(
    services: Services, task_id: str, user: str, actor: Actor, reason: str | None = None
) -> TaskInfo:
    """Assign to ``user``, who must be able to work the task (its group, or a manager); ``reason``
    (the monitor asks for one) goes into the audit trail."""
    permissions.require_may_manage_instances(actor)
    check_text("user", user, limits.USER_NAME)
    check_text("reason", reason, limits.ACTION_REASON, required=False)
    with services.clock.pinned() as now, services.uow() as uow:
        task, instance = _lock_open(uow, task_id)
        row = stored_users.user_by_name(uow.connection, user)
        if row is None or not row.active:
            raise InvalidData.of("unknown_user", field="user", user=user)
        assignee = Actor(row.name, row.role, frozenset(stored_users.groups_of(uow.connection, row.id)))
        if not permissions.may_work_group(assignee, task.group):
            if task.group is None:
                raise InvalidData.of("user_managers_only", field="user", user=user)
            raise InvalidData.of("user_not_in_group", field="user", user=user, group=task.group)
        if not uow.tasks.set_assignee(task, user):
            raise _changed_meanwhile(uow, task_id)
        because: dict[str, Any] = {"reason": reason} if reason else {}
        uow.events.record(
            instance.id,
            "task_assigned",
            now,
            actor.name,
            task.element_id,
            task_id=task_id,
            assignee=user,
            **because,
        )
        uow.commit()
        return _with(task, assignee=user)


@retried_on_conflict
def complete_task(services: Services, task_id: str, data: dict[str, Any] | None, actor: Actor) -> TaskInfo:
    """Validate ``data`` against the task's form, complete it and run on; claims implicitly.

    Who may complete it is decided before the data is looked at: a user who may not work the task
    is told so (403), not what is wrong with data they may not submit anyway.
    """
    data = data if data is not None else {}
    with services.clock.pinned() as now, services.uow(optimistic=True) as uow:
        task, instance = _lock_open(uow, task_id)
        permissions.require_may_complete(actor, task.group, task.assignee, task_id)
        check_data("", data)
        definition = services.definitions.get(instance.definition_id)
        files: list[int] = []
        if task.form:
            validate_form(definition, task.form, data, now)
            files = attachments.files_of_task(uow, definition, task.form, data, instance.id)
        elif not isinstance(data, dict):
            raise InvalidData(
                "data must be a JSON object", [{"field": "", "message": "must be a JSON object"}]
            )
        try:  # the engine first, before any write: no write lock while the process runs
            prepared = take_step(services, uow, instance, CompleteTask(task_id, data))
        except KeyError:
            raise TaskNotOpen(f"task {task_id} is no longer open in its process") from None
        assignee = task.assignee or actor.name
        if not uow.tasks.complete(task, now, actor.name, assignee):
            raise _changed_meanwhile(uow, task_id)
        if task.element_id in FIRST_RESPONSE_STEPS:  # the dashboard's time to first response
            uow.instances.note_first_response(instance, now)
        if files:
            uow.attachments.tag_task(files, instance.id, task_id)
        uow.drafts.delete_of_tasks([task_id])
        uow.events.record(instance.id, "task_completed", now, actor.name, task.element_id, task_id=task_id)
        write_step(services, uow, instance, prepared, actor.name, "complete_task")
        uow.commit()
        return _with(task, status="completed", assignee=assignee, completed_at=now, completed_by=actor.name)


def _lock_open(uow: UnitOfWork, task_id: str) -> tuple[TaskRecord, InstanceRecord]:
    """Lock the task's instance and read the task: still open, and the instance takes work?"""
    check_task_id(task_id)
    found = uow.instances.lock_with_task(task_id)
    if found is None:
        raise NotFound.of("task_not_found", task=task_id)
    instance, task = found
    if task.status != "open":
        raise TaskNotOpen.of("task_not_open", task=task_id, status=task.status)
    if instance.status == "suspended":
        raise Conflict.of("instance_suspended", instance=instance.id)
    return task, instance


def check_task_id(task_id: str) -> None:
    """A task id no row can have (NUL, too long) is not found, without asking the database."""
    if text_problem(task_id, limits.TASK_ID) is not None:
        raise NotFound(f"task {task_id!r} not found")


def _changed_meanwhile(uow: UnitOfWork, task_id: str) -> Conflict:
    """A guarded write found the task changed since it was read: say how."""
    now = uow.tasks.get(task_id)
    if now is None or now.status != "open":
        return TaskNotOpen.of("task_not_open", task=task_id, status=now.status if now else "gone")
    return TaskHeldByOther.of("task_claimed_meanwhile", task=task_id, user=now.assignee or "nobody")


def _with(row: TaskRecord, **changes: Any) -> TaskInfo:
    """The task as this command left it."""
    return build(TaskInfo, row, **changes)
