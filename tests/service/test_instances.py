"""Starting and running the test process through the service layer."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from support import AGENT, ANALYST, MANAGER, lifecycle_files

from rma_orchestrator.errors import Conflict, InvalidData, NotFound
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, list_events, list_instances, start_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.results import Delivery, InstanceInfo
from rma_orchestrator.service.tasks import complete_task

Start = Callable[..., InstanceInfo]


def test_auto_path_waits_for_payment_then_completes(deployed: Services, start_order: Start) -> None:
    started = start_order(amount=50)
    assert re.fullmatch(r"RMA-\d{8}-\d{4}", started.business_key)
    assert (started.process_key, started.version, started.status) == ("order_review", 1, "running")
    instance = get_instance(deployed, started.id, AGENT)
    assert instance.data["route"] == "auto" and instance.data["fee"] == 5.0
    assert instance.tasks == [] and instance.timers == []
    assert instance.element_states["order_review"]["wait_payment"]["state"] == "waiting"
    answer = deliver_message(deployed, "payment_received", started.business_key, {"ref": "P-1"}, AGENT)
    assert answer == Delivery(delivered=True)
    done = get_instance(deployed, started.id, AGENT)
    assert done.status == "completed" and done.outcome == "end_done"
    assert done.data["payment"] == {"ref": "P-1"} and done.data["fixed"] is True
    assert done.element_states["order_fix"]["apply_fix"] == {"state": "completed", "visits": 1}
    kinds = [e.kind for e in list_events(deployed, started.id, AGENT).items]
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed"
    assert "message_received" in kinds


def test_generated_business_keys_count_up_per_day(deployed: Services, start_order: Start) -> None:
    keys = [start_order(amount=50).business_key for _ in range(3)]
    assert [k[-4:] for k in keys] == ["0001", "0002", "0003"]
    assert len({k[:12] for k in keys}) == 1


def test_duplicate_business_key_is_a_conflict(deployed: Services, start_order: Start) -> None:
    start_order(amount=50, business_key="RMA-X-1")
    with pytest.raises(Conflict):
        start_order(amount=50, business_key="RMA-X-1")
    assert list_instances(deployed, AGENT).total == 1


def test_start_data_is_validated_against_the_start_form(deployed: Services) -> None:
    with pytest.raises(InvalidData) as caught:
        start_instance(deployed, "order_review", {"amount": "lots", "category": "food"}, AGENT)
    fields = {e["field"] for e in caught.value.items}
    assert fields == {"order_no", "amount", "category"}
    assert list_instances(deployed, AGENT).total == 0


def test_unknown_process_is_not_found(deployed: Services) -> None:
    with pytest.raises(NotFound, match="no_such_process"):
        start_instance(deployed, "no_such_process", {}, AGENT)
    assert list_instances(deployed, AGENT).total == 0


def test_running_instances_keep_their_version(deployed: Services, start_order: Start) -> None:
    old = start_order(amount=50)
    fix = lifecycle_files()["order_fix.bpmn"].replace(b"fixed = True", b"fixed = 'v2'")
    deploy(deployed, {"order_fix.bpmn": fix}, ANALYST)
    new = start_order(amount=50)
    assert (old.version, new.version) == (1, 2)
    for started, expected in ((old, True), (new, "v2")):
        deliver_message(deployed, "payment_received", started.business_key, {}, AGENT)
        assert get_instance(deployed, started.id, AGENT).data["fixed"] == expected


def test_list_filters(deployed: Services, start_order: Start) -> None:
    a = start_order(amount=50)
    start_order(amount=500)
    assert list_instances(deployed, AGENT, business_key=a.business_key).total == 1
    assert list_instances(deployed, AGENT, process_key="order_review").total == 2
    assert list_instances(deployed, AGENT, status="completed").total == 0
    with pytest.raises(InvalidData):
        list_instances(deployed, AGENT, status="sleeping")


def test_manual_path_user_task_with_form(deployed: Services, start_order: Start) -> None:
    started = start_order(amount=500)
    instance = get_instance(deployed, started.id, AGENT)
    (task,) = instance.tasks
    assert (task.element_id, task.group, task.assignee) == ("review_order", "customer_service", None)
    reminder = min(t.due_at for t in instance.timers)
    assert task.due_at == reminder
    with pytest.raises(InvalidData) as caught:
        complete_task(deployed, task.id, {"approved": "yes"}, AGENT)
    assert caught.value.items[0]["field"] == "approved"
    assert get_instance(deployed, started.id, AGENT).tasks[0].status == "open"
    done = complete_task(deployed, task.id, {"approved": True, "note": "ok"}, AGENT)
    assert (done.status, done.completed_by, done.assignee) == ("completed", "cs1", "cs1")
    after = get_instance(deployed, started.id, AGENT)
    assert after.tasks == [] and after.timers == []
    assert after.data["approved"] is True


def test_manager_cancels(deployed: Services, start_order: Start) -> None:
    from rma_orchestrator.service.instances import cancel_instance

    started = start_order(amount=500)
    result = cancel_instance(deployed, started.id, MANAGER)
    assert result.status == "cancelled"
    instance = get_instance(deployed, started.id, AGENT)
    assert instance.tasks == [] and instance.timers == []
    with pytest.raises(Conflict):
        cancel_instance(deployed, started.id, MANAGER)
    with pytest.raises(Conflict):
        deliver_message(deployed, "payment_received", started.business_key, {}, AGENT)


def test_times_are_utc(deployed: Services, start_order: Start) -> None:
    started = start_order(amount=500)
    assert started.started_at.utcoffset() == timedelta(0)
    detail = get_instance(deployed, started.id, AGENT)
    assert all(t.due_at.utcoffset() == timedelta(0) for t in detail.timers)
