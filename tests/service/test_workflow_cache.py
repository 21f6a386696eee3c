"""The live-workflow cache saves restores and never serves a workflow the database does not hold."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import AGENT

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.engine.workflow_cache import WorkflowCache
from rma_orchestrator.service import projection
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.service.tasks import complete_task

Start = Callable[..., InstanceInfo]


def test_a_committed_step_leaves_its_workflow_cached_at_the_new_revision(
    deployed: Services, start_order: Start
) -> None:
    deployed.workflows = WorkflowCache(8)  # whatever size this run gives the other tests
    started = start_order(amount=500)
    assert len(deployed.workflows) == 1
    (task,) = get_instance(deployed, started.id, AGENT).tasks
    restores = []
    original = deployed.workflows.take

    def counting_take(instance_id: int, revision: int):  # type: ignore[no-untyped-def]
        workflow = original(instance_id, revision)
        restores.append(workflow is None)
        return workflow

    deployed.workflows.take = counting_take  # type: ignore[method-assign]
    complete_task(deployed, task.id, {"approved": True}, AGENT)
    assert restores == [False]  # the live workflow was reused, not restored


def test_a_rolled_back_step_leaves_nothing_in_the_cache(
    deployed: Services, start_order: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_order(amount=500)
    (task,) = get_instance(deployed, started.id, AGENT).tasks

    def crash(*args: object) -> None:
        raise RuntimeError("crash before commit")

    monkeypatch.setattr(projection._ProjectionStep, "sync_waits", crash)
    with pytest.raises(RuntimeError):
        complete_task(deployed, task.id, {"approved": True}, AGENT)
    assert len(deployed.workflows) == 0  # the half-run workflow is gone with the transaction
    monkeypatch.undo()
    complete_task(deployed, task.id, {"approved": True}, AGENT)
    deliver_message(deployed, "payment_received", started.business_key, {"ref": "P"}, AGENT)
    assert get_instance(deployed, started.id, AGENT).outcome == "end_done"


def test_another_process_writing_the_instance_makes_the_cached_copy_stale(
    deployed: Services, start_order: Start, tmp_path: Path
) -> None:
    other = bootstrap(deployed.settings)  # a second process on the same database
    try:
        started = start_order(amount=500)
        (task,) = get_instance(deployed, started.id, AGENT).tasks
        complete_task(other, task.id, {"approved": True, "note": "by the other process"}, AGENT)
        # this process still caches the workflow as it was before the completion
        deliver_message(deployed, "payment_received", started.business_key, {"ref": "P"}, AGENT)
        done = get_instance(deployed, started.id, AGENT)
        assert (done.status, done.outcome) == ("completed", "end_done")
        assert done.data["note"] == "by the other process" and done.data["payment"] == {"ref": "P"}
    finally:
        other.database.dispose()
