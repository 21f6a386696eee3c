"""Drafts of task forms: saved while a task is open, read back by their author, gone when it closes."""

from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidData, NotFound, TaskNotOpen
from ..store import drafts as stored
from ..store import queries
from . import permissions
from .context import Actor, Services
from .inputs import check_data
from .results import DraftInfo
from .rows import build
from .tasks import check_task_id

MAX_DRAFT_BYTES = 256 * 1024  # of a draft's JSON: a form's worth, with room to spare


def save_draft(services: Services, task_id: str, data: dict[str, Any], actor: Actor) -> DraftInfo:
    """Keep ``data`` as the actor's draft of the open task, replacing an earlier one.

    Whoever may complete the task may save a draft of it; the data is not checked against the
    form (a draft may be incomplete), only against the rules all case data meets.
    """
    check_task_id(task_id)
    if not isinstance(data, dict):
        raise InvalidData("a draft is a JSON object", [{"field": "data", "message": "must be a JSON object"}])
    check_data("data", data)
    size = len(json.dumps(data, ensure_ascii=False).encode())
    if size > MAX_DRAFT_BYTES:
        raise InvalidData(
            "draft too large", [{"field": "data", "message": f"at most {MAX_DRAFT_BYTES} bytes of JSON"}]
        )
    with services.clock.pinned() as now, services.uow() as uow:
        # The instance's lock orders this against completing or cancelling the task: a draft is never
        # left behind by a task that closed meanwhile.
        found = uow.instances.lock_with_task(task_id)
        if found is None:
            raise NotFound(f"task {task_id} not found")
        _, task = found
        if task.status != "open":
            raise TaskNotOpen(f"task {task_id} is {task.status}; drafts are kept for open tasks only")
        permissions.require_may_complete(actor, task.group, task.assignee, task_id)
        uow.drafts.save(task_id, actor.name, data, now)
        uow.commit()
    return DraftInfo(task_id, now, data)


def find_draft(services: Services, task_id: str, actor: Actor) -> DraftInfo | None:
    """The actor's own draft of the task, or None; nobody reads another user's draft."""
    check_task_id(task_id)
    with services.database.reading() as connection:
        task = queries.task(connection, task_id)
        if task is None:
            raise NotFound(f"task {task_id} not found")
        permissions.require_may_see_task(actor, task.group, task.assignee)
        row = stored.draft(connection, task_id, actor.name)
    return build(DraftInfo, row) if row is not None else None


def get_draft(services: Services, task_id: str, actor: Actor) -> dict[str, Any] | None:
    """The data of the actor's own draft of the task (what a form starts from), or None."""
    found = find_draft(services, task_id, actor)
    return found.data if found is not None else None


def delete_draft(services: Services, task_id: str, actor: Actor) -> None:
    """Drop the actor's draft of the task; nothing to drop is no error."""
    check_task_id(task_id)
    with services.uow() as uow:
        task = uow.tasks.get(task_id)
        if task is None:
            raise NotFound(f"task {task_id} not found")
        permissions.require_may_see_task(actor, task.group, task.assignee)
        uow.drafts.delete(task_id, actor.name)
        uow.commit()
