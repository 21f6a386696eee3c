"""A failure anywhere before commit leaves the previous state intact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from support import AGENT

from rma_orchestrator.service import projection
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance, list_events
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.results import Delivery, InstanceInfo
from rma_orchestrator.service.tasks import complete_task
from rma_orchestrator.store.models import MessageInbox, ProcessInstance

Start = Callable[..., InstanceInfo]


class Crash(Exception):
    pass


def _crash(*args: object, **kwargs: object) -> None:
    raise Crash("simulated crash while writing the projection")


def _snapshot(services: Services, instance_id: int) -> tuple[Any, ...]:
    with services.database.read() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None
        state = (row.revision, row.state, row.status)
    instance = get_instance(services, instance_id, AGENT)
    return (
        state,
        instance.tasks,
        instance.timers,
        len(list_events(services, instance_id, AGENT).items),
    )


def test_crash_during_completion_changes_nothing(
    deployed: Services, start_order: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_order(amount=500)
    before = _snapshot(deployed, started.id)
    task_id = before[1][0].id
    monkeypatch.setattr(projection._ProjectionStep, "sync_waits", _crash)
    with pytest.raises(Crash):
        complete_task(deployed, task_id, {"approved": True}, AGENT)
    assert _snapshot(deployed, started.id) == before
    monkeypatch.undo()
    complete_task(deployed, task_id, {"approved": True}, AGENT)
    assert get_instance(deployed, started.id, AGENT).tasks == []


def test_crash_during_message_keeps_no_message(
    deployed: Services, start_order: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_order(amount=50)
    before = _snapshot(deployed, started.id)
    monkeypatch.setattr(projection._ProjectionStep, "sync_waits", _crash)
    with pytest.raises(Crash):
        deliver_message(deployed, "payment_received", started.business_key, {}, AGENT, idempotency_key="c1")
    assert _snapshot(deployed, started.id) == before
    with deployed.database.read() as session:
        assert session.scalar(select(func.count()).select_from(MessageInbox)) == 0
    monkeypatch.undo()
    answer = deliver_message(
        deployed, "payment_received", started.business_key, {}, AGENT, idempotency_key="c1"
    )
    assert answer == Delivery(delivered=True)
    assert get_instance(deployed, started.id, AGENT).status == "completed"


def test_a_write_based_on_a_stale_revision_is_refused(deployed: Services, start_order: Start) -> None:
    from sqlalchemy import update

    from rma_orchestrator.errors import StaleRevision

    started = start_order(amount=500)
    before = _snapshot(deployed, started.id)
    with pytest.raises(StaleRevision), deployed.uow() as uow:
        instance = uow.instances.lock(started.id)
        # another writer that ignored the lock bumps the revision behind this command's back
        table = ProcessInstance.__table__
        uow.connection.execute(
            update(table).where(table.c.id == started.id).values(revision=table.c.revision + 1)
        )
        uow.instances.set_status(instance, "suspended")
        uow.commit()
    assert _snapshot(deployed, started.id) == before
