"""Moving running cases to a new version (issue 12, point 5): a return case waiting for its parcel
moves to a version whose reminder comes after 5 days instead of 7, keeps its deadline, gets the
new reminder counted from when its wait began, and completes on the new version; a case waiting on
an element the new version removed stays where it is, the dry run naming the element; a run
acts once on a case, even when taken again after its worker died or started twice."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from migration_cases import (
    START,
    deploy_return,
    deploy_version_1,
    finish_with_refund,
    reminder_after,
    start_return,
    without_reminder,
)
from support import ADMIN, AGENT, ANALYST, MANAGER

from rma_orchestrator.errors import Conflict, Forbidden, InvalidData, NotFound
from rma_orchestrator.service.batch_work import DONE_BEFORE, claim_batch_case, work_on_batches
from rma_orchestrator.service.batches import get_batch
from rma_orchestrator.service.case_migration import dry_run, migrate_instance, start_migration
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance, list_events, suspend_instance
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.store import batches as stored


@pytest.fixture
def waiting(services: Services) -> InstanceInfo:
    """A return case started at START, two days into its wait for the parcel (version 1)."""
    deploy_version_1(services)
    case = start_return(services, f"JD-{uuid.uuid4().hex[:8]}")
    move_clock(services, ADMIN, add="P2D")
    return case


def due_times(services: Services, case: InstanceInfo) -> dict[str, datetime]:
    return {t.element_id: t.due_at for t in get_instance(services, case.id, ADMIN).timers}


def migrations(services: Services, case: InstanceInfo) -> list[dict[str, Any]]:
    events = list_events(services, case.id, ADMIN).items
    return [e.details for e in events if e.kind == "instance_migrated"]


def test_a_waiting_case_moves_to_the_new_reminder_and_completes_there(
    services: Services, waiting: InstanceInfo
) -> None:
    before = due_times(services, waiting)
    assert before == {
        "goods_reminder_due": START + timedelta(days=7),
        "goods_deadline": START + timedelta(days=14),
    }
    assert deploy_return(services, reminder_after(5)) == 2

    plan = dry_run(services, "return", 1, 2, None, ANALYST)
    assert (plan.total, plan.movable) == (1, 1)
    assert plan.items[0].instance_id == waiting.id and plan.items[0].reasons == []
    assert get_instance(services, waiting.id, ADMIN).version == 1  # a dry run changes nothing

    run = start_migration(services, "return", 1, 2, None, "reminder after 5 days", ANALYST)
    assert (run.action, run.target_version, run.total, run.pending) == ("migrate", 2, 1, 1)
    assert work_on_batches(services) == 1
    report = get_batch(services, run.id, ANALYST)
    assert (report.status, report.succeeded, report.failed) == ("finished", 1, 0)

    moved = get_instance(services, waiting.id, ADMIN)
    assert (moved.version, moved.status) == (2, "running")
    # the changed reminder counts from when the wait began; the unchanged deadline keeps its time
    assert due_times(services, waiting) == {
        "goods_reminder_due": START + timedelta(days=5),
        "goods_deadline": START + timedelta(days=14),
    }
    [event] = migrations(services, waiting)
    assert (event["from_version"], event["to_version"], event["batch_id"]) == (1, 2, run.id)
    assert event["reason"] == "reminder after 5 days"
    assert [t["element_id"] for t in event["timers"]] == ["goods_reminder_due"]

    move_clock(services, ADMIN, add="P3DT1H")  # day 5 and an hour: version 2's reminder
    reminded = get_instance(services, waiting.id, ADMIN)
    assert reminded.data.get("reminder_sent") is True
    assert [t.element_id for t in reminded.timers] == ["goods_deadline"]

    done = finish_with_refund(services, waiting)
    assert (done.status, done.outcome, done.version) == ("completed", "end_refunded", 2)


def test_an_open_user_task_keeps_its_row_through_the_move(services: Services, waiting: InstanceInfo) -> None:
    payload = {
        "received_at": services.clock.now().isoformat(),
        "received_by": "wh",
        "parcel_condition": "intact",
    }
    from rma_orchestrator.service.messages import deliver_message
    from rma_orchestrator.service.tasks import claim_task

    deliver_message(services, "goods_received", waiting.business_key, payload, AGENT)
    [task] = get_instance(services, waiting.id, ADMIN).tasks
    claim_task(services, task.id, ADMIN)
    deploy_return(services, reminder_after(5))
    migrate_instance(services, waiting.id, 2, ANALYST, "moved by hand")
    moved = get_instance(services, waiting.id, ADMIN)
    assert moved.version == 2
    assert [(t.id, t.element_id, t.assignee) for t in moved.tasks] == [(task.id, "inspect_goods", ADMIN.name)]
    assert migrations(services, waiting)[0].get("batch_id") is None


def test_a_case_waiting_on_a_removed_element_cannot_move(services: Services, waiting: InstanceInfo) -> None:
    version = deploy_return(services, without_reminder())
    plan = dry_run(services, "return", 1, version, [waiting.id], ANALYST)
    [item] = plan.items
    assert not item.movable and plan.movable == 0
    assert any("goods_reminder_due" in reason for reason in item.reasons)
    with pytest.raises(Conflict):
        start_migration(services, "return", 1, version, None, "drop the reminder", ANALYST)
    with pytest.raises(Conflict, match="goods_reminder_due"):
        migrate_instance(services, waiting.id, version, ANALYST)
    unchanged = get_instance(services, waiting.id, ADMIN)
    assert unchanged.version == 1 and migrations(services, waiting) == []
    assert set(due_times(services, waiting)) == {"goods_reminder_due", "goods_deadline"}


def test_only_running_and_suspended_cases_move(services: Services, waiting: InstanceInfo) -> None:
    deploy_return(services, reminder_after(5))
    suspend_instance(services, waiting.id, MANAGER, "hold")
    migrate_instance(services, waiting.id, 2, ANALYST)
    moved = get_instance(services, waiting.id, ADMIN)
    assert (moved.version, moved.status) == (2, "suspended")
    with pytest.raises(Conflict, match="version 2 already"):
        migrate_instance(services, waiting.id, 2, ANALYST)


def test_two_runs_of_one_case_move_it_once(services: Services, waiting: InstanceInfo) -> None:
    deploy_return(services, reminder_after(5))
    first = start_migration(services, "return", 1, 2, [waiting.id], "first", ANALYST)
    second = start_migration(services, "return", 1, 2, [waiting.id], "sent twice", ANALYST)
    assert work_on_batches(services) == 2
    assert get_batch(services, first.id, ANALYST).succeeded == 1
    stale = get_batch(services, second.id, ANALYST)
    assert stale.failed == 1 and "version 2 already" in (stale.items[0].message or "")
    assert len(migrations(services, waiting)) == 1


def test_a_case_taken_again_after_its_worker_died_is_not_moved_twice(
    services: Services, waiting: InstanceInfo
) -> None:
    deploy_return(services, reminder_after(5))
    run = start_migration(services, "return", 1, 2, None, "reminder after 5 days", ANALYST)
    case = claim_batch_case(services, run.id, "a:1", lease=timedelta(seconds=1))
    assert case is not None and case.target_version == 2
    migrate_instance(services, waiting.id, 2, ANALYST, run.reason, batch_id=run.id)  # then "a:1" dies
    with services.database.reading() as connection:
        lease_until = stored.batch_items(connection, run.id)[0].lease_until
    time.sleep(max(0.0, (lease_until.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()) + 0.05)
    assert work_on_batches(services, worker="b:2") == 1
    report = get_batch(services, run.id, ANALYST)
    assert (report.succeeded, report.items[0].message) == (1, DONE_BEFORE)
    assert len(migrations(services, waiting)) == 1


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (("nope", 1, 2), NotFound),
        (("return", 1, 9), NotFound),
        (("return", 1, 1), InvalidData),
        (("return", 0, 2), InvalidData),
    ],
)
def test_bad_migrations_are_refused(
    services: Services, waiting: InstanceInfo, arguments: tuple[Any, int, int], error: type[Exception]
) -> None:
    deploy_return(services, reminder_after(5))
    with pytest.raises(error):
        dry_run(services, *arguments, None, ANALYST)


def test_cases_must_be_of_the_version_and_the_actor_an_analyst(
    services: Services, waiting: InstanceInfo
) -> None:
    deploy_return(services, reminder_after(5))
    with pytest.raises(Forbidden):
        dry_run(services, "return", 1, 2, None, AGENT)
    with pytest.raises(Forbidden):
        start_migration(services, "return", 1, 2, None, "why", MANAGER)
    with pytest.raises(InvalidData):
        dry_run(services, "return", 2, 1, [waiting.id], ANALYST)
    with pytest.raises(NotFound):
        dry_run(services, "return", 1, 2, [waiting.id + 1000], ANALYST)
    with pytest.raises(InvalidData):
        start_migration(services, "return", 1, 2, None, " ", ANALYST)
