"""Claiming, permissions, concurrency of completions, and message delivery rules."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from support import AGENT, MANAGER

from rma_orchestrator.errors import Conflict, Forbidden, NotFound, TaskHeldByOther, TaskNotOpen
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.instances import get_instance, list_events
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.results import Delivery, InstanceInfo, TaskInfo
from rma_orchestrator.service.tasks import (
    assign_task,
    claim_task,
    complete_task,
    get_task,
    list_tasks,
    unclaim_task,
)
from rma_orchestrator.service.users import add_user
from rma_orchestrator.store.models import MessageInbox

Start = Callable[..., InstanceInfo]
OTHER_AGENT = Actor("cs2", "staff", frozenset({"customer_service"}))
WAREHOUSE = Actor("wh1", "staff", frozenset({"warehouse"}))


def _open_task(services: Services, start_order: Start) -> tuple[InstanceInfo, TaskInfo]:
    started = start_order(amount=500)
    return started, get_instance(services, started.id, AGENT).tasks[0]


def test_claim_unclaim_and_held_by_other(deployed: Services, start_order: Start) -> None:
    _, task = _open_task(deployed, start_order)
    assert claim_task(deployed, task.id, AGENT).assignee == "cs1"
    with pytest.raises(TaskHeldByOther):
        claim_task(deployed, task.id, OTHER_AGENT)
    with pytest.raises(TaskHeldByOther):
        complete_task(deployed, task.id, {"approved": True}, OTHER_AGENT)
    assert unclaim_task(deployed, task.id, AGENT).assignee is None
    assert claim_task(deployed, task.id, OTHER_AGENT).assignee == "cs2"


def test_group_rules(deployed: Services, start_order: Start) -> None:
    _, task = _open_task(deployed, start_order)
    with pytest.raises(Forbidden):
        claim_task(deployed, task.id, WAREHOUSE)
    with pytest.raises(Forbidden):
        complete_task(deployed, task.id, {"approved": True}, WAREHOUSE)
    with pytest.raises(Forbidden):
        get_task(deployed, task.id, WAREHOUSE)
    assert list_tasks(deployed, WAREHOUSE).total == 0
    assert list_tasks(deployed, AGENT, group="customer_service").total == 1


def test_task_detail_has_form_schema_and_data(deployed: Services, start_order: Start) -> None:
    started, task = _open_task(deployed, start_order)
    detail = get_task(deployed, task.id, AGENT)
    assert detail.schema["required"] == ["approved"]
    assert detail.data["amount"] == 500 and detail.business_key == started.business_key


def test_manager_assigns(deployed: Services, start_order: Start) -> None:
    _, task = _open_task(deployed, start_order)
    add_user(deployed, "cs2", ["customer_service"])
    with pytest.raises(Forbidden):
        assign_task(deployed, task.id, "cs2", AGENT)
    assert assign_task(deployed, task.id, "cs2", MANAGER).assignee == "cs2"
    assert list_tasks(deployed, OTHER_AGENT, assignee="me").total == 1


def test_completed_task_is_not_open(deployed: Services, start_order: Start) -> None:
    _, task = _open_task(deployed, start_order)
    complete_task(deployed, task.id, {"approved": False}, AGENT)
    with pytest.raises(TaskNotOpen):
        complete_task(deployed, task.id, {"approved": False}, AGENT)
    with pytest.raises(NotFound):
        complete_task(deployed, "no-such-task", {}, AGENT)


def test_twenty_threads_complete_one_task_exactly_once(deployed: Services, start_order: Start) -> None:
    started, task = _open_task(deployed, start_order)
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            complete_task(deployed, task.id, {"approved": True}, MANAGER)
            result = "ok"
        except Conflict:
            result = "conflict"
        except Exception as error:  # noqa: BLE001 - any other failure is a finding
            result = f"error: {error!r}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 19 + ["ok"]
    completions = [e for e in list_events(deployed, started.id, AGENT).items if e.kind == "task_completed"]
    assert [(e.actor, e.details["task_id"]) for e in completions] == [("mia", task.id)]
    assert get_task(deployed, task.id, MANAGER).completed_by == "mia"
    instance = get_instance(deployed, started.id, AGENT)
    assert instance.element_states["order_review"]["wait_payment"]["state"] == "waiting"


def test_early_message_is_kept_until_the_instance_waits(deployed: Services, start_order: Start) -> None:
    started, task = _open_task(deployed, start_order)
    answer = deliver_message(deployed, "payment_received", started.business_key, {"ref": "early"}, AGENT)
    assert answer == Delivery(delivered=False)
    complete_task(deployed, task.id, {"approved": True}, AGENT)
    done = get_instance(deployed, started.id, AGENT)
    assert done.status == "completed" and done.data["payment"] == {"ref": "early"}


def test_same_idempotency_key_is_processed_once(deployed: Services, start_order: Start) -> None:
    started = start_order(amount=50)
    key = started.business_key
    first = deliver_message(deployed, "payment_received", key, {"ref": "1"}, AGENT, idempotency_key="k-1")
    again = deliver_message(deployed, "payment_received", key, {"ref": "2"}, AGENT, idempotency_key="k-1")
    assert first == Delivery(delivered=True)
    assert again == Delivery(delivered=True, duplicate=True)
    assert get_instance(deployed, started.id, AGENT).data["payment"] == {"ref": "1"}


def test_message_for_unknown_case_is_not_found(deployed: Services) -> None:
    with pytest.raises(NotFound):
        deliver_message(deployed, "payment_received", "RMA-NOPE", {}, AGENT)
    with deployed.database.read() as session:
        assert session.scalar(select(func.count()).select_from(MessageInbox)) == 0


def test_overdue_tasks_are_those_past_their_earliest_boundary_timer(
    deployed: Services, start_order: Start
) -> None:
    from support import ADMIN

    from rma_orchestrator.service.clock import move_clock
    from rma_orchestrator.service.instances import suspend_instance

    started, task = _open_task(deployed, start_order)
    assert list_tasks(deployed, MANAGER, overdue=True).total == 0
    suspend_instance(deployed, started.id, MANAGER)  # its timers wait, so its task falls overdue
    move_clock(deployed, ADMIN, add="PT3H")
    overdue = list_tasks(deployed, MANAGER, overdue=True).items
    assert [t.id for t in overdue] == [task.id]
    assert overdue[0].due_at == task.due_at


def test_a_task_whose_sla_timer_fired_stays_overdue(deployed: Services, start_order: Start) -> None:
    from support import ADMIN

    from rma_orchestrator.service.clock import move_clock

    _, task = _open_task(deployed, start_order)
    move_clock(deployed, ADMIN, add="PT3H")  # the 2 h reminder fired; the task is still open
    (overdue,) = list_tasks(deployed, MANAGER, overdue=True).items
    assert overdue.id == task.id and overdue.due_at == task.due_at
