"""Drafts of task forms: saved and read back by their author only, gone when the task closes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from support import ADMIN, AGENT, MANAGER

from rma_orchestrator.errors import Forbidden, InvalidData, NotFound, TaskHeldByOther, TaskNotOpen
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.drafts import delete_draft, find_draft, get_draft, save_draft
from rma_orchestrator.service.instances import cancel_instance, get_instance
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.service.tasks import claim_task, complete_task
from rma_orchestrator.store.models import TaskDraft

Start = Callable[..., InstanceInfo]
OTHER_AGENT = Actor("cs2", "staff", frozenset({"customer_service"}))
WAREHOUSE = Actor("wh1", "staff", frozenset({"warehouse"}))


def _task(services: Services, start_order: Start) -> tuple[InstanceInfo, str]:
    started = start_order(amount=500)
    return started, get_instance(services, started.id, AGENT).tasks[0].id


def _drafts(services: Services) -> int:
    with services.database.read() as session:
        return int(session.scalar(select(func.count()).select_from(TaskDraft)) or 0)


def test_a_draft_is_saved_replaced_and_restored(deployed: Services, start_order: Start) -> None:
    _, task_id = _task(deployed, start_order)
    assert get_draft(deployed, task_id, AGENT) is None
    saved = save_draft(deployed, task_id, {"note": "half done"}, AGENT)  # incomplete: "approved" missing
    assert saved.task_id == task_id and saved.data == {"note": "half done"}
    assert saved.saved_at == deployed.clock.now()
    move_clock(deployed, ADMIN, add="PT5M")
    again = save_draft(deployed, task_id, {"note": "nearly", "approved": "not a boolean yet"}, AGENT)
    assert again.saved_at > saved.saved_at
    assert get_draft(deployed, task_id, AGENT) == {"note": "nearly", "approved": "not a boolean yet"}
    assert find_draft(deployed, task_id, AGENT) == again
    assert _drafts(deployed) == 1


def test_each_user_reads_only_their_own_draft(deployed: Services, start_order: Start) -> None:
    _, task_id = _task(deployed, start_order)
    save_draft(deployed, task_id, {"note": "mine"}, AGENT)
    assert get_draft(deployed, task_id, OTHER_AGENT) is None
    assert get_draft(deployed, task_id, MANAGER) is None
    save_draft(deployed, task_id, {"note": "the manager's"}, MANAGER)
    assert get_draft(deployed, task_id, AGENT) == {"note": "mine"}
    delete_draft(deployed, task_id, AGENT)
    assert get_draft(deployed, task_id, AGENT) is None
    assert get_draft(deployed, task_id, MANAGER) == {"note": "the manager's"}
    delete_draft(deployed, task_id, AGENT)  # nothing left to drop: no error


def test_completing_the_task_deletes_every_draft_of_it(deployed: Services, start_order: Start) -> None:
    _, task_id = _task(deployed, start_order)
    _, other_task = _task(deployed, start_order)
    save_draft(deployed, task_id, {"note": "a"}, AGENT)
    save_draft(deployed, task_id, {"note": "b"}, OTHER_AGENT)
    save_draft(deployed, other_task, {"note": "stays"}, AGENT)
    complete_task(deployed, task_id, {"approved": False}, AGENT)
    assert get_draft(deployed, task_id, AGENT) is None and get_draft(deployed, task_id, OTHER_AGENT) is None
    assert get_draft(deployed, other_task, AGENT) == {"note": "stays"}
    assert _drafts(deployed) == 1


def test_a_refused_completion_keeps_the_draft(deployed: Services, start_order: Start) -> None:
    _, task_id = _task(deployed, start_order)
    save_draft(deployed, task_id, {"note": "keep me"}, AGENT)
    with pytest.raises(InvalidData):
        complete_task(deployed, task_id, {"approved": "yes"}, AGENT)
    assert get_draft(deployed, task_id, AGENT) == {"note": "keep me"}


def test_cancelling_the_task_deletes_its_drafts(deployed: Services, start_order: Start) -> None:
    started, task_id = _task(deployed, start_order)
    _, timed_out = _task(deployed, start_order)
    save_draft(deployed, task_id, {"note": "a"}, AGENT)
    save_draft(deployed, timed_out, {"note": "b"}, AGENT)
    cancel_instance(deployed, started.id, MANAGER)
    assert get_draft(deployed, task_id, AGENT) is None
    move_clock(deployed, ADMIN, add="PT25H")  # the interrupting 24 h timer cancels the other task
    assert get_draft(deployed, timed_out, AGENT) is None
    assert _drafts(deployed) == 0


def test_a_closed_task_takes_no_draft(deployed: Services, start_order: Start) -> None:
    _, task_id = _task(deployed, start_order)
    complete_task(deployed, task_id, {"approved": False}, AGENT)
    with pytest.raises(TaskNotOpen):
        save_draft(deployed, task_id, {"note": "late"}, AGENT)
    assert _drafts(deployed) == 0


def test_only_those_who_may_work_the_task_save_drafts(deployed: Services, start_order: Start) -> None:
    _, task_id = _task(deployed, start_order)
    with pytest.raises(Forbidden):
        save_draft(deployed, task_id, {"note": "x"}, WAREHOUSE)
    with pytest.raises(Forbidden):
        get_draft(deployed, task_id, WAREHOUSE)
    with pytest.raises(Forbidden):
        delete_draft(deployed, task_id, WAREHOUSE)
    claim_task(deployed, task_id, AGENT)
    with pytest.raises(TaskHeldByOther):
        save_draft(deployed, task_id, {"note": "x"}, OTHER_AGENT)
    assert save_draft(deployed, task_id, {"note": "x"}, MANAGER).data == {"note": "x"}
    with pytest.raises(NotFound):
        save_draft(deployed, "no-such-task", {}, AGENT)
    with pytest.raises(NotFound):
        get_draft(deployed, "\x00", AGENT)
    assert _drafts(deployed) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (["not", "an", "object"], "data"),
        ({"bad": float("nan")}, "data.bad"),
        ({"text": "nul\x00"}, "data.text"),
        ({"big": "x" * (256 * 1024)}, "data"),
    ],
)
def test_draft_data_meets_the_data_rules(
    deployed: Services, start_order: Start, data: object, field: str
) -> None:
    _, task_id = _task(deployed, start_order)
    with pytest.raises(InvalidData) as refused:
        save_draft(deployed, task_id, data, AGENT)  # type: ignore[arg-type]
    assert refused.value.items[0]["field"] == field
    assert _drafts(deployed) == 0


def test_draft_data_nested_too_deeply_is_refused(deployed: Services, start_order: Start) -> None:
    _, task_id = _task(deployed, start_order)
    deep: dict[str, object] = {}
    inner = deep
    for _ in range(40):
        inner["a"] = {}
        inner = inner["a"]  # type: ignore[assignment]
    with pytest.raises(InvalidData, match="bad data"):
        save_draft(deployed, task_id, deep, AGENT)
