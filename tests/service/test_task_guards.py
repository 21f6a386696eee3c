"""Task writes name the state they were decided on: a task that changed since it was read is not overwritten.

On PostgreSQL a command reads the task in the statement that waits for the instance's lock, so
what it read may predate a command that committed meanwhile; these tests hand a command such a
stale read and check the write refuses instead of acting on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from support import AGENT

from rma_orchestrator.errors import TaskHeldByOther, TaskNotOpen
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.instances import get_instance
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.service.tasks import claim_task, complete_task, get_task
from rma_orchestrator.store.instances import InstanceRepository

Start = Callable[..., InstanceInfo]
OTHER_AGENT = Actor("cs2", "staff", frozenset({"customer_service"}))


def _read_as_before(monkeypatch: pytest.MonkeyPatch, **as_before: object) -> None:
    """Make the next commands read the task as it was before a concurrent command changed it."""
    original = InstanceRepository.lock_with_task

    def stale(self: InstanceRepository, task_id: str):  # type: ignore[no-untyped-def]
        found = original(self, task_id)
        assert found is not None
        instance, task = found
        return instance, dataclasses.replace(task, **as_before)

    monkeypatch.setattr(InstanceRepository, "lock_with_task", stale)


def test_completing_a_task_another_user_claimed_meanwhile_is_refused(
    deployed: Services, start_order: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_order(amount=500)
    (task,) = get_instance(deployed, started.id, AGENT).tasks
    claim_task(deployed, task.id, OTHER_AGENT)
    _read_as_before(monkeypatch, assignee=None)
    with pytest.raises(TaskHeldByOther, match="claimed by cs2"):
        complete_task(deployed, task.id, {"approved": True}, AGENT)
    monkeypatch.undo()
    after = get_task(deployed, task.id, AGENT)
    assert (after.status, after.assignee) == ("open", "cs2")


def test_claiming_a_task_completed_meanwhile_is_refused(
    deployed: Services, start_order: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_order(amount=500)
    (task,) = get_instance(deployed, started.id, AGENT).tasks
    complete_task(deployed, task.id, {"approved": True}, AGENT)
    _read_as_before(monkeypatch, status="open", assignee=None, completed_at=None, completed_by=None)
    with pytest.raises(TaskNotOpen):
        claim_task(deployed, task.id, OTHER_AGENT)
    monkeypatch.undo()
    after = get_task(deployed, task.id, AGENT)
    assert (after.status, after.assignee, after.completed_by) == ("completed", "cs1", "cs1")
